import { ENGINE_ENV, LIBPQ_ENV } from '../../lib/contracts/engine-env';
import {
  fleetSettingsSchema,
  isFleetSettings,
  type FleetSettings,
  selectFleetDatabase,
  type SelectedDatabase,
} from '../../lib/contracts/fleet-settings';
import { describeZodError, parseEngineConfig, type EngineConfig } from './engine-config';
import { ConfigError } from './errors';
import { keySegment } from './keys';
import { defaultSslRootCert } from './tls';
import type { SslMode } from '../../lib/common/rules';

/** The database a task works on, chosen by `ENGINE_ENV.database` from the settings in `ENGINE_ENV.config`. */
export interface DatabaseSelection {
  /** The database's id (`ENGINE_ENV.database`; for a plain configuration without it: undefined, the name is the id). */
  readonly id: string | undefined;
  /** Its engine configuration, validated. */
  readonly config: EngineConfig;
  /** The keyed entry, when the settings are keyed (undefined for a plain engine configuration). */
  readonly selected: SelectedDatabase | undefined;
}

/** How `selectDatabase` reads `ENGINE_ENV.database`. */
export interface SelectionOptions {
  /**
   * The id may be a backup key's database folder (a re-verification's item): when no database has that id, the one
   * whose name makes that folder is taken (ids and names may differ). @default false
   */
  readonly orKeyFolder?: boolean;
}

/** Parses `ENGINE_ENV.config` (plain or keyed) and selects the task's database, failing fast with a ConfigError. */
export function selectDatabase(env: NodeJS.ProcessEnv, options: SelectionOptions = {}): DatabaseSelection {
  const text = env[ENGINE_ENV.config] ?? '';
  const id = env[ENGINE_ENV.database]?.trim() || undefined;
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${ENGINE_ENV.config} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isFleetSettings(value)) return { id, config: parseEngineConfig(value), selected: undefined };
  const parsed = fleetSettingsSchema.safeParse(value);
  if (!parsed.success) throw new ConfigError(describeZodError(parsed.error, ENGINE_ENV.config));
  const byFolder = options.orKeyFolder && id !== undefined ? idOfKeyFolder(parsed.data, id) : undefined;
  const choice = selectFleetDatabase(parsed.data, byFolder ?? id);
  if ('problem' in choice)
    throw new ConfigError(
      options.orKeyFolder
        ? `${choice.problem}. When verifying a backup, the database is the backup key's folder ("${id}"): no configured database's name makes that folder; check the key with \`pgproof backups\``
        : choice.problem,
    );
  const selected = choice.database;
  const where = selected.discovered
    ? `${ENGINE_ENV.config} (defaults + databaseSettings.${selected.id})`
    : `${ENGINE_ENV.config} (defaults + databases.${selected.id})`;
  return { id: selected.id, config: parseEngineConfig(selected.engine, where), selected };
}

/**
 * The id to select for a key folder that is not a listed id: the listed database whose name makes that folder, else
 * (discovering fleets) the name in `databaseSettings` that does; undefined when neither does (the folder is then
 * taken as the id: a discovered database's name). Throws a ConfigError when several names share the folder.
 */
function idOfKeyFolder(settings: FleetSettings, folder: string): string | undefined {
  if (Object.hasOwn(settings.databases, folder)) return undefined;
  const unique = (candidates: string[], what: string) => {
    if (candidates.length > 1)
      throw new ConfigError(
        `the backup's database folder "${folder}" is the key folder of several ${what} (${candidates.map((c) => `"${c}"`).join(', ')}): their backups cannot be told apart by key; give them names that differ after replacing characters other than letters, digits, "." "_" "-"`,
      );
    return candidates[0];
  };
  const listed = Object.entries(settings.databases)
    .filter(([, entry]) => keySegment(entry.name) === folder)
    .map(([id]) => id);
  const byName = unique(listed, 'configured databases');
  if (byName !== undefined || settings.exclude === undefined) return byName;
  const named = Object.keys(settings.databaseSettings ?? {});
  if (named.includes(folder)) return undefined;
  return unique(
    named.filter((name) => keySegment(name) === folder),
    'databases in "databaseSettings"',
  );
}

/**
 * The libpq and secret variables of the selected database: its configured connection fields replace the task
 * environment's, which stay the fallback (local runs and single-database stacks set them).
 */
export function selectedDatabaseEnv(env: NodeJS.ProcessEnv, selected: SelectedDatabase | undefined): NodeJS.ProcessEnv {
  if (!selected) return env;
  const c = selected.connection;
  // The image's RDS bundle for verify-ca/verify-full unless a CA file is configured (the settings leave it out).
  const sslRootCert =
    c.sslRootCert ?? (c.sslMode && !env[LIBPQ_ENV.sslRootCert] ? defaultSslRootCert(c.sslMode as SslMode) : undefined);
  return {
    ...env,
    [LIBPQ_ENV.database]: selected.name,
    ...(c.host ? { [LIBPQ_ENV.host]: c.host } : {}),
    ...(c.port ? { [LIBPQ_ENV.port]: String(c.port) } : {}),
    ...(c.user ? { [LIBPQ_ENV.user]: c.user } : {}),
    ...(c.sslMode ? { [LIBPQ_ENV.sslMode]: c.sslMode } : {}),
    ...(sslRootCert ? { [LIBPQ_ENV.sslRootCert]: sslRootCert } : {}),
    ...(c.passwordSecret ? { [ENGINE_ENV.dbSecret]: c.passwordSecret } : {}),
    ...(c.passwordJsonField ? { [ENGINE_ENV.dbSecretJsonField]: c.passwordJsonField } : {}),
  };
}

/**
 * What the discovery task ("all") connects to: the shared connection's libpq and secret variables over the task
 * environment (the maintenance database is `PGDATABASE`, else `postgres`), and the patterns to leave out. Throws a
 * ConfigError when the settings do not discover.
 */
export function discoveryTarget(env: NodeJS.ProcessEnv): {
  readonly env: NodeJS.ProcessEnv;
  readonly exclude: readonly string[];
} {
  let value: unknown;
  try {
    value = JSON.parse(env[ENGINE_ENV.config] ?? '');
  } catch (error) {
    throw new ConfigError(`${ENGINE_ENV.config} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = fleetSettingsSchema.safeParse(value);
  if (!parsed.success || parsed.data.exclude === undefined)
    throw new ConfigError(
      `${ENGINE_ENV.config} does not discover its databases (no "exclude" in keyed settings): deploy with "databases": "all"`,
    );
  const name = env[LIBPQ_ENV.database]?.trim() || 'postgres';
  const server: SelectedDatabase = {
    id: name,
    name,
    connection: parsed.data.connection ?? {},
    engine: {},
    discovered: true,
  };
  return { env: selectedDatabaseEnv(env, server), exclude: parsed.data.exclude };
}
