import type { EngineConfig } from '../../containers/common/engine-config';
import { ConfigError } from '../common/errors';
import { databaseIdProblem, MAX_CONCURRENCY_RANGE, MAX_DATABASES } from '../common/rules';
import { DEFAULT_MAX_CONCURRENCY } from '../common/defaults';
import { type DatabaseEngineOverrides, parseEngineConfigPart, parseLocalFleetPart } from '../config';
import { type FleetSettings, pickEngineOverrides } from '../contracts/fleet-settings';
import { renderFleetSettings } from '../engine-settings';

/**
 * The databases of a local run and the task settings that go with them. Every database is on the server of
 * `--database-url` (its database part is only the default when no list is given): connection fields of the
 * file's entries are not used locally, their ids and engine fields are. Flags win over the file.
 */
export interface LocalFleetOptions {
  /** The configuration file's parsed JSON. @default - none: the engine defaults */
  readonly file?: unknown;
  /** The file's name, for errors. @default 'pgproof.config.json' */
  readonly source?: string;
  /** The database part of `--database-url` (or PGDATABASE): the one database when nothing lists several. */
  readonly urlDatabase: string;
  /** `--databases a,b,c` (names) or `--databases all`. @default - the file's `databases` */
  readonly databases?: readonly string[] | 'all';
  /** `--exclude-databases` patterns (with "all"). @default - the file's `exclude` */
  readonly exclude?: readonly string[];
  /** `--max-concurrency`. @default - the file's `maxConcurrency`, else 4 */
  readonly maxConcurrency?: number;
}

export interface LocalFleet {
  /** The value of `ENGINE_ENV.config`: the plain engine configuration for one database, else keyed by id. */
  readonly config: FleetSettings | EngineConfig;
  /** The ids the Map iterates over (each a task's `ENGINE_ENV.database`), or "all" (discovered at run time). */
  readonly ids: string[] | 'all';
  readonly maxConcurrency: number;
}

/** Builds a local run's task settings and database ids. Pure; throws ConfigError naming the flag or field. */
export function localFleet(options: LocalFleetOptions): LocalFleet {
  const source = options.source ?? 'pgproof.config.json';
  const file = options.file ?? {};
  const defaults = parseEngineConfigPart(file, source);
  const part = parseLocalFleetPart(file, source);
  const maxConcurrency = options.maxConcurrency ?? part?.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
  const { min, max } = MAX_CONCURRENCY_RANGE;
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < min || maxConcurrency > max)
    throw new ConfigError(`--max-concurrency must be a whole number from ${min} to ${max}; got ${maxConcurrency}`);

  const listed = options.databases ?? (part?.database === undefined ? part?.databases : undefined);
  if (options.exclude !== undefined && listed !== 'all')
    throw new ConfigError('--exclude-databases applies only with --databases all (or "databases": "all" in the file)');
  if (listed === undefined) return { config: defaults, ids: [options.urlDatabase], maxConcurrency };

  if (listed === 'all') {
    const settings: Readonly<Record<string, DatabaseEngineOverrides>> = part?.databaseSettings ?? {};
    return {
      config: renderFleetSettings({
        defaults,
        databases: [],
        discover: { exclude: options.exclude ?? part?.exclude ?? [], databaseSettings: settings },
      }),
      ids: 'all',
      maxConcurrency,
    };
  }

  // The file's entries by id, so that `--databases` can name them and keep their own engine fields.
  const entries = new Map<string, { name: string; overrides: DatabaseEngineOverrides }>();
  for (const item of part?.databases === 'all' ? [] : (part?.databases ?? [])) {
    const entry = typeof item === 'string' ? { name: item } : item;
    entries.set(entry.id ?? entry.name, {
      name: entry.name,
      overrides: pickEngineOverrides(entry) as DatabaseEngineOverrides,
    });
  }
  const fromFlag = options.databases !== undefined;
  const ids = fromFlag ? [...(listed as readonly string[])] : [...entries.keys()];
  if (ids.length === 0) throw new ConfigError('--databases must name at least one database');
  if (ids.length > MAX_DATABASES)
    throw new ConfigError(`--databases names ${ids.length} databases; at most ${MAX_DATABASES}`);
  const seen = new Set<string>();
  for (const id of ids) {
    const problem = databaseIdProblem(`--databases: "${id}"`, id);
    if (problem) throw new ConfigError(problem);
    if (seen.has(id)) throw new ConfigError(`--databases names "${id}" twice`);
    seen.add(id);
  }
  const databases = ids.map((id) => {
    const entry = entries.get(id);
    return { id, name: entry?.name ?? id, engine: { ...defaults, ...(entry?.overrides ?? {}) } as EngineConfig };
  });
  return { config: renderFleetSettings({ defaults, databases }), ids, maxConcurrency };
}
