import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../common/log';
import { createS3Client } from '../common/s3';
import { type DiscoverResult, discoverDatabases } from './discover';
import { discoverSettingsFromEnv } from './settings-from-env';

export interface RunDiscoverDeps {
  readonly logger: Logger;
  readonly signal?: AbortSignal;
  /** @default - a client for the environment's S3 endpoint (`ENGINE_ENV.s3Endpoint`) or AWS S3 */
  readonly s3?: S3Client;
  /** @default - a Secrets Manager client of the task's region and credentials */
  readonly secretsClient?: () => SecretsManagerClient;
}

/**
 * The discover task from its environment to its result: what `/app/discover.cjs` runs, and what the local runner
 * calls in-process with the task environment it gives the backup task.
 */
export async function runDiscover(env: NodeJS.ProcessEnv, deps: RunDiscoverDeps): Promise<DiscoverResult> {
  const settings = await discoverSettingsFromEnv(env, deps.secretsClient ?? (() => new SecretsManagerClient({})));
  return discoverDatabases(settings, {
    s3: deps.s3 ?? createS3Client(settings.storage),
    logger: deps.logger,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
}
