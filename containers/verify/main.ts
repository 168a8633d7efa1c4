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
  const lastLogged: Record<string, number> = {};
  return runVerify(
    {
      storage,
      key: requireEnv(env, 'PGPROOF_BACKUP_KEY', 'the key of the dump to verify (backup.key of the backup step)'),
      config: parseEngineConfig(env.PGPROOF_CONFIG ?? ''),
      discovery: discoveryOptionsFromEnv(env),
      zstdPath: await which('zstd'),
      ...(workDir ? { workDir } : {}),
    },
    {
      s3: createS3Client(storage),
      logger,
      signal,
      // At most one progress line every 2 s per phase.
      onProgress: (phase, detail) => {
        const now = Date.now();
        if (now - (lastLogged[phase] ?? 0) < 2000) return;
        lastLogged[phase] = now;
        logger.info(`${phase} progress`, { detail });
      },
    },
  );
});
