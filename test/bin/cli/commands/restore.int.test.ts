import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { BackupResult } from '../../../../containers/backup/backup';
import { writeVerificationRecord } from '../../../../containers/common/manifest';
import { connect, type ConnectionParams } from '../../../../containers/common/pg-connection';
import { applyHashSessionSettings, listTables, tableStats } from '../../../../containers/common/table-stats';
import { createSampleDatabase } from '../../../../lib/local/sample-database';
import { SOURCE_PASSWORD } from '../../../helpers/source-cluster';
import { lastJson, pgproof } from '../../../helpers/pgproof-process';
import { createBucket, createSourceDatabase, getObjectBytes, testS3, backupForTest } from '../../../helpers/fixtures';

const url = (c: ConnectionParams) =>
  `postgres://${c.user}:${encodeURIComponent(c.password ?? '')}@${c.host}:${c.port}/${c.database}`;

/** Every table's exact row count and content hash: equal maps mean equal contents, row for row. */
async function contents(conn: ConnectionParams): Promise<Record<string, string>> {
  const client = await connect(conn);
  await applyHashSessionSettings(client);
  const stats = await tableStats(client, await listTables(client), { contentHash: true });
  await client.end();
  return Object.fromEntries(stats.map((t) => [`${t.schema}.${t.name}`, t.contentHash!]));
}

describe('pgproof restore', () => {
  let source: ConnectionParams;
  let bucket: string;
  let backup: BackupResult;

  beforeAll(async () => {
    source = await createSourceDatabase('restore_src', async (sql) => {
      await createSampleDatabase({ query: sql } as unknown as Parameters<typeof createSampleDatabase>[0], {
        rows: 300,
      });
    });
    bucket = await createBucket();
    backup = await backupForTest(source, bucket);
    await writeVerificationRecord(testS3(), bucket, {
      runId: backup.runId,
      key: backup.key,
      verifiedAt: new Date().toISOString(),
      restoreSeconds: 1,
      serverMajor: 15,
      tables: backup.tables,
      rows: backup.rows,
      checks: [],
      deepProof: false,
    });
  });

  const common = () => ['--s3-endpoint', inject('s3Endpoint'), '--bucket', bucket];

  it('restores the latest verified backup so that every table round-trips exactly', async () => {
    const target = await createSourceDatabase('restore_dst');
    const out = await pgproof([
      'restore',
      '--backup',
      'latest',
      '--database',
      source.database,
      '--target-url',
      url(target),
      '--json',
      ...common(),
    ]);
    expect(out.stderr + out.stdout).not.toContain(SOURCE_PASSWORD);
    expect(out.code).toBe(0);
    const result = JSON.parse(out.stdout.trim().split('\n').at(-1)!);
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      key: backup.key,
      verified: true,
      tables: 5,
      rows: backup.rows,
    });
    expect(await contents(target)).toEqual(await contents(source));
  });

  it("refuses a non-empty target unless --force, which then replaces the backup's objects", async () => {
    const target = await createSourceDatabase('restore_busy', async (sql) => {
      await sql('create table keep_me (i int)');
    });
    const refused = await pgproof(['restore', '--backup', backup.key, '--target-url', url(target), ...common()]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/is not empty \(1 relations, e\.g\. public\.keep_me\).*--force/);
    const forced = await pgproof([
      'restore',
      '--backup',
      backup.key,
      '--target-url',
      url(target),
      '--force',
      ...common(),
    ]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/row counts match the manifest/);
    expect(forced.stdout).toMatch(/the previous database was replaced and dropped/);
    const client = await connect(target);
    const { rows } = await client.query("select to_regclass('public.keep_me') as t");
    await client.end();
    expect(rows).toEqual([{ t: null }]);
  });

  it('--json prints a FAILED result on a refusal (exit 2), and the never-verified warning is a sentence (issue 10.10)', async () => {
    // GIVEN an unverified copy of the backup and a non-empty target
    const b5 = await createBucket();
    const manifestKey = backup.key.replace(/\.dump\.zst$/, '.manifest.json');
    await testS3().send(
      new PutObjectCommand({
        Bucket: b5,
        Key: backup.key,
        Body: await getObjectBytes(bucket, backup.key),
        Metadata: { 'pgproof-run-id': backup.runId },
      }),
    );
    await testS3().send(
      new PutObjectCommand({ Bucket: b5, Key: manifestKey, Body: await getObjectBytes(bucket, manifestKey) }),
    );
    const target = await createSourceDatabase('restore_json', async (sql) => {
      await sql('create table keep_me (i int)');
    });
    // WHEN
    const out = await pgproof([
      'restore',
      '--backup',
      backup.key,
      '--target-url',
      url(target),
      '--json',
      '--s3-endpoint',
      inject('s3Endpoint'),
      '--bucket',
      b5,
    ]);
    // THEN
    expect(out.code).toBe(2);
    expect(lastJson(out)).toMatchObject({
      status: 'FAILED',
      backup: backup.key,
      error: { name: 'RestoreRefused', message: expect.stringMatching(/is not empty/) },
      targetState: { state: 'untouched', message: expect.stringMatching(/was not touched/) },
    });
    expect(out.stderr).toMatch(
      /^warning: the backup \S+ was never verified by a restore; restoring it anyway because it was named explicitly\.$/m,
    );
    expect(out.stderr).not.toMatch(/^\{/m);
    expect(out.stdout + out.stderr).not.toContain(SOURCE_PASSWORD);
  });

  it('refuses a corrupted object before touching the target', async () => {
    const target = await createSourceDatabase('restore_corrupt');
    const bytes = await getObjectBytes(bucket, backup.key);
    bytes[100]! ^= 0x01;
    const b2 = await createBucket();
    await testS3().send(new PutObjectCommand({ Bucket: b2, Key: backup.key, Body: bytes }));
    const manifest = await getObjectBytes(bucket, backup.key.replace(/\.dump\.zst$/, '.manifest.json'));
    await testS3().send(
      new PutObjectCommand({ Bucket: b2, Key: backup.key.replace(/\.dump\.zst$/, '.manifest.json'), Body: manifest }),
    );
    const out = await pgproof([
      'restore',
      '--backup',
      backup.key,
      '--target-url',
      url(target),
      '--s3-endpoint',
      inject('s3Endpoint'),
      '--bucket',
      b2,
    ]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/ChecksumMismatch: checksum mismatch/);
    const client = await connect(target);
    const { rows } = await client.query(
      "select count(*)::int as n from pg_tables where schemaname not in ('pg_catalog', 'information_schema')",
    );
    await client.end();
    expect(rows[0].n).toBe(0);
  });

  it('names roles the target lacks and how to proceed; --no-owner and --create-roles both restore', async () => {
    // GIVEN a backup whose manifest refers to a role this server does not have
    const b3 = await createBucket();
    const manifestKey = backup.key.replace(/\.dump\.zst$/, '.manifest.json');
    const manifest = JSON.parse((await getObjectBytes(bucket, manifestKey)).toString());
    manifest.roles.push('pgproof_ghost_role');
    await testS3().send(
      new PutObjectCommand({ Bucket: b3, Key: backup.key, Body: await getObjectBytes(bucket, backup.key) }),
    );
    await testS3().send(new PutObjectCommand({ Bucket: b3, Key: manifestKey, Body: JSON.stringify(manifest) }));
    const args = (target: ConnectionParams) => [
      'restore',
      '--backup',
      backup.key,
      '--target-url',
      url(target),
      '--s3-endpoint',
      inject('s3Endpoint'),
      '--bucket',
      b3,
    ];
    // WHEN / THEN
    const refused = await pgproof(args(await createSourceDatabase('restore_roles')));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/roles the target server lacks: "pgproof_ghost_role".*--create-roles.*--no-owner/);
    expect((await pgproof([...args(await createSourceDatabase('restore_noowner')), '--no-owner'])).code).toBe(0);
    const created = await pgproof([...args(await createSourceDatabase('restore_mkroles')), '--create-roles']);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/roles created \(NOLOGIN\): pgproof_ghost_role/);
  }, 180_000); // three CLI runs: each takes 15-20 s on a loaded 2-core machine

  it('with --create-roles, creates no role when the checksum fails: nothing touches the target server first', async () => {
    const b4 = await createBucket();
    const manifestKey = backup.key.replace(/\.dump\.zst$/, '.manifest.json');
    const manifest = JSON.parse((await getObjectBytes(bucket, manifestKey)).toString());
    manifest.roles.push('pgproof_never_created');
    const bytes = await getObjectBytes(bucket, backup.key);
    bytes[bytes.length - 10]! ^= 0x01;
    await testS3().send(new PutObjectCommand({ Bucket: b4, Key: backup.key, Body: bytes }));
    await testS3().send(new PutObjectCommand({ Bucket: b4, Key: manifestKey, Body: JSON.stringify(manifest) }));
    const target = await createSourceDatabase('restore_noroles');
    const out = await pgproof([
      'restore',
      '--backup',
      backup.key,
      '--target-url',
      url(target),
      '--create-roles',
      '--s3-endpoint',
      inject('s3Endpoint'),
      '--bucket',
      b4,
    ]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/ChecksumMismatch/);
    const client = await connect(target);
    const { rows } = await client.query(
      "select count(*)::int as n from pg_roles where rolname = 'pgproof_never_created'",
    );
    await client.end();
    expect(rows[0].n).toBe(0);
  });

  it('needs --database for latest when the bucket holds several databases', async () => {
    const other = await createSourceDatabase('restore_other');
    await backupForTest(other, bucket).then((b) =>
      writeVerificationRecord(testS3(), bucket, {
        runId: b.runId,
        key: b.key,
        verifiedAt: new Date().toISOString(),
        restoreSeconds: 1,
        serverMajor: 15,
        tables: 0,
        rows: 0,
        checks: [],
        deepProof: false,
      }),
    );
    const target = await createSourceDatabase('restore_which');
    const out = await pgproof(['restore', '--backup', 'latest', '--target-url', url(target), ...common()]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/several databases .*name one with --database/);
  });

  it('explains a missing backup and usage errors', async () => {
    const target = await createSourceDatabase('restore_missing');
    const out = await pgproof([
      'restore',
      '--backup',
      'pgproof/nope/2026-01-01/20260101T000000Z-abcdef12.dump.zst',
      '--target-url',
      url(target),
      ...common(),
    ]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/no manifest at s3:\/\//);
    const usage = await pgproof(['restore', '--backup', 'latest', ...common()]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/required option '--target-url <url>' not specified/);
    const badUrl = await pgproof([
      'restore',
      '--backup',
      'latest',
      '--target-url',
      'mysql://u:pw@h/db',
      '--json',
      ...common(),
    ]);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/--target-url: .*postgres:\/\//);
    expect(lastJson(badUrl)).toMatchObject({
      status: 'FAILED',
      error: { name: 'UsageError', message: expect.stringMatching(/--target-url/) },
    });
    expect(badUrl.stdout).not.toContain(':pw@');
  });
});
