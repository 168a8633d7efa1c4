import { ENGINE_ENV } from '../../lib/contracts/engine-env';
import { selectDatabase } from '../common/database-selection';
import { discoveryOptionsFromEnv } from '../common/pg-tools';
import { requireEnv, storageFromEnv } from '../common/task-env';
import { which } from '../common/which';
import type { VerifySettings } from './verify';

/** Reads the verify task's settings from its environment (`ENGINE_ENV`), failing fast on a bad one. */
export async function verifySettingsFromEnv(env: NodeJS.ProcessEnv): Promise<VerifySettings> {
  const workDir = env[ENGINE_ENV.workDir]?.trim();
  // The database's own checks and settings, by its id (ENGINE_ENV.database), or by the key folder a re-verification
  // gives (ids and names may differ).
  const { id, config } = selectDatabase(env, { orKeyFolder: true });
  return {
    ...(id ? { database: id } : {}),
    storage: storageFromEnv(env),
    key: requireEnv(env, ENGINE_ENV.backupKey, 'the key of the dump to verify (backup.key of the backup step)'),
    config,
    discovery: discoveryOptionsFromEnv(env),
    zstdPath: await which('zstd', env.PATH ?? ''),
    ...(workDir ? { workDir } : {}),
  };
}
