import type pg from 'pg';
import { quoteIdent } from '../../containers/common/table-stats';
import type { TargetFacts } from './restore-plan';

/** Another session connected to a database (it would block renaming or dropping it). */
export interface Session {
  readonly pid: number;
  readonly user: string | null;
  readonly application: string | null;
  readonly client: string | null;
}

export function describeSessions(sessions: readonly Session[]): string {
  return (
    sessions
      .slice(0, 5)
      .map(
        (s) =>
          `pid ${s.pid} (user ${s.user ?? '?'}${s.application ? `, application "${s.application}"` : ''}${s.client ? ` from ${s.client}` : ''})`,
      )
      .join(', ') + (sessions.length > 5 ? `, and ${sessions.length - 5} more` : '')
  );
}

/** Sessions other than ours connected to `database`. */
export async function otherSessions(client: pg.Client, database: string): Promise<Session[]> {
  const { rows } = await client.query<Session>(
    `select pid, usename as "user", nullif(application_name, '') as application, client_addr::text as client
       from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() order by pid`,
    [database],
  );
  return rows;
}

/** Ends the other sessions on `database` (only when the user asked for it). */
export async function terminateSessions(client: pg.Client, database: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    'select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
    [database],
  );
  return rows[0]?.n ?? 0;
}

/**
 * What the target server can hold: the restoring user's rights, tablespaces, roles, and which of the archive's
 * security-label providers are loaded (probed inside a transaction that is rolled back, so nothing changes).
 */
export async function targetFacts(
  client: pg.Client,
  serverMajor: number,
  labelProviders: readonly string[],
): Promise<TargetFacts> {
  const { rows: me } = await client.query<{ superuser: boolean; subs: boolean }>(
    `select rolsuper as superuser,
            rolsuper or ($1 >= 16 and exists (select 1 from pg_roles where rolname = 'pg_create_subscription' and pg_has_role(current_user, oid, 'MEMBER'))) as subs
       from pg_roles where rolname = current_user`,
    [serverMajor],
  );
  const { rows: spaces } = await client.query<{ name: string }>('select spcname as name from pg_tablespace');
  const { rows: roles } = await client.query<{ name: string; superuser: boolean }>(
    'select rolname as name, rolsuper as superuser from pg_roles',
  );
  const loaded = new Set<string>();
  for (const provider of labelProviders) {
    try {
      await client.query('begin');
      await client.query(
        `security label for ${quoteIdent(provider)} on database ${quoteIdent((await client.query<{ db: string }>('select current_database() as db')).rows[0]!.db)} is null`,
      );
      loaded.add(provider);
    } catch {
      // "security label provider … is not loaded" (or no right to label): the labels cannot be restored.
    } finally {
      await client.query('rollback');
    }
  }
  return {
    serverMajor,
    superuser: me[0]?.superuser ?? false,
    canCreateSubscriptions: me[0]?.subs ?? false,
    tablespaces: new Set(spaces.map((s) => s.name)),
    roles: new Map(roles.map((r) => [r.name, { superuser: r.superuser }])),
    labelProviders: loaded,
  };
}
