import type pg from 'pg';
import type { DatabaseGrant, DatabaseSettings } from './manifest';
import { quoteIdent } from './table-stats';

/**
 * Database-level state that pg_dump writes only with `--create` (which pgproof does not use, so a restore can go
 * into a database of any name): `ALTER DATABASE … SET`, `ALTER ROLE … IN DATABASE … SET`, `COMMENT ON DATABASE`
 * and `GRANT … ON DATABASE`. Read from the catalogs in the dump's snapshot, applied after a restore.
 */

const PRIVILEGES = ['CONNECT', 'CREATE', 'TEMPORARY'] as const;

/** Reads the settings, comment and grants of `database` (default: the connected one). Works without superuser. */
export async function readDatabaseSettings(client: pg.Client, database?: string): Promise<DatabaseSettings> {
  const which = database === undefined ? 'current_database()' : '$1';
  const params = database === undefined ? [] : [database];
  const { rows: settingRows } = await client.query<{ role: string | null; config: string[] }>(
    `select r.rolname as role, s.setconfig as config
       from pg_db_role_setting s
       join pg_database d on d.oid = s.setdatabase
       left join pg_roles r on r.oid = s.setrole
      where d.datname = ${which}`,
    params,
  );
  const settings = settingRows.flatMap((row) =>
    (row.config ?? []).map((entry) => {
      const at = entry.indexOf('=');
      return { role: row.role, name: entry.slice(0, at), value: entry.slice(at + 1) };
    }),
  );
  const { rows: commentRows } = await client.query<{ comment: string | null }>(
    `select shobj_description(oid, 'pg_database') as comment from pg_database where datname = ${which}`,
    params,
  );
  // A database whose privileges were never changed has a null ACL: spell out the defaults so they compare.
  const { rows: grantRows } = await client.query<DatabaseGrant>(
    `select case when a.grantee = 0 then null else pg_get_userbyid(a.grantee) end as grantee,
            a.privilege_type as privilege, a.is_grantable as grantable
       from pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
      where d.datname = ${which} and a.grantee <> d.datdba`,
    params,
  );
  return {
    settings: sortSettings(settings),
    comment: commentRows[0]?.comment ?? null,
    grants: normalizeGrants(grantRows),
  };
}

function sortSettings(settings: DatabaseSettings['settings']): DatabaseSettings['settings'] {
  return [...settings].sort((a, b) => settingKey(a).localeCompare(settingKey(b)));
}

function settingKey(s: DatabaseSettings['settings'][number]): string {
  return `${s.role ?? ''}\u0000${s.name}=${s.value}`;
}

/** One entry per grantee and privilege (several grantors collapse), sorted. */
export function normalizeGrants(grants: readonly DatabaseGrant[]): DatabaseGrant[] {
  const merged = new Map<string, DatabaseGrant>();
  for (const g of grants) {
    const key = `${g.grantee ?? ''}\u0000${g.privilege}`;
    const seen = merged.get(key);
    merged.set(key, {
      grantee: g.grantee,
      privilege: g.privilege,
      grantable: g.grantable || (seen?.grantable ?? false),
    });
  }
  return [...merged.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, g]) => g);
}

/** Settings whose value is a list of names: pg_dump re-quotes each element (dumputils.c variable_is_guc_list_quote). */
const LIST_SETTINGS = new Set([
  'local_preload_libraries',
  'search_path',
  'session_preload_libraries',
  'shared_preload_libraries',
  'temp_tablespaces',
  'unix_socket_directories',
]);

/** Splits a stored list value (`a, "b c"`) into its elements, as pg_dump's SplitGUCList does. */
export function splitGucList(value: string): string[] {
  const out: string[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < value.length && /\s/.test(value[i]!)) i++;
  };
  skipSpace();
  if (i >= value.length) return out;
  for (;;) {
    let element = '';
    if (value[i] === '"') {
      i++;
      for (;;) {
        if (i >= value.length) return out; // unterminated quote: keep what was complete
        if (value[i] === '"') {
          if (value[i + 1] === '"') {
            element += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        element += value[i++];
      }
    } else {
      while (i < value.length && value[i] !== ',' && !/\s/.test(value[i]!)) element += value[i++];
    }
    out.push(element);
    skipSpace();
    if (value[i] === ',') {
      i++;
      skipSpace();
      continue;
    }
    return out;
  }
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The `SET name TO value` clause that stores exactly `value` again (pg_dump's makeAlterConfigCommand). */
export function setClause(name: string, value: string): string {
  const quotedName = name.split('.').map(quoteIdent).join('.');
  const rendered = LIST_SETTINGS.has(name.toLowerCase()) ? splitGucList(value).map(literal).join(', ') : literal(value);
  return `set ${quotedName} to ${rendered || "''"}`;
}

/** The statements that give `database` these settings, comment and grants (pure; roles must exist). */
export function databaseSettingsStatements(
  settings: DatabaseSettings,
  database: string,
  options: { grants: boolean } = { grants: true },
): Array<{ sql: string; role: string | null; what: string }> {
  const db = quoteIdent(database);
  const statements: Array<{ sql: string; role: string | null; what: string }> = [];
  for (const s of settings.settings) {
    const sql =
      s.role === null
        ? `alter database ${db} ${setClause(s.name, s.value)}`
        : `alter role ${quoteIdent(s.role)} in database ${db} ${setClause(s.name, s.value)}`;
    statements.push({ sql, role: s.role, what: `setting ${s.role === null ? '' : `${s.role}: `}${s.name}=${s.value}` });
  }
  if (settings.comment !== null)
    statements.push({ sql: `comment on database ${db} is ${literal(settings.comment)}`, role: null, what: 'comment' });
  if (!options.grants) return statements;
  // PUBLIC keeps only what it had on the source; grants of other roles on the target are left alone.
  const publicHas = new Set(settings.grants.filter((g) => g.grantee === null).map((g) => g.privilege));
  for (const privilege of PRIVILEGES) {
    if (!publicHas.has(privilege))
      statements.push({
        sql: `revoke ${privilege.toLowerCase()} on database ${db} from public`,
        role: null,
        what: `revoke ${privilege} from PUBLIC`,
      });
  }
  for (const g of settings.grants) {
    const to = g.grantee === null ? 'public' : quoteIdent(g.grantee);
    statements.push({
      sql: `grant ${g.privilege.toLowerCase()} on database ${db} to ${to}${g.grantable ? ' with grant option' : ''}`,
      role: g.grantee,
      what: `grant ${g.privilege} to ${g.grantee ?? 'PUBLIC'}`,
    });
  }
  return statements;
}

export interface AppliedDatabaseSettings {
  /** What was applied, one line each. */
  readonly applied: string[];
  /** What could not be applied and why (a missing role, a refused statement). */
  readonly problems: string[];
}

/**
 * Applies the backed-up settings, comment and grants to `targetName` on the server `client` is connected to (as
 * a superuser or the database's owner). Nothing throws for one statement: each refusal, and each role the server
 * lacks, is returned in `problems` so the caller reports it (verify fails on it, restore warns). With
 * `grants: false` the database's privileges are left as they are (a restore without owners and grants).
 */
export async function applyDatabaseSettings(
  client: pg.Client,
  settings: DatabaseSettings,
  targetName: string,
  options: { grants: boolean } = { grants: true },
): Promise<AppliedDatabaseSettings> {
  const { rows } = await client.query<{ name: string }>('select rolname as name from pg_roles');
  const roles = new Set(rows.map((r) => r.name));
  const applied: string[] = [];
  const problems: string[] = [];
  for (const statement of databaseSettingsStatements(settings, targetName, options)) {
    if (statement.role !== null && !roles.has(statement.role)) {
      problems.push(`${statement.what}: role "${statement.role}" does not exist on this server`);
      continue;
    }
    try {
      await client.query(statement.sql);
      applied.push(statement.what);
    } catch (error) {
      problems.push(`${statement.what}: ${(error as Error).message}`);
    }
  }
  return { applied, problems };
}

/** Differences between the backed-up and the restored database-level state (empty: identical). Pure. */
export function compareDatabaseSettings(expected: DatabaseSettings, actual: DatabaseSettings): string[] {
  const problems: string[] = [];
  const describe = (s: DatabaseSettings['settings'][number]) =>
    `${s.role === null ? '' : `${s.role} in database: `}${s.name}=${s.value}`;
  const want = new Set(expected.settings.map(describe));
  const have = new Set(actual.settings.map(describe));
  for (const s of want) if (!have.has(s)) problems.push(`setting ${s} missing`);
  for (const s of have) if (!want.has(s)) problems.push(`setting ${s} not in the backup`);
  if (expected.comment !== actual.comment)
    problems.push(`comment is ${JSON.stringify(actual.comment)}, expected ${JSON.stringify(expected.comment)}`);
  const grant = (g: DatabaseGrant) =>
    `${g.privilege} to ${g.grantee ?? 'PUBLIC'}${g.grantable ? ' with grant option' : ''}`;
  const wantGrants = new Set(normalizeGrants(expected.grants).map(grant));
  const haveGrants = new Set(normalizeGrants(actual.grants).map(grant));
  for (const g of wantGrants) if (!haveGrants.has(g)) problems.push(`grant ${g} missing`);
  for (const g of haveGrants) if (!wantGrants.has(g)) problems.push(`grant ${g} not in the backup`);
  return problems;
}
