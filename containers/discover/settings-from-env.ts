import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DEFAULT_DISCOVERY_DATABASE } from '../../lib/common/defaults';
import { ENGINE_ENV } from '../../lib/contracts/engine-env';
import { resolveDatabaseEnv } from '../common/db-secret';
import { discoveryTarget } from '../common/database-selection';
import { fleetSettingsSchema } from '../../lib/contracts/fleet-settings';
import { ConfigError } from '../common/errors';
import { isRunId } from '../common/keys';
import { connectionFromEnv } from '../common/pg-connection';
import { storageFromEnv } from '../common/task-env';
import type { DiscoverSettings } from './discover';

/**
 * The exclude patterns of the configuration (`ENGINE_ENV.config`): its top-level `exclude`, a list of glob patterns.
 * Only that field is read, so the rest of the configuration (whatever its form) is the other engines' to check.
 */
export function excludePatternsFromConfig(text: string, source: string = ENGINE_ENV.config): string[] {
  if (text.trim() === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(`${source} must be a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  const exclude = (value as Record<string, unknown>).exclude;
  if (exclude === undefined) return [];
  if (!Array.isArray(exclude) || exclude.some((p) => typeof p !== 'string' || p === ''))
    throw new ConfigError(
      `${source}: exclude must be a list of non-empty glob patterns on database names (e.g. ["tmp_*", "*_old"]), got ${JSON.stringify(exclude)}`,
    );
  return exclude as string[];
}

/** The server and patterns of keyed fleet settings that discover (`"databases": "all"`), else undefined. */
function keyedDiscovery(env: NodeJS.ProcessEnv): ReturnType<typeof discoveryTarget> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(env[ENGINE_ENV.config] ?? '');
  } catch {
    return undefined;
  }
  const keyed = fleetSettingsSchema.safeParse(value);
  return keyed.success && keyed.data.exclude !== undefined ? discoveryTarget(env) : undefined;
}

/**
 * Reads the discover task's settings from the backup task's environment (the same task definition): the server from
 * libpq's variables and the password secret, connecting to `PGDATABASE` or `postgres`; the bucket; the exclusions.
 */
export async function discoverSettingsFromEnv(
  env: NodeJS.ProcessEnv,
  secretsClient: () => SecretsManagerClient,
): Promise<DiscoverSettings> {
  // A deployed fleet's keyed settings carry the server and the patterns; a plain configuration (local runs) leaves
  // the server to the task environment and may carry `exclude` at its top.
  const target = keyedDiscovery(env) ?? { env, exclude: excludePatternsFromConfig(env[ENGINE_ENV.config] ?? '') };
  const resolved = await resolveDatabaseEnv(target.env, secretsClient);
  const connection = connectionFromEnv({
    ...resolved,
    PGDATABASE: resolved.PGDATABASE?.trim() || DEFAULT_DISCOVERY_DATABASE,
  });
  const storage = storageFromEnv(env);
  const exclude = [...target.exclude];
  const runId = env[ENGINE_ENV.runId]?.trim();
  if (runId && !isRunId(runId)) {
    throw new ConfigError(
      `${ENGINE_ENV.runId} must look like 20261124T030000Z-0123456789 (UTC time, dash, hex), got "${runId}"`,
    );
  }
  return { connection, storage, exclude, ...(runId ? { runId } : {}) };
}
