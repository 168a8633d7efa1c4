import { ENGINE_ENV } from '../../lib/contracts/engine-env';
import { parseEngineConfig } from '../common/engine-config';
import { discoveryOptionsFromEnv } from '../common/pg-tools';
import { requireEnv, storageFromEnv } from '../common/task-env';
import { which } from '../common/which';
import type { VerifySettings } from './verify';

/** Reads the verify task's settings from its environment (`ENGINE_ENV`), failing fast on a bad one. */
export async function verifySettingsFromEnv(env: NodeJS.ProcessEnv): Promise<VerifySettings> {
  const workDir = env[ENGINE_ENV.workDir]?.trim();
  return {
    storage: storageFromEnv(env),
    key: requireEnv(env, ENGINE_ENV.backupKey, 'the key of the dump to verify (backup.key of the backup step)'),
    config: parseEngineConfig(env[ENGINE_ENV.config] ?? ''),
    discovery: discoveryOptionsFromEnv(env),
    zstdPath: await which('zstd', env.PATH ?? ''),
    ...(workDir ? { workDir } : {}),
  };
}
