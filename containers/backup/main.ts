// Entrypoint of the backup task (Fargate container, or a child process of the local runner).
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { logDumpProgress } from '../common/engine-log';
import { createS3Client } from '../common/s3';
import { runTaskMain } from '../common/task-runner';
import { runBackup } from './backup';
import { backupSettingsFromEnv } from './settings-from-env';

runTaskMain('pgproof-backup', async ({ logger, signal }) => {
  const settings = await backupSettingsFromEnv(process.env, () => new SecretsManagerClient({}));
  let lastLogged = 0;
  const started = Date.now();
  return runBackup(settings, {
    s3: createS3Client(settings.storage),
    logger,
    signal,
    onProgress: (bytes) => {
      // At most one progress line every 2 s keeps logs readable for large databases.
      const now = Date.now();
      if (now - lastLogged >= 2000) {
        lastLogged = now;
        logDumpProgress(logger, { bytes, seconds: (now - started) / 1000 });
      }
    },
  });
});
