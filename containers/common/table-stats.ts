import type pg from 'pg';
import type { TableStat } from './manifest';

/**
 * Session settings under which row text is rendered for content hashes. Both sides (the dump's snapshot and the
 * restored copy) use exactly these, so a value renders to the same text wherever the server's defaults differ.
 */
export const HASH_SESSION_SETTINGS: Readonly<Record<string, string>> = {
  TimeZone: 'UTC',
  DateStyle: 'ISO, YMD',
  IntervalStyle: 'postgres',
  extra_float_digits: '3',
  bytea_output: 'hex',
  lc_monetary: 'C',
  lc_numeric: 'C',
};

export async function applyHashSessionSettings(client: pg.Client): Promise<void> {
  for (const [name, value] of Object.entries(HASH_SESSION_SETTINGS)) {
    await client.query('select set_config($1, $2, false)', [name, value]);
  }
}

export interface TableRef {
  readonly schema: string;
  readonly name: string;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualified(table: TableRef): string {
  return `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
}

/**
 * Ordinary tables and partitions whose data pg_dump writes: not system catalogs, not temporary tables, not
 * tables that belong to an extension (pg_dump dumps those only as part of `CREATE EXTENSION`). Partitioned
 * parents hold no rows of their own; their partitions are listed.
 */
export const LIST_TABLES_SQL = `
select n.nspname as schema, c.relname as name
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
 where c.relkind = 'r'
   and n.nspname not in ('pg_catalog', 'information_schema')
   and n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
   and not exists (select 1 from pg_depend d
                    where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
 order by 1, 2`;

export async function listTables(client: pg.Client): Promise<TableRef[]> {
  const { rows } = await client.query<{ schema: string; name: string }>(LIST_TABLES_SQL);
  return rows;
}

/**
 * Version of the content hash written by this code. 1 (manifests without `hashVersion`): md5 of the whole row
 * (`t::text`), which depends on the columns' physical order; 2: md5 of the columns in name order, so a column
 * whose position changes in a restore (inheritance, `ALTER TABLE … ADD COLUMN` on a parent) hashes the same.
 */
export const CONTENT_HASH_VERSION = 2;
export type ContentHashVersion = 1 | 2;

/** Compares like a byte-wise sort, so both sides order the columns identically whatever the locale. */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The table's live columns, in name order (what the version-2 hash reads). */
export async function hashColumns(client: pg.Client, table: TableRef): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    'select attname as name from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped',
    [qualified(table)],
  );
  return rows.map((r) => r.name).sort(byCodePoint);
}

/**
 * One scan per table: the exact row count and, for the deep proof, an order-independent hash of the rows: the
 * sum of the first 60 bits of each row's md5 (a sum needs no sort, and numeric never overflows). Version 2
 * renders the row from its columns in name order (`columns`), version 1 as the stored row.
 */
export function tableStatSql(table: TableRef, contentHash: boolean, columns?: readonly string[]): string {
  const from = `from only ${qualified(table)} as t`;
  if (!contentHash) return `select count(*)::bigint as rows ${from}`;
  // row(…) of one value renders as "(v)" and of none as "()", exactly like a composite of that many columns.
  const rowText = columns ? `row(${columns.map((c) => `t.${quoteIdent(c)}`).join(', ')})::text` : 't::text';
  return (
    `select count(*)::bigint as rows, ` +
    `coalesce(sum(('x' || substr(md5(${rowText}), 1, 15))::bit(60)::bigint::numeric), 0)::text as hash ${from}`
  );
}

/**
 * Counts (and optionally hashes) every table, one after another on this connection (and its snapshot).
 * `hashVersion` defaults to the current one; verify passes the manifest's, so older manifests stay verifiable.
 */
export async function tableStats(
  client: pg.Client,
  tables: readonly TableRef[],
  options: { contentHash: boolean; hashVersion?: ContentHashVersion; onTable?: (done: number, total: number) => void },
): Promise<TableStat[]> {
  const version = options.hashVersion ?? CONTENT_HASH_VERSION;
  const stats: TableStat[] = [];
  for (const table of tables) {
    const columns = options.contentHash && version >= 2 ? await hashColumns(client, table) : undefined;
    const { rows } = await client.query<{ rows: string; hash?: string }>(
      tableStatSql(table, options.contentHash, columns),
    );
    const row = rows[0];
    stats.push({
      schema: table.schema,
      name: table.name,
      rows: Number(row?.rows ?? 0),
      ...(options.contentHash ? { contentHash: `${row?.rows ?? 0}:${row?.hash ?? '0'}` } : {}),
    });
    options.onTable?.(stats.length, tables.length);
  }
  return stats;
}

export async function countLargeObjects(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: string }>('select count(*)::bigint as n from pg_largeobject_metadata');
  return Number(rows[0]?.n ?? 0);
}

/** Roles other than the predefined `pg_*` ones; verify creates the missing ones before restoring. */
export async function listRoles(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    "select rolname as name from pg_roles where rolname !~ '^pg_' order by 1",
  );
  return rows.map((r) => r.name);
}
