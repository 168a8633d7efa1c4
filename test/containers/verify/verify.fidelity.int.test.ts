import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestKeyFor } from '../../../containers/common/keys';
import { readManifest, readVerificationRecord, writeManifest } from '../../../containers/common/manifest';
import { connect } from '../../../containers/common/pg-connection';
import { applyHashSessionSettings, listTables, tableStats } from '../../../containers/common/table-stats';
import { runVerify, type VerifySettings } from '../../../containers/verify/verify';
import {
  captureLogger,
  createBucket,
  createSourceDatabase,
  sourceConnection,
  testS3,
  backupForTest,
  verifySettingsFor,
} from '../../helpers/fixtures';

// Issue 10: restores that must prove true on real databases (minimal repros of each point, real PostgreSQL).

let workRoot: string;
beforeAll(async () => {
  workRoot = await mkdtemp(path.join(os.tmpdir(), 'pgproof-fidelity-'));
  await chmod(workRoot, 0o711);
});
afterAll(() => rm(workRoot, { recursive: true, force: true }));

const suffix = randomBytes(3).toString('hex');

const backup = backupForTest;

async function verifySettings(bucket: string, key: string, config: unknown = {}): Promise<VerifySettings> {
  const workDir = await mkdtemp(path.join(workRoot, 'w-'));
  await chmod(workDir, 0o711);
  return verifySettingsFor(bucket, key, workDir, config);
}

async function adminSql(text: string): Promise<void> {
  const admin = await connect(sourceConnection('postgres'));
  try {
    await admin.query(text);
  } finally {
    await admin.end();
  }
}

describe('verify fidelity (issue 10)', () => {
  let bucket: string;
  beforeAll(async () => {
    bucket = await createBucket();
  });

  it('10.1: restores an event trigger and a foreign-data wrapper owned by a second superuser, with that owner', async () => {
    // GIVEN objects only a superuser may own, created by a superuser other than the bootstrap one
    const su = `pgproof_su_${suffix}`;
    await adminSql(`create role ${su} superuser nologin`);
    const db = await createSourceDatabase('fid_superuser', async (sql) => {
      await sql(`set role ${su}`);
      await sql('create function f() returns event_trigger language plpgsql as $$begin end$$');
      await sql('create event trigger et on ddl_command_end execute function f()');
      await sql('create foreign data wrapper w');
      await sql('reset role');
    });
    const b = await backup(db, bucket);
    const manifest = await readManifest(testS3(), bucket, b.key);
    expect(manifest.roles).toContain(su);
    expect(manifest.roleAttributes?.find((r) => r.name === su)).toMatchObject({ superuser: true });
    // WHEN
    const config = {
      checks: [
        {
          name: 'event trigger owner',
          sql: "select evtowner::regrole::text from pg_event_trigger where evtname = 'et'",
          expect: { equals: su },
        },
        {
          name: 'fdw owner',
          sql: "select fdwowner::regrole::text from pg_foreign_data_wrapper where fdwname = 'w'",
          expect: { equals: su },
        },
        {
          name: 'owner cannot log in',
          sql: `select rolcanlogin from pg_roles where rolname = '${su}'`,
          expect: { equals: false },
        },
      ],
    };
    const result = await runVerify(await verifySettings(bucket, b.key, config), {
      s3: testS3(),
      logger: captureLogger().logger,
    });
    // THEN verified, and the restored cluster shows the owner
    expect(result.checks.filter((c) => !c.passed)).toEqual([]);
    expect(result.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['event trigger owner', 'fdw owner', 'owner cannot log in']),
    );
    expect(await readVerificationRecord(testS3(), bucket, b.key)).toBeDefined();
  });

  it("10.2: the deep proof does not depend on column order (inheritance changes the child's column positions)", async () => {
    // GIVEN a child whose column order differs after a restore (pg_dump recreates it as (a, c, b))
    const db = await createSourceDatabase('fid_colorder', async (sql) => {
      await sql('create table p (a int)');
      await sql('create table c (b int) inherits (p)');
      await sql('alter table p add column c int');
      await sql('insert into c (a, b, c) select i, i * 10, i * 100 from generate_series(1, 50) i');
    });
    const b = await backup(db, bucket, { deepProof: true });
    expect((await readManifest(testS3(), bucket, b.key)).hashVersion).toBe(2);
    // WHEN
    const result = await runVerify(await verifySettings(bucket, b.key, { deepProof: true }), {
      s3: testS3(),
      logger: captureLogger().logger,
    });
    // THEN
    expect(result.checks.find((c) => c.name === 'content hash')).toMatchObject({
      passed: true,
      value: '2 tables identical',
    });
    // AND the repro really moves the column: version 1 (physical order, older manifests) raises the false alarm
    const client = await connect(db);
    await applyHashSessionSettings(client);
    const v1 = await tableStats(client, await listTables(client), { contentHash: true, hashVersion: 1 });
    await client.end();
    const manifest = await readManifest(testS3(), bucket, b.key);
    await writeManifest(testS3(), bucket, { ...manifest, tables: v1, hashVersion: 1 });
    await expect(
      runVerify(await verifySettings(bucket, b.key, { deepProof: true }), {
        s3: testS3(),
        logger: captureLogger().logger,
      }),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/content hash: 1 tables differ .*public\.c: content differs/),
    });
  });

  it('10.2: still detects changed content under the column-order-free hash', async () => {
    const db = await createSourceDatabase('fid_swap', async (sql) => {
      // Swapping values between two columns keeps every row's multiset of values: only names tell them apart.
      await sql('create table t (x int, y int)');
      await sql('insert into t values (1, 2), (3, 4)');
    });
    const b = await backup(db, bucket, { deepProof: true });
    const client = await connect(db);
    await applyHashSessionSettings(client);
    await client.query('update t set x = y, y = x');
    const swapped = await tableStats(client, await listTables(client), { contentHash: true });
    await client.end();
    const manifest = await readManifest(testS3(), bucket, b.key);
    await writeManifest(testS3(), bucket, { ...manifest, tables: swapped });
    await expect(
      runVerify(await verifySettings(bucket, b.key, { deepProof: true }), {
        s3: testS3(),
        logger: captureLogger().logger,
      }),
    ).rejects.toMatchObject({
      name: 'VerificationFailed',
      message: expect.stringMatching(/content hash: 1 tables differ .*public\.t: content differs/),
    });
  });

  it('10.3: backs up database settings, role settings in the database, its comment and grants, and proves them restored', async () => {
    // GIVEN
    const reader = `pgproof_dbreader_${suffix}`;
    const maker = `pgproof_dbmaker_${suffix}`;
    await adminSql(`create role ${reader} nologin; create role ${maker} nologin`);
    const db = await createSourceDatabase('fid_dbsettings', async (sql) => {
      await sql('create table t (i int)');
    });
    const name = db.database;
    await adminSql(
      [
        `alter database ${name} set work_mem = '64MB'`,
        `alter database ${name} set search_path = app, "My Schema", public`,
        `alter role ${reader} in database ${name} set statement_timeout = '5s'`,
        `comment on database ${name} is 'Orders – ✓ ''quoted'''`,
        `revoke connect, temporary on database ${name} from public`,
        `grant connect, temporary on database ${name} to ${reader}`,
        `grant create on database ${name} to ${maker} with grant option`,
      ].join(';\n'),
    );
    const b = await backup(db, bucket);
    const manifest = await readManifest(testS3(), bucket, b.key);
    expect(manifest.databaseSettings).toEqual({
      settings: expect.arrayContaining([
        { role: null, name: 'work_mem', value: '64MB' },
        { role: null, name: 'search_path', value: 'app, "My Schema", public' },
        { role: reader, name: 'statement_timeout', value: '5s' },
      ]),
      comment: "Orders – ✓ 'quoted'",
      grants: [
        { grantee: maker, privilege: 'CREATE', grantable: true },
        { grantee: reader, privilege: 'CONNECT', grantable: false },
        { grantee: reader, privilege: 'TEMPORARY', grantable: false },
      ],
    });
    expect(manifest.databaseSettings!.settings).toHaveLength(3);
    expect(manifest.roles).toEqual(expect.arrayContaining([reader, maker]));
    // WHEN verified, with checks that read the restored database's catalogs
    const inThisDb = '(select oid from pg_database where datname = current_database())';
    const config = {
      checks: [
        {
          name: 'work_mem set',
          sql: `select count(*) from pg_db_role_setting s, unnest(s.setconfig) c where s.setdatabase = ${inThisDb} and s.setrole = 0 and c = 'work_mem=64MB'`,
          expect: { equals: 1 },
        },
        {
          name: 'comment',
          sql: `select shobj_description(${inThisDb}, 'pg_database')`,
          expect: { equals: "Orders – ✓ 'quoted'" },
        },
        {
          name: 'public cannot connect',
          sql: "select has_database_privilege('public', current_database(), 'CONNECT')",
          expect: { equals: false },
        },
        {
          name: 'reader can connect',
          sql: `select has_database_privilege('${reader}', current_database(), 'CONNECT')`,
          expect: { equals: true },
        },
      ],
    };
    const result = await runVerify(await verifySettings(bucket, b.key, config), {
      s3: testS3(),
      logger: captureLogger().logger,
    });
    // THEN
    expect(result.checks.filter((c) => !c.passed)).toEqual([]);
    expect(result.checks.find((c) => c.name === 'database settings')).toMatchObject({
      passed: true,
      kind: 'database-settings',
    });
  });

  it('10.3: fails the database-settings check, naming the setting, when the restored server refuses it', async () => {
    const db = await createSourceDatabase('fid_badsetting');
    const b = await backup(db, bucket);
    const manifest = await readManifest(testS3(), bucket, b.key);
    const tampered = {
      ...manifest,
      databaseSettings: {
        ...manifest.databaseSettings!,
        settings: [{ role: null, name: 'no_such_setting', value: 'x' }],
      },
    };
    await writeManifest(testS3(), bucket, tampered);
    await expect(
      runVerify(await verifySettings(bucket, b.key), { s3: testS3(), logger: captureLogger().logger }),
    ).rejects.toMatchObject({
      name: 'VerificationFailed',
      message: expect.stringMatching(
        /database settings: 2 differ .*setting no_such_setting=x: unrecognized configuration parameter "no_such_setting".*setting no_such_setting=x missing/,
      ),
    });
  });

  it('verifies a manifest written before these fields (no hashVersion, roleAttributes, databaseSettings, roleDefinitions)', async () => {
    // GIVEN an older manifest: version-1 content hashes, every role listed, none of the new fields
    const db = await createSourceDatabase('fid_oldmanifest', async (sql) => {
      await sql('create table t (a int, b text)');
      await sql("insert into t select i, 'row ' || i from generate_series(1, 20) i");
    });
    const b = await backup(db, bucket, { deepProof: true });
    const client = await connect(db);
    await applyHashSessionSettings(client);
    const v1 = await tableStats(client, await listTables(client), { contentHash: true, hashVersion: 1 });
    const { rows } = await client.query<{ name: string }>(
      "select rolname as name from pg_roles where rolname !~ '^pg_' order by 1",
    );
    await client.end();
    const current = await readManifest(testS3(), bucket, b.key);
    const { hashVersion, roleAttributes, databaseSettings, roleDefinitions, ...old } = {
      ...current,
      tables: v1,
      roles: rows.map((r) => r.name),
    };
    expect([hashVersion, roleAttributes, databaseSettings, roleDefinitions].every((v) => v !== undefined)).toBe(true);
    await testS3().send(
      new PutObjectCommand({ Bucket: bucket, Key: manifestKeyFor(b.key), Body: JSON.stringify(old) }),
    );
    // WHEN
    const result = await runVerify(await verifySettings(bucket, b.key, { deepProof: true }), {
      s3: testS3(),
      logger: captureLogger().logger,
    });
    // THEN proven the old way, and no database-settings check is invented
    expect(result.checks.map((c) => [c.name, c.passed])).toEqual([
      ['row counts', true],
      ['large objects', true],
      ['content hash', true],
    ]);
  });
});
