import { CHAT_ENV } from '../../lib/contracts/lambda-env';
import { optionalEnumEnv, optionalEnv, type Environment } from '../common/env';
import { resolveConfiguredEndpoint, type WhenUnconfigured } from '../common/endpoint';
import type { HttpDeps } from '../common/http-client';
import { createLogger, type LambdaLogger } from '../common/logger';
import { runLogContext } from '../common/run-outcomes';
import { parseRunResult } from '../common/run-result';
import { createSecretsManagerSource, type SecretSource } from '../common/secret-source';
import { CHAT_KINDS, chooseChatKind } from './chat-kind';
import { notifyChat, type NotifyChatOutput } from './notify-chat';

export interface NotifyChatHandlerDeps {
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
const defaultLogger = createLogger('pgproof-notify-chat');
let defaultSecrets: SecretSource | undefined;
/** The Secrets Manager source, created on first use and kept for the container's later invocations. */
function defaultSecretSource(): SecretSource {
  defaultSecrets ??= createSecretsManagerSource();
  return defaultSecrets;
}

/**
 * Builds a handler bound to its dependencies; the local runner passes its own environment and fetch, tests
 * pass mocks. The environment is read per invocation (a local runner may change it between runs).
 */
export function createNotifyChatHandler(
  deps: NotifyChatHandlerDeps = {},
): (event: unknown) => Promise<NotifyChatOutput> {
  return async (event) => {
    const logger = deps.logger ?? defaultLogger;
    const env = deps.env ?? process.env;
    const run = parseRunResult(event);
    const envKind = optionalEnumEnv(env, CHAT_ENV.kind, CHAT_KINDS);
    const secrets = deps.secrets ?? defaultSecretSource();
    const endpoint = await resolveConfiguredEndpoint(
      env,
      { ...CHAT_ENV, describes: 'chat webhook URL' },
      secrets,
      deps.whenUnconfigured ?? 'fail',
    );
    const target = endpoint
      ? { url: endpoint.url, kind: chooseChatKind(endpoint.url, endpoint.kind, endpoint.origin, envKind) }
      : undefined;
    try {
      const reportUrl = optionalEnv(env, CHAT_ENV.reportUrl);
      return await notifyChat(run, { target, logger, http: deps.http, ...(reportUrl ? { reportUrl } : {}) });
    } catch (error) {
      // Logged for the function's own log group; rethrown so Step Functions fails the state (never swallowed).
      logger.error('chat notification failed', { ...runLogContext(run), error });
      throw error;
    }
  };
}

/**
 * The Lambda entry point: event = the run state (see `RunResult`), result = `NotifyChatOutput`. Without its
 * secret setting it fails with MissingConfiguration: in AWS a message nobody receives must not pass for sent.
 */
export const handler = createNotifyChatHandler({ whenUnconfigured: 'fail' });
