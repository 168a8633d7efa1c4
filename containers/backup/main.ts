// Entrypoint of the backup task (Fargate container, or a child process of the local runner).
import { parseEngineConfig } from '../common/engine-config';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { resolveDatabaseEnv } from '../common/db-secret';
import { ConfigError } from '../common/errors';
import { isRunId } from '../common/keys';
import { connectionFromEnv } from '../common/pg-connection';
import { discoveryOptionsFromEnv } from '../common/pg-tools';
import { createS3Client } from '../common/s3';
import { secondsFromEnv, storageFromEnv } from '../common/task-env';
import { runTaskMain } from '../common/task-runner';
import { which } from '../common/which';
import { runBackup } from './backup';

runTaskMain('pgproof-backup', async ({ logger, signal }) => {
  const env = process.env;
  // In AWS the password comes from PGPROOF_DB_SECRET, read with the task role; locally from PGPASSWORD.
  const connection = connectionFromEnv(await resolveDatabaseEnv(env, () => new SecretsManagerClient({})));
  const storage = storageFromEnv(env);
  const config = parseEngineConfig(env.PGPROOF_CONFIG ?? '');
  const lockWait = secondsFromEnv(env, 'PGPROOF_LOCK_WAIT_TIMEOUT_SECONDS');
  const stall = secondsFromEnv(env, 'PGPROOF_STALL_TIMEOUT_SECONDS');
  if (env.PGPROOF_RUN_ID && !isRunId(env.PGPROOF_RUN_ID)) {
    throw new ConfigError(`PGPROOF_RUN_ID must look like 20261124T030000Z-0123456789 (UTC time, dash, hex), got "${env.PGPROOF_RUN_ID}"`);
  }
  let lastLogged = 0;
  const started = Date.now();
  return runBackup(
    {
      connection,
      storage,
      config,
      discovery: discoveryOptionsFromEnv(env),
      zstdPath: await which('zstd'),
      ...(env.PGPROOF_RUN_ID ? { runId: env.PGPROOF_RUN_ID } : {}),
      ...(env.PGPROOF_REASON ? { reason: env.PGPROOF_REASON } : {}),
      ...(lockWait ? { lockWaitTimeoutSeconds: lockWait } : {}),
      ...(stall ? { stallTimeoutSeconds: stall } : {}),
    },
    {
      s3: createS3Client(storage),
      logger,
      signal,
      onProgress: (bytes) => {
        // At most one progress line every 2 s keeps logs readable for large databases.
        const now = Date.now();
        if (now - lastLogged >= 2000) {
          lastLogged = now;
          logger.info('dump progress', { bytes, seconds: (now - started) / 1000 });
        }
      },
    },
  );
});
