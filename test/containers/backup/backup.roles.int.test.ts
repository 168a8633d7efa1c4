import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runBackup, type BackupSettings } from '../../../containers/backup/backup';
import { parseEngineConfig } from '../../../containers/common/engine-config';
import { readManifest } from '../../../containers/common/manifest';
import { connect, type ConnectionParams } from '../../../containers/common/pg-connection';
import { which } from '../../../containers/common/which';
import { SOURCE_PASSWORD } from '../../helpers/source-cluster';
import {
  captureLogger,
  createBucket,
  createSourceDatabase,
  getObjectBytes,
  listAllKeys,
  sourceConnection,
  testS3,
} from '../../helpers/fixtures';

const suffix = randomBytes(3).toString('hex');
const role = (name: string) => `pgproof_${name}_${suffix}`;

async function settingsFor(
  conn: ConnectionParams,
  bucket: string,
  discovery: BackupSettings['discovery'] = { roots: ['/usr/lib/postgresql'], searchPath: '' },
): Promise<BackupSettings> {
  return {
    connection: conn,
    storage: { bucket, prefix: 'pgproof', endpoint: inject('s3Endpoint') },
    config: parseEngineConfig({}),
    discovery,
    zstdPath: await which('zstd'),
  };
}

async function adminSql(database: string, text: string): Promise<void> {
  const admin = await connect(sourceConnection(database));
  try {
    await admin.query(text);
  } finally {
    await admin.end();
  }
}

describe('roles the dump refers to, and the role definitions beside it (issue 10.5)', () => {
  let bucket: string;
  let fakeRoot: string;
  beforeAll(async () => {
    bucket = await createBucket();
    fakeRoot = await mkdtemp(path.join(os.tmpdir(), 'pgproof-fake-pg-'));
    await adminSql(
      'postgres',
      ['owner', 'grantee', 'defpriv', 'policy', 'setting', 'unrelated', 'unrelated_su']
        .map((r) => `create role ${role(r)} nologin${r === 'unrelated_su' ? ' superuser' : ''}`)
        .join(';'),
    );
  });
  afterAll(() => rm(fakeRoot, { recursive: true, force: true }));

  it('lists only the roles the dump names (owners, grantees, default privileges, policies, role settings), not every role of the server', async () => {
    // GIVEN a database that names five roles (and the bootstrap superuser, owner of one table), on a server with more
    const db = await createSourceDatabase('roles_referenced', async (sql) => {
      await sql('create table by_postgres (i int)');
      await sql(`create table owned (i int); alter table owned owner to ${role('owner')}`);
      await sql(`grant select on owned to ${role('grantee')}`);
      await sql(`alter default privileges for role ${role('defpriv')} grant select on tables to public`);
      await sql(
        `alter table by_postgres enable row level security; create policy p on by_postgres to ${role('policy')} using (true)`,
      );
    });
    await adminSql('postgres', `alter role ${role('setting')} in database ${db.database} set work_mem = '8MB'`);
    // WHEN
    const b = await runBackup(await settingsFor(db, bucket), { s3: testS3(), logger: captureLogger().logger });
    // THEN
    const manifest = await readManifest(testS3(), bucket, b.key);
    expect(manifest.roles).toEqual(
      [role('defpriv'), role('grantee'), role('owner'), role('policy'), role('setting'), 'postgres'].sort(),
    );
    expect(manifest.roles).not.toContain(role('unrelated'));
    expect(manifest.roles).not.toContain(role('unrelated_su'));
    expect(manifest.roleAttributes?.find((r) => r.name === 'postgres')).toMatchObject({ superuser: true });
    expect(manifest.roleAttributes?.find((r) => r.name === role('owner'))).toEqual({
      name: role('owner'),
      superuser: false,
      createdb: false,
      createrole: false,
      inherit: true,
      replication: false,
      bypassrls: false,
    });
  });

  it('names no role for an empty database, even once temporary schemas exist (owned by the bootstrap superuser)', async () => {
    const db = await createSourceDatabase('roles_none', async (sql) => {
      await sql('create temp table scratch (i int)');
    });
    const b = await runBackup(await settingsFor(db, bucket), { s3: testS3(), logger: captureLogger().logger });
    expect((await readManifest(testS3(), bucket, b.key)).roles).toEqual([]);
  });

  it("stores the server's role definitions, without passwords, beside the dump as <runId>.roles.sql", async () => {
    const db = await createSourceDatabase('roles_sidecar');
    await adminSql('postgres', `grant ${role('owner')} to ${role('grantee')}`);
    const b = await runBackup(await settingsFor(db, bucket), { s3: testS3(), logger: captureLogger().logger });
    const manifest = await readManifest(testS3(), bucket, b.key);
    const key = b.key.replace(/\.dump\.zst$/, '.roles.sql');
    expect(manifest.roleDefinitions).toEqual({ key, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const sql = (await getObjectBytes(bucket, key)).toString();
    expect(createHash('sha256').update(sql).digest('hex')).toBe(manifest.roleDefinitions!.sha256);
    // Every role of the server with its attributes and memberships; no password of any kind.
    expect(sql).toContain(`CREATE ROLE ${role('unrelated_su')};`);
    expect(sql).toMatch(new RegExp(`ALTER ROLE ${role('unrelated_su')} WITH SUPERUSER .*NOLOGIN`));
    expect(sql).toMatch(new RegExp(`GRANT ${role('owner')} TO ${role('grantee')}`));
    expect(sql).not.toMatch(/PASSWORD '|SCRAM-SHA-256\$/);
    expect(sql).not.toContain(SOURCE_PASSWORD);
  });

  it('completes the backup, with a warning and the reason in the manifest, when the role definitions cannot be taken', async () => {
    // GIVEN a client install with pg_dump but no pg_dumpall
    const dir = path.join(fakeRoot, '15', 'bin');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'pg_dump'), '#!/bin/sh\nexec /usr/lib/postgresql/15/bin/pg_dump "$@"\n');
    await chmod(path.join(dir, 'pg_dump'), 0o755);
    const db = await createSourceDatabase('roles_nodumpall', async (sql) => {
      await sql('create table t (i int)');
    });
    const { logger, lines } = captureLogger();
    // WHEN
    const b = await runBackup(await settingsFor(db, bucket, { roots: [fakeRoot], searchPath: '' }), {
      s3: testS3(),
      logger,
    });
    // THEN
    const manifest = await readManifest(testS3(), bucket, b.key);
    expect(manifest.roleDefinitions).toEqual({
      error: expect.stringMatching(/pg_dumpall could not be started: .*ENOENT/),
    });
    expect(lines.some((l) => l.includes('role definitions not backed up; the backup itself is complete'))).toBe(true);
    expect((await listAllKeys(bucket, `pgproof/${db.database}/`)).some((k) => k.endsWith('.roles.sql'))).toBe(false);
  });
});

describe('large objects and pg_read_all_data (issue 10.8)', () => {
  it('fails before dumping with what to grant when a pg_read_all_data role cannot read a large object; the advice works', async () => {
    // GIVEN a backup role that has only pg_read_all_data, and a large object owned by someone else
    const reader = role('lo_reader');
    await adminSql(
      'postgres',
      `create role ${reader} login password 'lo-reader-pw-1'; grant pg_read_all_data to ${reader}`,
    );
    const db = await createSourceDatabase('lo_denied', async (sql) => {
      await sql("create table docs (id int, body oid); insert into docs values (1, lo_from_bytea(0, 'secret report'))");
    });
    const bucket = await createBucket();
    const asReader = { ...db, user: reader, password: 'lo-reader-pw-1' };
    // WHEN / THEN
    const run = runBackup(await settingsFor(asReader, bucket), { s3: testS3(), logger: captureLogger().logger });
    await expect(run).rejects.toMatchObject({ name: 'DumpFailed' });
    const message = await run.then(
      () => '',
      (e: Error) => e.message,
    );
    expect(message).toMatch(
      /permission denied for large object (\d+): the backup role "pgproof_lo_reader_\w+" cannot read 1 large object\(s\) \(e\.g\. \1 owned by "postgres"\)/,
    );
    expect(message).toMatch(/pg_read_all_data does not cover large objects/);
    expect(message).toMatch(new RegExp(`GRANT SELECT ON LARGE OBJECT \\d+ TO "${reader}"`));
    expect(message).toMatch(/lo_compat_privileges/);
    expect(await listAllKeys(bucket, `pgproof/${db.database}/`)).toEqual([]);
    // AND the grant it names is enough: the same role then backs up, role definitions included (pg_roles, no superuser)
    const oid = /GRANT SELECT ON LARGE OBJECT (\d+)/.exec(message)![1];
    await adminSql(db.database, `grant select on large object ${oid} to ${reader}`);
    const b = await runBackup(await settingsFor(asReader, bucket), { s3: testS3(), logger: captureLogger().logger });
    const manifest = await readManifest(testS3(), bucket, b.key);
    expect(manifest.largeObjects).toBe(1);
    expect(manifest.roleDefinitions?.key).toMatch(/\.roles\.sql$/);
  });
});
