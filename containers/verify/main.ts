// Entrypoint of the verify task (Fargate container, or a child process of the local runner).
import { logPhaseProgress } from '../common/engine-log';
import { createS3Client } from '../common/s3';
import { runTaskMain } from '../common/task-runner';
import { runVerify } from './verify';
import { verifySettingsFromEnv } from './settings-from-env';

runTaskMain('pgproof-verify', async ({ logger, signal }) => {
  const settings = await verifySettingsFromEnv(process.env);
  const lastLogged: Record<string, number> = {};
  return runVerify(settings, {
    s3: createS3Client(settings.storage),
    logger,
    signal,
    // At most one progress line every 2 s per phase.
    onProgress: (phase, detail) => {
      const now = Date.now();
      if (now - (lastLogged[phase] ?? 0) < 2000) return;
      lastLogged[phase] = now;
      logPhaseProgress(logger, phase, detail);
    },
  });
});
