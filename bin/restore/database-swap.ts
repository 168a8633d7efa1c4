import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { connect, type ConnectionParams } from '../../containers/common/pg-connection';
import { quoteIdent } from '../../containers/common/table-stats';
import { RestoreRefused } from './restore-errors';
import { describeSessions, otherSessions, terminateSessions } from './target-server';

/** PostgreSQL truncates identifiers to 63 bytes; our suffix must survive that. */
const MAX_NAME_BYTES = 63;

/** `<target>_pgproof_<kind>_<hex>`, shortened so the whole name fits in 63 bytes. */
export function sideDatabaseName(target: string, kind: 'new' | 'old', random: Buffer = randomBytes(4)): string {
  const suffix = `_pgproof_${kind}_${random.toString('hex')}`;
  let base = target;
  while (Buffer.byteLength(base + suffix) > MAX_NAME_BYTES) base = [...base].slice(0, -1).join('');
  return base + suffix;
}

/** Whether the restoring user may replace the target database (create a new one, rename and drop the old). */
export async function checkCanReplace(client: pg.Client, target: string): Promise<void> {
  const { rows } = await client.query<{ createdb: boolean; owns: boolean; owner: string }>(
    `select r.rolsuper or r.rolcreatedb as createdb, pg_has_role(current_user, d.datdba, 'USAGE') as owns, pg_get_userbyid(d.datdba) as owner
       from pg_roles r, pg_database d where r.rolname = current_user and d.datname = $1`,
    [target],
  );
  const me = rows[0];
  if (!me?.createdb || !me.owns) {
    throw new RestoreRefused(
      `--force restores into a new database and then swaps it for ${quoteIdent(target)}, which needs the CREATEDB right and ownership of ${quoteIdent(target)} ` +
        `(owned by ${quoteIdent(me?.owner ?? '?')}); nothing was changed. Restore as the database's owner with CREATEDB (or a superuser), or into a new, empty database without --force`,
    );
  }
}

/** Refuses (or, when asked, ends) other sessions on the target: a connected database cannot be renamed away. */
export async function clearSessions(
  client: pg.Client,
  target: string,
  terminate: boolean,
  stateIfRefused: string,
): Promise<void> {
  const sessions = await otherSessions(client, target);
  if (sessions.length === 0) return;
  if (!terminate) {
    throw new RestoreRefused(
      `the target database ${quoteIdent(target)} has ${sessions.length} other connection(s): ${describeSessions(sessions)}. ${stateIfRefused} ` +
        'Stop the applications using it, or pass --terminate-connections to end these sessions',
    );
  }
  await terminateSessions(client, target);
}

/**
 * Creates an empty database like the target (encoding, locale, owner when we may give it), from template0 so
 * that nothing of template1 sneaks in.
 */
export async function createDatabaseLike(client: pg.Client, target: string, name: string): Promise<void> {
  const { rows } = await client.query<{ d: Record<string, unknown>; owner: string; mayGive: boolean }>(
    `select to_jsonb(d) as d, pg_get_userbyid(d.datdba) as owner, pg_has_role(current_user, d.datdba, 'MEMBER') as "mayGive"
       from pg_database d where datname = $1`,
    [target],
  );
  const row = rows[0];
  if (!row) throw new RestoreRefused(`the target database ${quoteIdent(target)} does not exist`);
  const d = row.d;
  const literal = (v: unknown) => `'${String(v).replace(/'/g, "''")}'`;
  const parts = [
    `template template0`,
    `encoding ${literal(await encodingName(client, Number(d.encoding)))}`,
    `lc_collate ${literal(d.datcollate)}`,
    `lc_ctype ${literal(d.datctype)}`,
  ];
  // ICU databases: the locale column is daticulocale on 15/16 and datlocale on 17+.
  if (d.datlocprovider === 'i')
    parts.push('locale_provider icu', `icu_locale ${literal(d.daticulocale ?? d.datlocale)}`);
  if (row.mayGive) parts.push(`owner ${quoteIdent(row.owner)}`);
  await client.query(`create database ${quoteIdent(name)} with ${parts.join(' ')}`);
}

async function encodingName(client: pg.Client, encoding: number): Promise<string> {
  const { rows } = await client.query<{ name: string }>('select pg_encoding_to_char($1) as name', [encoding]);
  return rows[0]!.name;
}

export async function dropDatabase(params: ConnectionParams, via: string, name: string): Promise<void> {
  const client = await connect({ ...params, database: via }, 'pgproof-restore');
  try {
    await client.query(`drop database if exists ${quoteIdent(name)}`);
  } finally {
    await client.end();
  }
}

/**
 * Swaps the restored database in: target → old name, new → target, then drops the old one. Each rename runs from
 * a database that is not the one renamed. On a failed rename, the previous names are put back.
 * Returns whether the old database was dropped (a failed drop leaves it under `old`, which is reported).
 */
export async function swapIn(
  params: ConnectionParams,
  names: { target: string; fresh: string; old: string },
  terminate: boolean,
): Promise<{ oldDropped: boolean; dropError?: string }> {
  const onFresh = await connect({ ...params, database: names.fresh }, 'pgproof-restore');
  try {
    await clearSessions(
      onFresh,
      names.target,
      terminate,
      `The target was not touched; the restored, checked copy is kept in database ${quoteIdent(names.fresh)} (rename it yourself once the connections are gone, or drop it).`,
    );
    await onFresh.query(`alter database ${quoteIdent(names.target)} rename to ${quoteIdent(names.old)}`);
  } finally {
    await onFresh.end();
  }
  const onOld = await connect({ ...params, database: names.old }, 'pgproof-restore');
  try {
    await onOld.query(`alter database ${quoteIdent(names.fresh)} rename to ${quoteIdent(names.target)}`);
  } catch (error) {
    await onOld.end();
    const back = await connect({ ...params, database: names.fresh }, 'pgproof-restore');
    try {
      await back.query(`alter database ${quoteIdent(names.old)} rename to ${quoteIdent(names.target)}`);
    } finally {
      await back.end();
    }
    throw error;
  }
  await onOld.end();
  try {
    await dropDatabase(params, names.target, names.old);
    return { oldDropped: true };
  } catch (error) {
    return { oldDropped: false, dropError: (error as Error).message };
  }
}
