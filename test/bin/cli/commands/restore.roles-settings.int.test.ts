import { randomBytes } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BackupResult } from '../../../../containers/backup/backup';
import { manifestKeyFor } from '../../../../containers/common/keys';
import { writeVerificationRecord } from '../../../../containers/common/manifest';
import { connect, type ConnectionParams } from '../../../../containers/common/pg-connection';
import { discoverPgInstalls } from '../../../../containers/common/pg-tools';
import { startThrowawayCluster, type ThrowawayCluster } from '../../../../containers/common/throwaway-cluster';
import {
  createBucket,
  createSourceDatabase,
  getObjectBytes,
  sourceConnection,
  testS3,
  backupForTest,
} from '../../../helpers/fixtures';
import { pgproof } from '../../../helpers/pgproof-process';

// Issue 10.3 and 10.5 on `pgproof restore`: onto a new server, database settings follow the data, and
// --create-roles creates only the roles the dump refers to.

const suffix = randomBytes(3).toString('hex');
const owner = `pgproof_rs_owner_${suffix}`;
const reader = `pgproof_rs_reader_${suffix}`;
const unrelated = `pgproof_rs_unrelated_su_${suffix}`;
const PASSWORD = 'new-server-pw-4411';
const url = (c: ConnectionParams) =>
  `postgres://${c.user}:${encodeURIComponent(c.password ?? '')}@${c.host}:${c.port}/${c.database}`;

async function sql(conn: ConnectionParams, text: string): Promise<Array<Record<string, unknown>>> {
  const client = await connect(conn);
  try {
    return (await client.query(text)).rows as Array<Record<string, unknown>>;
  } finally {
    await client.end();
  }
}

describe('pgproof restore onto a new server: referenced roles and database settings', () => {
  let bucket: string;
  let backup: BackupResult;
  let server: ThrowawayCluster;
  const target = (database: string): ConnectionParams => ({ ...server.connection(database), password: PASSWORD });

  beforeAll(async () => {
    await sql(
      sourceConnection('postgres'),
      `create role ${owner} nologin; create role ${reader} nologin; create role ${unrelated} superuser nologin`,
    );
    const source = await createSourceDatabase('restore_rs', async (run) => {
      await run(
        `create table t (i int); insert into t values (1), (2); alter table t owner to ${owner}; grant select on t to ${reader}`,
      );
    });
    const name = source.database;
    await sql(
      sourceConnection('postgres'),
      [
        `alter database ${name} set work_mem = '32MB'`,
        `alter role ${reader} in database ${name} set statement_timeout = '3s'`,
        `comment on database ${name} is 'restored with its settings'`,
        `revoke connect on database ${name} from public`,
        `grant connect on database ${name} to ${reader}`,
      ].join(';'),
    );
    bucket = await createBucket();
    backup = await backupForTest(source, bucket);
    await writeVerificationRecord(testS3(), bucket, {
      runId: backup.runId,
      key: backup.key,
      verifiedAt: new Date().toISOString(),
      restoreSeconds: 1,
      serverMajor: 15,
      tables: 1,
      rows: 2,
      checks: [],
      deepProof: false,
    });
    // The "new server": a second cluster that has none of the source's roles.
    const binDir = (await discoverPgInstalls()).find((i) => i.hasServer)!.binDir;
    server = await startThrowawayCluster({ binDir, tcp: true, superuserPassword: PASSWORD });
  });
  afterAll(() => server?.stop());

  it("creates only the referenced roles, and gives the target database (another name) the source's settings, comment and grants", async () => {
    await sql(target('postgres'), 'create database restored_here');
    // WHEN
    const out = await pgproof([
      'restore',
      '--backup',
      backup.key,
      '--target-url',
      url(target('restored_here')),
      '--create-roles',
      '--s3-endpoint',
      inject('s3Endpoint'),
      '--bucket',
      bucket,
    ]);
    // THEN
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(new RegExp(`roles created \\(NOLOGIN\\): ${owner}, ${reader}$`, 'm'));
    const roles = (
      await sql(target('postgres'), "select rolname from pg_roles where rolname like 'pgproof_rs_%' order by 1")
    ).map((r) => r.rolname);
    expect(roles).toEqual([owner, reader]);
    const db = target('restored_here');
    const settings = await sql(
      db,
      `select coalesce(r.rolname, '') as role, c from pg_db_role_setting s left join pg_roles r on r.oid = s.setrole, unnest(s.setconfig) c
                                     where s.setdatabase = (select oid from pg_database where datname = current_database()) order by 1, 2`,
    );
    expect(settings).toEqual([
      { role: '', c: 'work_mem=32MB' },
      { role: reader, c: 'statement_timeout=3s' },
    ]);
    const [facts] = await sql(
      db,
      `select shobj_description((select oid from pg_database where datname = current_database()), 'pg_database') as comment,
                                          has_database_privilege('public', current_database(), 'CONNECT') as public_connect,
                                          has_database_privilege('${reader}', current_database(), 'CONNECT') as reader_connect`,
    );
    expect(facts).toEqual({ comment: 'restored with its settings', public_connect: false, reader_connect: true });
  });

  it("with --no-owner, applies the database settings but leaves the target database's grants alone", async () => {
    await sql(target('postgres'), 'create database restored_noowner');
    const out = await pgproof([
      'restore',
      '--backup',
      backup.key,
      '--target-url',
      url(target('restored_noowner')),
      '--no-owner',
      '--s3-endpoint',
      inject('s3Endpoint'),
      '--bucket',
      bucket,
    ]);
    expect(out.code, out.stderr).toBe(0);
    const db = target('restored_noowner');
    const [facts] = await sql(
      db,
      `select has_database_privilege('public', current_database(), 'CONNECT') as public_connect,
                                          (select array_agg(c) from pg_db_role_setting s, unnest(s.setconfig) c
                                            where s.setdatabase = (select oid from pg_database where datname = current_database())) as settings`,
    );
    expect(facts).toEqual({ public_connect: true, settings: ['work_mem=32MB'] });
    expect(out.stderr).not.toMatch(/were not applied/);
  });

  it('restores a backup whose manifest predates roleAttributes, databaseSettings, roleDefinitions and hashVersion', async () => {
    const b3 = await createBucket();
    const manifest = JSON.parse((await getObjectBytes(bucket, manifestKeyFor(backup.key))).toString());
    for (const field of ['roleAttributes', 'databaseSettings', 'roleDefinitions', 'hashVersion'])
      delete manifest[field];
    await testS3().send(
      new PutObjectCommand({ Bucket: b3, Key: backup.key, Body: await getObjectBytes(bucket, backup.key) }),
    );
    await testS3().send(
      new PutObjectCommand({ Bucket: b3, Key: manifestKeyFor(backup.key), Body: JSON.stringify(manifest) }),
    );
    await sql(target('postgres'), 'create database restored_old');
    const out = await pgproof([
      'restore',
      '--backup',
      backup.key,
      '--target-url',
      url(target('restored_old')),
      '--create-roles',
      '--s3-endpoint',
      inject('s3Endpoint'),
      '--bucket',
      b3,
    ]);
    expect(out.code, out.stderr).toBe(0);
    expect(await sql(target('restored_old'), 'select count(*)::int as n from t')).toEqual([{ n: 2 }]);
    // Nothing to apply: the target database keeps its own (default) settings.
    expect(
      await sql(
        target('restored_old'),
        "select count(*)::int as n from pg_db_role_setting where setdatabase = (select oid from pg_database where datname = 'restored_old')",
      ),
    ).toEqual([{ n: 0 }]);
  });

  it('reports a grantee the target server lacks, by name, and still restores the data', async () => {
    // GIVEN a backup whose database grants name a role nobody created on the target
    const b2 = await createBucket();
    const manifest = JSON.parse((await getObjectBytes(bucket, manifestKeyFor(backup.key))).toString());
    manifest.databaseSettings.grants.push({
      grantee: `pgproof_nobody_${suffix}`,
      privilege: 'CONNECT',
      grantable: false,
    });
    await testS3().send(
      new PutObjectCommand({ Bucket: b2, Key: backup.key, Body: await getObjectBytes(bucket, backup.key) }),
    );
    await testS3().send(
      new PutObjectCommand({ Bucket: b2, Key: manifestKeyFor(backup.key), Body: JSON.stringify(manifest) }),
    );
    await sql(target('postgres'), 'create database restored_again');
    // WHEN
    const out = await pgproof([
      'restore',
      '--backup',
      backup.key,
      '--target-url',
      url(target('restored_again')),
      '--create-roles',
      '--s3-endpoint',
      inject('s3Endpoint'),
      '--bucket',
      b2,
    ]);
    // THEN
    expect(out.code, out.stderr).toBe(0);
    // Named in the restore's summary (a ⚠ note beside what was left out).
    expect(out.stdout + out.stderr).toMatch(
      new RegExp(
        `grant CONNECT to pgproof_nobody_${suffix}: role \\\\?"pgproof_nobody_${suffix}\\\\?" does not exist on this server`,
      ),
    );
    expect(await sql(target('restored_again'), 'select count(*)::int as n from t')).toEqual([{ n: 2 }]);
  });
});
