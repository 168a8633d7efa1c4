import type pg from 'pg';
import type { RoleAttributes } from './manifest';
import { quoteIdent } from './table-stats';

/** First OID handed out to user objects (objects below it come with initdb, and pg_dump leaves them out). */
const FIRST_NORMAL_OBJECT_ID = 16384;

/** Catalogs with an owner column (and an ACL column), for the bootstrap superuser, which pg_shdepend never records. */
const OWNED: ReadonlyArray<
  readonly [catalog: string, owner: string, acl: string | null, from?: string, also?: string]
> = [
  // Temporary schemas are created on demand, owned by the bootstrap superuser; pg_dump skips them and their tables.
  ['pg_namespace', 'nspowner', 'nspacl', undefined, "x.nspname !~ '^pg_(toast_)?temp_'"],
  ['pg_class', 'relowner', 'relacl', undefined, "x.relpersistence <> 't'"],
  ['pg_proc', 'proowner', 'proacl'],
  [
    'pg_type',
    'typowner',
    'typacl',
    undefined,
    "x.typnamespace not in (select n.oid from pg_namespace n where n.nspname ~ '^pg_(toast_)?temp_')",
  ],
  ['pg_collation', 'collowner', null],
  ['pg_conversion', 'conowner', null],
  ['pg_operator', 'oprowner', null],
  ['pg_opclass', 'opcowner', null],
  ['pg_opfamily', 'opfowner', null],
  ['pg_ts_config', 'cfgowner', null],
  ['pg_ts_dict', 'dictowner', null],
  ['pg_language', 'lanowner', 'lanacl'],
  ['pg_foreign_data_wrapper', 'fdwowner', 'fdwacl'],
  ['pg_foreign_server', 'srvowner', 'srvacl'],
  ['pg_event_trigger', 'evtowner', null],
  ['pg_publication', 'pubowner', null],
  ['pg_statistic_ext', 'stxowner', null],
  ['pg_largeobject_metadata', 'lomowner', 'lomacl'],
  ['pg_default_acl', 'defaclrole', 'defaclacl'],
  // pg_user_mapping itself is readable by superusers only; its view is not.
  ['pg_user_mapping', 'umuser', null, '(select umid as oid, umuser from pg_user_mappings)'],
];

function bootstrapSuperuserUsed(): string {
  const notInExtension = (catalog: string) =>
    `not exists (select 1 from pg_depend d where d.classid = '${catalog}'::regclass and d.objid = x.oid and d.deptype = 'e')`;
  return OWNED.map(([catalog, owner, acl, from, also]) => {
    const mentioned = acl
      ? `(x.${owner} = 10 or 10 in (select a.grantee from aclexplode(x.${acl}) a))`
      : `x.${owner} = 10`;
    return `select 1 from ${from ?? catalog} x where x.oid >= ${FIRST_NORMAL_OBJECT_ID} and ${mentioned} and ${notInExtension(catalog)}${also ? ` and ${also}` : ''}`;
  }).join('\n union all ');
}

/**
 * Every role the dump of the current database names: owners, ACL grantees and grantors, default privileges,
 * policy roles, user mappings (all recorded in pg_shdepend, except objects of extensions, which pg_dump
 * creates through `CREATE EXTENSION`), plus what pg_shdepend never holds: the bootstrap superuser (OID 10) when
 * it owns or is granted a dumped object, subscription owners, and the roles of the database-level settings and
 * grants that pgproof backs up beside the dump. Predefined `pg_*` roles exist on every server and are left out.
 */
export const REFERENCED_ROLES_SQL = `
with db as (select oid, datacl from pg_database where datname = current_database()),
referenced as (
  select s.refobjid as role
    from pg_shdepend s, db
   where s.dbid = db.oid
     and s.refclassid = 'pg_authid'::regclass
     and s.deptype in ('o', 'a', 'r')
     and s.classid <> 'pg_extension'::regclass
     and not exists (select 1 from pg_depend d where d.classid = s.classid and d.objid = s.objid and d.deptype = 'e')
     and not exists (select 1 from pg_class c where s.classid = 'pg_class'::regclass and c.oid = s.objid and c.relpersistence = 't')
  union
  select 10::oid where exists (${bootstrapSuperuserUsed()})
  union
  select r.setrole from pg_db_role_setting r, db where r.setdatabase = db.oid and r.setrole <> 0
  union
  select a.grantee from db, aclexplode(db.datacl) a where a.grantee <> 0
  union
  select sub.subowner from pg_subscription sub, db where sub.subdbid = db.oid
)
select r.rolname as name, r.rolsuper as superuser, r.rolcreatedb as createdb, r.rolcreaterole as createrole,
       r.rolinherit as inherit, r.rolreplication as replication, r.rolbypassrls as bypassrls
  from pg_roles r join referenced x on x.role = r.oid
 where r.rolname !~ '^pg_'
 order by 1`;

/** The roles the dump refers to, with their attributes (read from pg_roles: works without superuser). */
export async function listReferencedRoles(client: pg.Client): Promise<RoleAttributes[]> {
  const { rows } = await client.query<RoleAttributes>(REFERENCED_ROLES_SQL);
  return rows;
}

/**
 * The options of `CREATE ROLE` that give a role the source's attributes, always NOLOGIN: a restored role is an
 * owner of objects, not an account anyone can log in with.
 */
export function createRoleOptions(attributes: RoleAttributes | undefined): string {
  if (!attributes) return 'nologin';
  return [
    'nologin',
    attributes.superuser ? 'superuser' : 'nosuperuser',
    attributes.createdb ? 'createdb' : 'nocreatedb',
    attributes.createrole ? 'createrole' : 'nocreaterole',
    attributes.inherit ? 'inherit' : 'noinherit',
    attributes.replication ? 'replication' : 'noreplication',
    attributes.bypassrls ? 'bypassrls' : 'nobypassrls',
  ].join(' ');
}

/**
 * Creates, in the throwaway cluster, the roles the dump refers to that it lacks, with the source's attributes
 * (superusers included: objects only a superuser may own, such as event triggers and foreign-data wrappers,
 * then restore with their owner). Returns the roles created.
 */
export async function createReferencedRoles(
  admin: pg.Client,
  roles: readonly string[],
  attributes: readonly RoleAttributes[] = [],
): Promise<string[]> {
  const { rows } = await admin.query<{ name: string }>('select rolname as name from pg_roles');
  const existing = new Set(rows.map((r) => r.name));
  const byName = new Map(attributes.map((a) => [a.name, a]));
  const created: string[] = [];
  for (const role of roles) {
    if (existing.has(role)) continue;
    await admin.query(`create role ${quoteIdent(role)} ${createRoleOptions(byName.get(role))}`);
    created.push(role);
  }
  return created;
}
