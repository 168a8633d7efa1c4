import type { EngineConfig } from '../containers/common/engine-config';
import type { DatabaseEngineOverrides } from './config';
import {
  DATABASE_ENGINE_KEYS,
  type FleetDatabase,
  type FleetSettings,
  type TaskConnection,
} from './contracts/fleet-settings';

/**
 * Renders the keyed task settings (`ENGINE_ENV.config`, lib/contracts/fleet-settings.ts) from resolved databases:
 * each entry holds only what differs from the shared connection and the top-level engine configuration, so 200
 * databases that share a server cost little more than their names. Pure; used by the task definitions and the
 * local runner.
 */

/** One database for the settings: its id, name, full connection (task form) and full engine configuration. */
export interface SettingsDatabase {
  readonly id: string;
  readonly name: string;
  /** @default - none: the task environment's libpq variables (single-database stacks, local runs) */
  readonly connection?: TaskConnection;
  readonly engine: EngineConfig;
}

export interface FleetSettingsInput {
  /** The top-level engine configuration. */
  readonly defaults: EngineConfig;
  /** The connection the databases share (and the server "all" discovers on). @default - none */
  readonly connection?: TaskConnection;
  /** The listed databases. */
  readonly databases: readonly SettingsDatabase[];
  /** Given when the fleet discovers its databases ("all"). @default - the listed databases only */
  readonly discover?: {
    readonly exclude: readonly string[];
    readonly databaseSettings: Readonly<Record<string, DatabaseEngineOverrides>>;
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The fields of `full` that `shared` does not already give (the engines lay them over `shared` again). */
function connectionDiff(shared: TaskConnection | undefined, full: TaskConnection): TaskConnection {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(full))
    if (v !== undefined && !same(v, shared?.[k as keyof TaskConnection])) out[k] = v;
  return out as TaskConnection;
}

export function renderFleetSettings(input: FleetSettingsInput): FleetSettings {
  const databases: Record<string, FleetDatabase> = {};
  for (const d of input.databases) {
    const entry: Record<string, unknown> = { name: d.name };
    if (d.connection) {
      const diff = connectionDiff(input.connection, d.connection);
      if (Object.keys(diff).length > 0) entry.connection = diff;
    }
    for (const k of DATABASE_ENGINE_KEYS)
      if (d.engine[k] !== undefined && !same(d.engine[k], input.defaults[k])) entry[k] = d.engine[k];
    databases[d.id] = entry as FleetDatabase;
  }
  return {
    defaults: input.defaults as Record<string, unknown>,
    ...(input.connection ? { connection: input.connection } : {}),
    databases,
    ...(input.discover
      ? {
          exclude: [...input.discover.exclude],
          ...(Object.keys(input.discover.databaseSettings).length > 0
            ? { databaseSettings: { ...input.discover.databaseSettings } as FleetSettings['databaseSettings'] }
            : {}),
        }
      : {}),
  };
}

/** The serialized size of each database's part of the settings, largest first (for the budget's error). */
export function largestEntries(
  settings: FleetSettings,
  count = 3,
): Array<{ readonly id: string; readonly bytes: number }> {
  const sizes = [
    ...Object.entries(settings.databases).map(([id, e]) => ({ id, bytes: Buffer.byteLength(JSON.stringify(e)) })),
    ...Object.entries(settings.databaseSettings ?? {}).map(([name, e]) => ({
      id: `databaseSettings.${name}`,
      bytes: Buffer.byteLength(JSON.stringify(e)),
    })),
  ];
  return sizes.sort((a, b) => b.bytes - a.bytes).slice(0, count);
}
