import { describe, expect, it } from 'vitest';
import {
  compareDatabaseSettings,
  databaseSettingsStatements,
  setClause,
  splitGucList,
} from '../../../containers/common/database-settings';
import { createRoleOptions } from '../../../containers/common/dump-roles';
import type { DatabaseSettings } from '../../../containers/common/manifest';

describe('database settings (pure)', () => {
  it('splits stored list settings as pg_dump does, quoted names included', () => {
    expect(splitGucList('app, "My Schema", public')).toEqual(['app', 'My Schema', 'public']);
    expect(splitGucList('"$user", public')).toEqual(['$user', 'public']);
    expect(splitGucList('"a ""quoted"" name"')).toEqual(['a "quoted" name']);
    expect(splitGucList('""')).toEqual(['']);
    expect(splitGucList('')).toEqual([]);
  });

  it('renders SET clauses that store the same value again', () => {
    expect(setClause('work_mem', '64MB')).toBe(`set "work_mem" to '64MB'`);
    expect(setClause('search_path', 'app, "My Schema", public')).toBe(
      `set "search_path" to 'app', 'My Schema', 'public'`,
    );
    expect(setClause('app.note', "it's")).toBe(`set "app"."note" to 'it''s'`);
    expect(setClause('search_path', '')).toBe(`set "search_path" to ''`);
  });

  it('revokes from PUBLIC only what PUBLIC lacked on the source, and grants the rest to the target by its name', () => {
    const settings: DatabaseSettings = {
      settings: [{ role: 'app', name: 'statement_timeout', value: '5s' }],
      comment: null,
      grants: [
        { grantee: null, privilege: 'TEMPORARY', grantable: false },
        { grantee: 'app', privilege: 'CONNECT', grantable: true },
      ],
    };
    expect(databaseSettingsStatements(settings, 'New DB').map((s) => s.sql)).toEqual([
      `alter role "app" in database "New DB" set "statement_timeout" to '5s'`,
      'revoke connect on database "New DB" from public',
      'revoke create on database "New DB" from public',
      'grant temporary on database "New DB" to public',
      'grant connect on database "New DB" to "app" with grant option',
    ]);
  });

  it("leaves the database's privileges alone when asked to (a restore without owners and grants)", () => {
    const settings: DatabaseSettings = {
      settings: [{ role: null, name: 'work_mem', value: '8MB' }],
      comment: 'c',
      grants: [],
    };
    expect(databaseSettingsStatements(settings, 'db', { grants: false }).map((s) => s.sql)).toEqual([
      `alter database "db" set "work_mem" to '8MB'`,
      `comment on database "db" is 'c'`,
    ]);
  });

  it('names each difference between the backed-up and the restored state', () => {
    const expected: DatabaseSettings = {
      settings: [{ role: null, name: 'work_mem', value: '64MB' }],
      comment: 'c',
      grants: [{ grantee: 'a', privilege: 'CONNECT', grantable: false }],
    };
    const actual: DatabaseSettings = {
      settings: [],
      comment: null,
      grants: [
        { grantee: 'a', privilege: 'CONNECT', grantable: false },
        { grantee: null, privilege: 'CONNECT', grantable: false },
      ],
    };
    expect(compareDatabaseSettings(expected, actual)).toEqual([
      'setting work_mem=64MB missing',
      'comment is null, expected "c"',
      'grant CONNECT to PUBLIC not in the backup',
    ]);
    expect(compareDatabaseSettings(expected, expected)).toEqual([]);
  });
});

describe('roles for a restore (pure)', () => {
  it("creates roles NOLOGIN with the source's attributes, superuser included", () => {
    expect(createRoleOptions(undefined)).toBe('nologin');
    expect(
      createRoleOptions({
        name: 'su',
        superuser: true,
        createdb: false,
        createrole: true,
        inherit: false,
        replication: false,
        bypassrls: true,
      }),
    ).toBe('nologin superuser nocreatedb createrole noinherit noreplication bypassrls');
  });
});
