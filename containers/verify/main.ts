// Entrypoint of the verify task (Fargate container, or a child process of the local runner).
import { parseEngineConfig } from '../common/engine-config';
import { discoveryOptionsFromEnv } from '../common/pg-tools';
import { createS3Client } from '../common/s3';
import { requireEnv, storageFromEnv } from '../common/task-env';
import { runTaskMain } from '../common/task-runner';
import { which } from '../common/which';
import { runVerify } from './verify';

runTaskMain('pgproof-verify', async ({ logger, signal }) => {
  const env = process.env;
  const storage = storageFromEnv(env);
  const workDir = env.PGPROOF_WORK_DIR?.trim();
  return runVerify(
    {
      storage,
      key: requireEnv(env, 'PGPROOF_BACKUP_KEY', 'the key of the dump to verify (backup.key of the backup step)'),
      config: parseEngineConfig(env.PGPROOF_CONFIG ?? ''),
      discovery: discoveryOptionsFromEnv(env),
      zstdPath: await which('zstd'),
      ...(workDir ? { workDir } : {}),
    },
    { s3: createS3Client(storage), logger, signal },
  );
});
