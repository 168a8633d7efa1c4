import type pg from 'pg';
import { DumpFailed } from '../common/errors';
import { quoteIdent } from '../common/table-stats';

/**
 * Large objects the connected role cannot read: not owned by a role whose privileges it has, no SELECT granted
 * to it (or to PUBLIC or a role it inherits), while `lo_compat_privileges` is off. `pg_read_all_data` does not
 * cover large objects, so a backup role that relies on it fails here instead of halfway through pg_dump.
 */
export const UNREADABLE_LARGE_OBJECTS_SQL = `
select m.oid::text as oid, pg_get_userbyid(m.lomowner) as owner, count(*) over () as total
  from pg_largeobject_metadata m
 where current_setting('lo_compat_privileges') <> 'on'
   and not pg_has_role(current_user, m.lomowner, 'USAGE')
   and not exists (select 1 from aclexplode(m.lomacl) a
                    where a.privilege_type = 'SELECT' and (a.grantee = 0 or pg_has_role(current_user, a.grantee, 'USAGE')))
 order by m.oid
 limit 5`;

/** Throws DumpFailed naming the large objects the backup role cannot read and the grants that fix it. */
export async function assertLargeObjectsReadable(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ oid: string; owner: string; total: string }>(UNREADABLE_LARGE_OBJECTS_SQL);
  if (rows.length === 0) return;
  const { rows: me } = await client.query<{ user: string }>('select current_user as user');
  throw new DumpFailed(unreadableLargeObjectsMessage(me[0]!.user, Number(rows[0]!.total), rows));
}

/** Pure: the message for `total` unreadable large objects (examples: the first few). */
export function unreadableLargeObjectsMessage(
  user: string,
  total: number,
  examples: ReadonlyArray<{ oid: string; owner: string }>,
): string {
  const owners = [...new Set(examples.map((e) => e.owner))];
  const role = quoteIdent(user);
  return (
    `permission denied for large object ${examples[0]!.oid}: the backup role ${role} cannot read ${total} large object(s) ` +
    `(e.g. ${examples.map((e) => `${e.oid} owned by ${quoteIdent(e.owner)}`).join(', ')}); pg_read_all_data does not cover large objects. ` +
    `Either grant read access on each, as its owner or a superuser: GRANT SELECT ON LARGE OBJECT ${examples[0]!.oid} TO ${role}; ` +
    `(for all of them: DO $$ DECLARE o oid; BEGIN FOR o IN SELECT oid FROM pg_largeobject_metadata LOOP ` +
    `EXECUTE format('GRANT SELECT ON LARGE OBJECT %s TO ${role.replace(/'/g, "''")}', o); END LOOP; END $$; and again for objects created later), ` +
    `or make the backup role a member of the owning role (GRANT ${owners.map(quoteIdent).join(', ')} TO ${role}; it then has the owner's rights), ` +
    `or set lo_compat_privileges = on for it (ALTER ROLE ${role} SET lo_compat_privileges = on, as a superuser; turns off large-object permission checks for that role).`
  );
}
