import type { S3Client } from '@aws-sdk/client-s3';
import type pg from 'pg';
import { matchingPattern } from '../../lib/common/name-glob';
import { redact } from '../../lib/common/redact';
import { MAX_DATABASES } from '../../lib/common/rules';
import { databasesWithCompleteBackup } from '../common/backup-catalog';
import { NoDatabasesFound, TooManyDatabases } from '../common/errors';
import type { Logger } from '../common/log';
import { connect, type ConnectionParams } from '../common/pg-connection';
import type { StorageLocation } from '../common/s3';

/** What the discover task needs: the server to ask, the bucket to look for earlier backups in, the exclusions. */
export interface DiscoverSettings {
  /** The server, through one database on it (PGDATABASE, `postgres` by default). */
  readonly connection: ConnectionParams;
  readonly storage: StorageLocation;
  /** Glob patterns (`*`, `?`) on the database name; a database matching any of them is left out. */
  readonly exclude: readonly string[];
  /** This run: its own backups (a retried step) do not make a database old. @default - every backup counts */
  readonly runId?: string;
}

export interface DiscoverDeps {
  readonly s3: S3Client;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
}

/** One database to prove in this run. */
export interface DiscoveredDatabase {
  /** The database's name on the server (also its id: a discovered database has no entry of its own). */
  readonly database: string;
  /** No complete backup of this database was in the bucket before this run. */
  readonly isNew: boolean;
}

/** What the discover task reports: the Map's items (`$.databases`), sorted by name. */
export interface DiscoverResult {
  readonly databases: readonly DiscoveredDatabase[];
}

/**
 * The databases a backup can connect to: not a template (template0/template1 and any `IS_TEMPLATE` copy source),
 * connections allowed, and CONNECT granted to this role (a database it may not enter would fail every night).
 */
export const CONNECTABLE_DATABASES_SQL = `select datname from pg_database
  where datallowconn and not datistemplate and has_database_privilege(datname, 'CONNECT')`;

/** The outcome of applying the exclude patterns to the server's databases. */
export interface DatabaseSelection {
  /** Sorted by name. */
  readonly selected: readonly string[];
  /** Sorted by name, each with the first pattern that matched it. */
  readonly excluded: readonly { readonly database: string; readonly pattern: string }[];
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Pure: drops the names matching any of `exclude` and sorts the rest. */
export function selectDatabases(names: readonly string[], exclude: readonly string[]): DatabaseSelection {
  const selected: string[] = [];
  const excluded: { database: string; pattern: string }[] = [];
  for (const database of [...new Set(names)].sort(byName)) {
    const pattern = matchingPattern(exclude, database);
    if (pattern === undefined) selected.push(database);
    else excluded.push({ database, pattern });
  }
  return { selected, excluded };
}

/** `host:port` of the server, for messages: never the user's password, nor the database used to ask. */
export function describeServer(connection: Pick<ConnectionParams, 'host' | 'port'>): string {
  return `${connection.host}:${connection.port}`;
}

/** Names quoted and joined, at most `max` of them (error messages are cut at 500 characters). */
function quoted(names: readonly string[], max = 10): string {
  const shown = names
    .slice(0, max)
    .map((n) => `"${n}"`)
    .join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

/**
 * Pure: fails when the selection is empty (`NoDatabasesFound`) or holds more than `MAX_DATABASES`
 * (`TooManyDatabases`), naming the server, the user and the exclusions so the message says what to change.
 */
export function assertSelectionSize(
  selection: DatabaseSelection,
  connection: Pick<ConnectionParams, 'host' | 'port' | 'user'>,
  exclude: readonly string[],
): void {
  const server = describeServer(connection);
  const count = selection.selected.length;
  if (count === 0 && selection.excluded.length === 0) {
    throw new NoDatabasesFound(
      `no database on ${server} allows connections, is not a template and grants CONNECT to user "${connection.user}" ` +
        `(exclude patterns: ${exclude.length ? quoted(exclude) : 'none'}): grant CONNECT on the databases to prove to that user, or connect as another`,
    );
  }
  if (count === 0) {
    throw new NoDatabasesFound(
      `every database on ${server} that user "${connection.user}" can connect to matches an exclude pattern ` +
        `(${quoted(exclude)} left out ${quoted(selection.excluded.map((e) => e.database))}): narrow the exclude patterns`,
    );
  }
  if (count > MAX_DATABASES) {
    throw new TooManyDatabases(
      `${count} databases to back up on ${server}${exclude.length ? ` after the exclude patterns ${quoted(exclude)}` : ''}, more than the ${MAX_DATABASES} one stack proves in a run: ` +
        `add exclude patterns for the databases that need no proof, or split the databases across several stacks (each with its own exclude patterns)`,
    );
  }
}

/** The names of the databases this role can back up on the server `client` is connected to. */
export async function listConnectableDatabases(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ datname: string }>(CONNECTABLE_DATABASES_SQL);
  return rows.map((r) => r.datname);
}

/**
 * Discovers the databases to prove (`"databases": "all"`): the server's connectable databases minus the excluded
 * ones, sorted, each marked new when the bucket holds no complete backup of it (one listing of the prefix).
 */
export async function discoverDatabases(settings: DiscoverSettings, deps: DiscoverDeps): Promise<DiscoverResult> {
  const { logger } = deps;
  const server = describeServer(settings.connection);
  if (deps.signal?.aborted) throw deps.signal.reason;
  logger.info('discovering databases', { server, user: settings.connection.user, exclude: settings.exclude });
  const client = await connect(settings.connection, 'pgproof-discover');
  client.on('error', (error) => logger.warn('database connection error', { error: redact(String(error)) }));
  let names: string[];
  try {
    names = await listConnectableDatabases(client);
  } finally {
    await client.end().catch(() => undefined);
  }
  const selection = selectDatabases(names, settings.exclude);
  // Fail before reading the bucket: the size of the fleet is the user's to fix, whatever the bucket holds.
  assertSelectionSize(selection, settings.connection, settings.exclude);
  if (deps.signal?.aborted) throw deps.signal.reason;
  const backedUp = await databasesWithCompleteBackup(deps.s3, settings.storage, selection.selected, {
    ...(settings.runId ? { exceptRunId: settings.runId } : {}),
  });
  const databases = selection.selected.map((database) => ({ database, isNew: !backedUp.has(database) }));
  logger.info('databases discovered', {
    server,
    count: databases.length,
    new: databases.filter((d) => d.isNew).map((d) => d.database),
    excluded: selection.excluded.map((e) => e.database),
  });
  return { databases };
}
