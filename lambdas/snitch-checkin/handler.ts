import { SNITCH_ENV } from '../../lib/contracts/lambda-env';
import { optionalEnumEnv, type Environment } from '../common/env';
import { resolveConfiguredEndpoint, type WhenUnconfigured } from '../common/endpoint';
import type { HttpDeps } from '../common/http-client';
import { createLogger, type LambdaLogger } from '../common/logger';
import { runLogContext } from '../common/run-outcomes';
import { parseRunResult } from '../common/run-result';
import { createSecretsManagerSource, type SecretSource } from '../common/secret-source';
import { checkInRefusal, snitchCheckIn, type SnitchCheckInOutput } from './snitch-checkin';
import { SNITCH_BODIES, SNITCH_KINDS, chooseSnitchBody, chooseSnitchKind } from './snitch-kind';

export interface SnitchCheckInHandlerDeps {
  readonly env?: Environment;
  readonly secrets?: SecretSource;
  readonly logger?: LambdaLogger;
  readonly http?: HttpDeps;
  /**
   * Without an endpoint setting: `fail` with MissingConfiguration naming the variable (AWS), or `skip` the post and
   * return the message (the local runtime prints it).
   * @default 'fail'
   */
  readonly whenUnconfigured?: WhenUnconfigured;
}

// Created once per container: the logger, and the secret cache that makes a warm invocation skip the read.
const defaultLogger = createLogger('pgproof-snitch-checkin');
let defaultSecrets: SecretSource | undefined;
/** The Secrets Manager source, created on first use and kept for the container's later invocations. */
function defaultSecretSource(): SecretSource {
  defaultSecrets ??= createSecretsManagerSource();
  return defaultSecrets;
}

/** Builds a handler bound to its dependencies (local runner, tests); the environment is read per invocation. */
export function createSnitchCheckInHandler(
  deps: SnitchCheckInHandlerDeps = {},
): (event: unknown) => Promise<SnitchCheckInOutput> {
  return async (event) => {
    const logger = deps.logger ?? defaultLogger;
    const env = deps.env ?? process.env;
    const run = parseRunResult(event);
    const envKind = optionalEnumEnv(env, SNITCH_ENV.kind, SNITCH_KINDS);
    const envBody = optionalEnumEnv(env, SNITCH_ENV.body, SNITCH_BODIES);
    const secrets = deps.secrets ?? defaultSecretSource();
    // A failed run is refused before the secret is read: nothing about it should reach the switch.
    const endpoint =
      checkInRefusal(run) === undefined
        ? await resolveConfiguredEndpoint(
            env,
            { ...SNITCH_ENV, describes: 'snitch check-in URL' },
            secrets,
            deps.whenUnconfigured ?? 'fail',
          )
        : undefined;
    const target = endpoint
      ? {
          url: endpoint.url,
          kind: chooseSnitchKind(endpoint.url, endpoint.kind, endpoint.origin, envKind),
          body: chooseSnitchBody(endpoint.body, endpoint.origin, envBody),
        }
      : undefined;
    try {
      return await snitchCheckIn(run, { target, logger, http: deps.http });
    } catch (error) {
      logger.error('snitch check-in failed', { ...runLogContext(run), error });
      throw error;
    }
  };
}

/**
 * The Lambda entry point: event = the run state (see `RunResult`), result = `SnitchCheckInOutput`. Without its
 * secret setting it fails with MissingConfiguration: a check-in that never happens must not pass for done.
 */
export const handler = createSnitchCheckInHandler({ whenUnconfigured: 'fail' });
