import { describe, expect, it } from 'vitest';
import { describeRestore, describeRestoreFailure } from '../../bin/cli/restore-output';
import { ConfigError, RestoreFailed } from '../../containers/common/errors';
import type { Manifest } from '../../containers/common/manifest';
import { parseTocList, scanSchemaScript, type ArchiveContents } from '../../bin/restore/archive-contents';
import { checkBackupKey, checkManifestDescribes } from '../../bin/restore/backup-key';
import { sideDatabaseName } from '../../bin/restore/database-swap';
import { RestoreRefused, withTargetState } from '../../bin/restore/restore-errors';
import { planRestore, type TargetFacts } from '../../bin/restore/restore-plan';
import { pgRestoreArgs } from '../../containers/common/pg-restore';

const KEY = 'pgproof/app/2026-11-24/20261124T030000Z-0123456789.dump.zst';

describe('backup keys (issue 10.9)', () => {
  it('accepts a key a run printed', () => {
    expect(() => checkBackupKey(KEY, 'pgproof')).not.toThrow();
    expect(() => checkBackupKey('a/b/app/2026-11-24/20261124T030000Z-0123456789.dump', 'a/b/')).not.toThrow();
    expect(() => checkBackupKey('app/2026-11-24/20261124T030000Z-0123456789.dump', '')).not.toThrow();
  });

  it.each([
    ['../x.dump', /may not contain "\.\."/],
    ['pgproof/../secret/2026-11-24/20261124T030000Z-0123456789.dump.zst', /may not contain/],
    ['pgproof//2026-11-24/20261124T030000Z-0123456789.dump.zst', /empty path segments/],
    ['other/app/2026-11-24/20261124T030000Z-0123456789.dump.zst', /outside the prefix "pgproof\/"/],
    ['pgproofx/app/2026-11-24/20261124T030000Z-0123456789.dump.zst', /outside the prefix/],
    ['pgproof/app/2026-11-24/20261124T030000Z-0123456789.manifest.json', /not a backup key/],
    ['pgproof/app/20261124T030000Z-0123456789.dump.zst', /not a backup key/],
  ])('refuses %s', (key, message) => {
    expect(() => checkBackupKey(key, 'pgproof')).toThrow(RestoreRefused);
    expect(() => checkBackupKey(key, 'pgproof')).toThrow(message);
  });
});

describe('a manifest must describe the key asked for (issue 10.9)', () => {
  const manifest = { key: KEY, runId: '20261124T030000Z-0123456789', database: 'app', bytes: 1000 } as Manifest;
  const object = { bytes: 1000, metadata: { 'pgproof-run-id': manifest.runId, 'pgproof-database': 'app' } };

  it('accepts the matching manifest', () => {
    expect(() => checkManifestDescribes(KEY, manifest, object)).not.toThrow();
    expect(() => checkManifestDescribes(KEY, manifest, { bytes: 1000, metadata: {} }, 'app')).not.toThrow();
  });

  it('names every disagreement', () => {
    const other = { ...manifest, key: 'pgproof/billing/2026-11-24/20261124T030000Z-aaaaaaaaaa.dump.zst', runId: '20261124T030000Z-aaaaaaaaaa', database: 'billing', bytes: 5 };
    expect(() => checkManifestDescribes(KEY, other, object, 'app')).toThrow(
      /does not describe that backup: it names the object pgproof\/billing\/.*; its run id is 20261124T030000Z-aaaaaaaaaa.*; its database "billing" does not belong in the folder "app"; its database is "billing", not "app".*; it records 5 bytes, the object has 1000; the object was written by run 20261124T030000Z-0123456789; the object is a backup of database "app"\. Nothing was restored/,
    );
  });
});

describe('archive contents', () => {
  it('parses pg_restore --list, multi-word types and names included', () => {
    const entries = parseTocList(
      [';', '; Archive created at 2026-11-24', '215; 1259 16386 TABLE public t postgres', '3358; 3466 16404 EVENT TRIGGER - et alice',
        '3361; 0 0 SECURITY LABEL public TABLE t postgres', '3360; 6100 16405 SUBSCRIPTION - sub1 postgres', ';3000; 0 0 COMMENT - x y'].join('\n'),
    );
    expect(entries.map((e) => [e.type, e.schema, e.name, e.owner])).toEqual([
      ['TABLE', 'public', 't', 'postgres'],
      ['EVENT TRIGGER', undefined, 'et', 'alice'],
      ['SECURITY LABEL', 'public', 'TABLE t', 'postgres'],
      ['SUBSCRIPTION', undefined, 'sub1', 'postgres'],
    ]);
  });

  it('finds tablespaces and label providers in the schema script', () => {
    expect(scanSchemaScript(["SET default_tablespace = '';", 'SET default_tablespace = fast_ssd;', 'SET default_tablespace = "Cold ""Disk""";', 'SECURITY LABEL FOR selinux ON TABLE public.t IS \'x\';'])).toEqual({
      tablespaces: ['Cold "Disk"', 'fast_ssd'],
      labelProviders: ['selinux'],
    });
  });
});

describe('what the target can hold (issues 10.1, 10.6)', () => {
  const facts = (over: Partial<TargetFacts> = {}): TargetFacts => ({
    serverMajor: 15, superuser: true, canCreateSubscriptions: true, tablespaces: new Set(['pg_default', 'fast_ssd']),
    roles: new Map([['postgres', { superuser: true }], ['alice', { superuser: false }]]), labelProviders: new Set(), ...over,
  });
  const contents = (over: Partial<ArchiveContents> = {}): ArchiveContents => ({ entries: [], tablespaces: [], labelProviders: [], ...over });
  const entry = (type: string, name: string, owner: string) => ({ dumpId: 1, type, schema: undefined, name, owner, line: '' });
  const plain = { noOwner: false, rolesToCreate: [] };

  it('keeps every part when the target can hold it', () => {
    expect(planRestore(contents({ tablespaces: ['fast_ssd'], entries: [entry('EVENT TRIGGER', 'et', 'postgres')] }), facts(), plain)).toEqual({ skip: [], leftOut: [], notes: [] });
  });

  it('refuses superuser-only objects for a non-superuser, and owners that are not superusers unless --no-owner', () => {
    const et = contents({ entries: [entry('EVENT TRIGGER', 'et', 'alice'), entry('FOREIGN DATA WRAPPER', 'w', 'bob')] });
    expect(() => planRestore(et, facts({ superuser: false }), { noOwner: true, rolesToCreate: [] })).toThrow(/only a superuser may create: event trigger "et", foreign-data wrapper "w"; nothing was changed/);
    expect(() => planRestore(et, facts(), { noOwner: false, rolesToCreate: ['bob'] })).toThrow(/owners of event trigger "et" \("alice"\), foreign-data wrapper "w" \("bob", to be created as NOLOGIN\) are not superusers.*--no-owner/);
    expect(planRestore(et, facts(), { noOwner: true, rolesToCreate: [] }).skip).toEqual([]);
  });

  it('leaves out all placement when a tablespace is missing, naming each and why', () => {
    const plan = planRestore(contents({ tablespaces: ['cold', 'fast_ssd'] }), facts(), plain);
    expect(plan.skip).toEqual(['tablespaces']);
    expect(plan.leftOut).toEqual([
      { object: 'tablespace cold', reason: 'does not exist on the target: its tables and indexes were placed in the default tablespace' },
      { object: 'tablespace fast_ssd', reason: expect.stringMatching(/exists on the target, but cold does not/) },
    ]);
  });

  it('lists subscriptions the user may not create, and notes restored ones are disabled', () => {
    const subs = contents({ entries: [entry('SUBSCRIPTION', 's1', 'postgres')] });
    expect(planRestore(subs, facts({ canCreateSubscriptions: false, serverMajor: 16 }), plain)).toEqual({
      skip: ['subscriptions'],
      leftOut: [{ object: 'subscription s1', reason: 'creating subscriptions needs a superuser or a member of pg_create_subscription' }],
      notes: [],
    });
    expect(planRestore(subs, facts(), plain).notes).toEqual([expect.stringMatching(/subscription s1 restored disabled.*ALTER SUBSCRIPTION "s1" ENABLE/)]);
  });

  it('leaves out security labels whose provider is not loaded', () => {
    const plan = planRestore(contents({ labelProviders: ['selinux'] }), facts(), plain);
    expect(plan).toEqual({ skip: ['security-labels'], leftOut: [{ object: 'security labels of provider selinux', reason: 'the provider is not loaded on the target' }], notes: [] });
    expect(planRestore(contents({ labelProviders: ['dummy'] }), facts({ labelProviders: new Set(['dummy']) }), plain).skip).toEqual([]);
  });

  it('passes only the chosen --no-* flags to pg_restore (verify keeps all three)', () => {
    expect(pgRestoreArgs('/x.dump', 2, 'db', [], ['tablespaces'])).toEqual(expect.arrayContaining(['--no-tablespaces']));
    expect(pgRestoreArgs('/x.dump', 2, 'db', [], ['tablespaces'])).not.toContain('--no-subscriptions');
    expect(pgRestoreArgs('/x.dump', 2, 'db')).toEqual(expect.arrayContaining(['--no-tablespaces', '--no-subscriptions', '--no-security-labels']));
  });
});

describe('side database names', () => {
  it('fits in 63 bytes and keeps the target name recognisable', () => {
    expect(sideDatabaseName('app', 'new', Buffer.from('a1b2c3d4', 'hex'))).toBe('app_pgproof_new_a1b2c3d4');
    const long = sideDatabaseName('é'.repeat(40), 'old', Buffer.from('a1b2c3d4', 'hex'));
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^é+_pgproof_old_a1b2c3d4$/);
  });
});

describe('restore output (issue 10.10)', () => {
  it('exits 2 for refusals the user must fix, 1 otherwise, with the target\'s state', () => {
    const refused = describeRestoreFailure(withTargetState(new RestoreRefused('the target is not empty'), { state: 'untouched', message: 'the target database "x" was not touched' }), 'latest');
    expect(refused.exitCode).toBe(2);
    expect(refused.lines).toEqual(['pgproof: RestoreRefused: the target is not empty', '   the target database "x" was not touched.']);
    expect(refused.json).toEqual({ status: 'FAILED', backup: 'latest', error: { name: 'RestoreRefused', message: 'the target is not empty' }, targetState: { state: 'untouched', message: 'the target database "x" was not touched' } });
    expect(describeRestoreFailure(new ConfigError('x'), 'k').exitCode).toBe(2);
    expect(describeRestoreFailure(new RestoreFailed('pg_restore exited with status 1'), 'k').exitCode).toBe(1);
  });

  it('lists what was left out and what needs a person', () => {
    const lines = describeRestore({
      key: KEY, runId: 'r', sourceDatabase: 'app', snapshotAt: 's', verified: true, target: 'database "x"', tables: 1, rows: 2, rolesCreated: [],
      leftOut: [{ object: 'tablespace fast_ssd', reason: 'does not exist on the target' }], notes: ['subscription s restored disabled'], replaced: { previousDropped: true }, seconds: 1,
    });
    expect(lines).toContain('   ⚠ left out: tablespace fast_ssd: does not exist on the target');
    expect(lines).toContain('   ⚠ subscription s restored disabled');
    expect(lines).toContain('   the previous database was replaced and dropped');
  });
});
