import { z } from 'zod';
import { ENGINE_ENV } from './engine-env';

/**
 * The fleet's settings as the backup and verify task definitions carry them in `ENGINE_ENV.config`, keyed by
 * database id; the container overrides carry only the id (`ENGINE_ENV.database`). Written by lib/engine-tasks.ts
 * and the local runner (lib/local/fleet-settings.ts), read by the engines (containers/common/database-selection.ts).
 * A plain engine configuration (checks, size guard, … at the top level) is still accepted: one database.
 * The engine part is validated by the engines' own schema after merging; this contract fixes the structure and the
 * merge rules, so the CDK app and the engines merge the same way.
 */

/** Engine fields a database may set for itself; each REPLACES the shared value (lists are not concatenated). */
export const DATABASE_ENGINE_KEYS = ['checks', 'freshness', 'sizeGuard', 'deepProof', 'restoreJobs'] as const;
export type DatabaseEngineKey = (typeof DATABASE_ENGINE_KEYS)[number];

/** How a task reaches one server: no secret value, only the secret's id. Absent fields fall back (see below). */
export const taskConnectionSchema = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  user: z.string().min(1).optional(),
  sslMode: z.string().min(1).optional(),
  sslRootCert: z.string().min(1).optional(),
  /** The password secret's id as GetSecretValue takes it: a name, a partial ARN or a complete ARN. */
  passwordSecret: z.string().min(1).optional(),
  /** The secret's JSON field holding the password. */
  passwordJsonField: z.string().min(1).optional(),
});
export type TaskConnection = z.infer<typeof taskConnectionSchema>;

/** A database's own engine fields (validated by the engine's schema once merged with the defaults). */
export const engineOverridesSchema = z.strictObject({
  checks: z.array(z.unknown()).optional(),
  freshness: z.array(z.unknown()).optional(),
  sizeGuard: z.record(z.string(), z.unknown()).optional(),
  deepProof: z.boolean().optional(),
  restoreJobs: z.number().optional(),
});
export type EngineOverrides = z.infer<typeof engineOverridesSchema>;

/** One listed database: its real name, the connection fields that differ from the shared ones, its engine fields. */
export const fleetDatabaseSchema = engineOverridesSchema.extend({
  name: z.string().min(1),
  connection: taskConnectionSchema.optional(),
});
export type FleetDatabase = z.infer<typeof fleetDatabaseSchema>;

export const fleetSettingsSchema = z.strictObject({
  /** The shared engine configuration (today's plain form). */
  defaults: z.record(z.string(), z.unknown()),
  /** The server connection every database shares, field by field, unless its entry gives its own. */
  connection: taskConnectionSchema.optional(),
  /** The listed databases by id. */
  databases: z.record(z.string(), fleetDatabaseSchema),
  /** Present when the fleet discovers its databases ("all"): name patterns (`*`, `?`) left out. */
  exclude: z.array(z.string()).optional(),
  /** Engine fields of discovered databases, by name. */
  databaseSettings: z.record(z.string(), engineOverridesSchema).optional(),
});
export type FleetSettings = z.infer<typeof fleetSettingsSchema>;

/** Whether a parsed `ENGINE_ENV.config` is the keyed form (a plain engine configuration has neither key). */
export function isFleetSettings(value: unknown): boolean {
  return typeof value === 'object' && value !== null && ('databases' in value || 'defaults' in value);
}

/**
 * `over`'s fields on top of `base`'s, one by one; each group of `groups` is taken whole from `over` when `over`
 * gives any of its fields (a database's own secret brings its own KMS key, never the shared one's).
 */
export function overlayFields<T extends object>(
  base: T | undefined,
  over: T | undefined,
  groups: ReadonlyArray<ReadonlyArray<keyof T>> = [],
): T {
  const out = { ...(base ?? {}) } as T;
  if (!over) return out;
  for (const group of groups) {
    if (group.some((k) => over[k] !== undefined)) for (const k of group) delete out[k];
  }
  for (const [k, v] of Object.entries(over)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** The fields of `source` that are a database's engine overrides. */
export function pickEngineOverrides(source: Readonly<Record<string, unknown>>): EngineOverrides {
  const out: Record<string, unknown> = {};
  for (const k of DATABASE_ENGINE_KEYS) if (source[k] !== undefined) out[k] = source[k];
  return out as EngineOverrides;
}

/** The engine configuration of one database: the defaults with its own fields replacing theirs. */
export function mergeEngine(
  defaults: Readonly<Record<string, unknown>>,
  overrides: EngineOverrides | undefined,
): Record<string, unknown> {
  return { ...defaults, ...(overrides ? pickEngineOverrides(overrides) : {}) };
}

/** A glob on database names: `*` any run of characters, `?` one character, everything else literal. */
export function globToRegExp(pattern: string): RegExp {
  const body = [...pattern]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 's');
}

/** Whether `name` matches any of the `exclude` patterns. */
export function isExcluded(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => globToRegExp(p).test(name));
}

/** The one database a task works on, fully merged. */
export interface SelectedDatabase {
  /** Its id (key folder, metric dimension). */
  readonly id: string;
  /** Its real name on the server. */
  readonly name: string;
  /** The shared connection with its own fields on top (possibly incomplete: the task environment fills the rest). */
  readonly connection: TaskConnection;
  /** The engine configuration, not yet validated. */
  readonly engine: Record<string, unknown>;
  /** Found by discovery ("all"), not listed. */
  readonly discovered: boolean;
}

/**
 * Selects the database `id` (the task's `ENGINE_ENV.database`; unset: the only listed database). A listed id gets
 * its entry; when the fleet discovers (`exclude` present), any other id is a discovered database's name, with the
 * shared connection, the defaults and `databaseSettings[name]`. Returns the problem instead of throwing (the
 * engines wrap it in their ConfigError).
 */
export function selectFleetDatabase(
  settings: FleetSettings,
  id: string | undefined,
): { readonly database: SelectedDatabase } | { readonly problem: string } {
  const ids = Object.keys(settings.databases);
  const known = () => (ids.length ? ids.map((i) => `"${i}"`).join(', ') : 'none');
  if (id === undefined || id === '') {
    if (ids.length !== 1 || settings.exclude !== undefined)
      return {
        problem: `${ENGINE_ENV.database} is not set and the configuration holds ${settings.exclude ? 'discovered databases' : `${ids.length} databases`} (known ids: ${known()}): set it to the id of the database to work on`,
      };
    return select(settings, ids[0]!);
  }
  if (Object.hasOwn(settings.databases, id)) return select(settings, id);
  if (settings.exclude === undefined)
    return {
      problem: `${ENGINE_ENV.database} is "${id}", which is not a database of this configuration (known ids: ${known()}); redeploy after adding it to "databases", or run one of the known ids`,
    };
  if (isExcluded(id, settings.exclude))
    return { problem: `${ENGINE_ENV.database} is "${id}", which the configuration's "exclude" leaves out` };
  return {
    database: {
      id,
      name: id,
      connection: { ...(settings.connection ?? {}) },
      engine: mergeEngine(settings.defaults, settings.databaseSettings?.[id]),
      discovered: true,
    },
  };
}

function select(settings: FleetSettings, id: string): { readonly database: SelectedDatabase } {
  const entry = settings.databases[id]!;
  return {
    database: {
      id,
      name: entry.name,
      connection: overlayFields<TaskConnection>(settings.connection, entry.connection),
      engine: mergeEngine(settings.defaults, entry),
      discovered: false,
    },
  };
}
