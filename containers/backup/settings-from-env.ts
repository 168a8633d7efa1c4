import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ENGINE_ENV } from '../../lib/contracts/engine-env';
import { resolveDatabaseEnv } from '../common/db-secret';
import { parseEngineConfig } from '../common/engine-config';
import { ConfigError } from '../common/errors';
import { isRunId } from '../common/keys';
import { connectionFromEnv } from '../common/pg-connection';
import { discoveryOptionsFromEnv } from '../common/pg-tools';
import { secondsFromEnv, storageFromEnv } from '../common/task-env';
import { which } from '../common/which';
import type { BackupSettings } from './backup';

/** Reads the backup task's settings from its environment (`ENGINE_ENV` and libpq's), failing fast on a bad one. */
export async function backupSettingsFromEnv(
  env: NodeJS.ProcessEnv,
  secretsClient: () => SecretsManagerClient,
): Promise<BackupSettings> {
  // In AWS the password comes from the database secret, read with the task role; locally from PGPASSWORD.
  const connection = connectionFromEnv(await resolveDatabaseEnv(env, secretsClient));
  const storage = storageFromEnv(env);
  const config = parseEngineConfig(env[ENGINE_ENV.config] ?? '');
  const lockWait = secondsFromEnv(env, ENGINE_ENV.lockWaitTimeoutSeconds);
  const stall = secondsFromEnv(env, ENGINE_ENV.stallTimeoutSeconds);
  const runId = env[ENGINE_ENV.runId];
  if (runId && !isRunId(runId)) {
    throw new ConfigError(
      `${ENGINE_ENV.runId} must look like 20261124T030000Z-0123456789 (UTC time, dash, hex), got "${runId}"`,
    );
  }
  const reason = env[ENGINE_ENV.reason];
  return {
    connection,
    storage,
    config,
    discovery: discoveryOptionsFromEnv(env),
    zstdPath: await which('zstd', env.PATH ?? ''),
    ...(runId ? { runId } : {}),
    ...(reason ? { reason } : {}),
    ...(lockWait ? { lockWaitTimeoutSeconds: lockWait } : {}),
    ...(stall ? { stallTimeoutSeconds: stall } : {}),
  };
}
