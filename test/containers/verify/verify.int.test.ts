import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupResult } from '../../../containers/backup/backup';
import { manifestKeyFor, verifiedKeyFor } from '../../../containers/common/keys';
import { readManifest, readVerificationRecord, writeManifest } from '../../../containers/common/manifest';
import type { ConnectionParams } from '../../../containers/common/pg-connection';
import { runVerify, type VerifySettings } from '../../../containers/verify/verify';
import { createSampleDatabase } from '../../../lib/local/sample-database';
import { SOURCE_PASSWORD } from '../../helpers/source-cluster';
import {
  captureLogger,
  createBucket,
  createSourceDatabase,
  getObjectBytes,
  listAllKeys,
  runTaskProcess,
  taskEnv,
  testS3,
  backupForTest,
  verifySettingsFor,
} from '../../helpers/fixtures';

let workRoot: string;
beforeAll(async () => {
  workRoot = await mkdtemp(path.join(os.tmpdir(), 'pgproof-verify-test-'));
  await chmod(workRoot, 0o711);
});
afterAll(() => rm(workRoot, { recursive: true, force: true }));

const backup = backupForTest;

async function traversable(dir: string): Promise<string> {
  await chmod(dir, 0o711);
  return dir;
}

async function verifySettings(
  bucket: string,
  key: string,
  config: unknown = {},
  workDir?: string,
): Promise<VerifySettings> {
  return verifySettingsFor(
    bucket,
    key,
    workDir ?? (await traversable(await mkdtemp(path.join(workRoot, 'w-')))),
    config,
  );
}

const userChecks = {
  checks: [
    { name: 'customers exist', sql: 'select count(*) from shop.customers', expect: { min: 1 } },
    { name: 'no negative totals', sql: 'select count(*) from shop.orders where total < 0', expect: { equals: 0 } },
    {
      name: 'non-ASCII survived',
      sql: "select count(*) > 0 from shop.customers where name like 'Zoë%'",
      expect: { equals: true },
    },
    {
      name: 'owner restored',
      sql: "select tableowner from pg_tables where tablename = 'events'",
      expect: { equals: 'pgproof_app_owner' },
    },
    {
      name: 'large object content',
      sql: "select convert_from(lo_get(body), 'UTF8') from public.documents where id = 1",
      expect: { equals: 'Große Datei: ½ KB of text ✓' },
    },
  ],
  freshness: [{ table: 'shop.customers', column: 'created_at', maxAgeHours: 26 }],
};

describe('verify engine', () => {
  let conn: ConnectionParams;
  let bucket: string;
  let deep: BackupResult;

  beforeAll(async () => {
    conn = await createSourceDatabase('verify_sample', async (sql) => {
      await createSampleDatabase({ query: sql } as unknown as Parameters<typeof createSampleDatabase>[0], {
        rows: 800,
      });
    });
    bucket = await createBucket();
    deep = await backup(conn, bucket, { deepProof: true });
  });

  it('restores the dump into a throwaway cluster, proves every table row for row, runs the checks, and marks it verified', async () => {
    // GIVEN
    const settings = await verifySettings(bucket, deep.key, { ...userChecks, deepProof: true });
    const { logger, lines } = captureLogger();
    // WHEN
    const result = await runVerify(settings, { s3: testS3(), logger });
    // THEN
    expect(result.checks.map((c) => [c.name, c.passed])).toEqual([
      ['row counts', true],
      ['large objects', true],
      ['content hash', true],
      ['database settings', true],
      ['customers exist', true],
      ['no negative totals', true],
      ['non-ASCII survived', true],
      ['owner restored', true],
      ['large object content', true],
      ['freshness of shop.customers.created_at', true],
    ]);
    expect(result.tables).toBe(5);
    expect(result.restoreSeconds).toBeGreaterThan(0);
    const record = await readVerificationRecord(testS3(), bucket, deep.key);
    expect(record).toMatchObject({ runId: deep.runId, key: deep.key, deepProof: true, serverMajor: 15 });
    // AND nothing is left on disk
    expect(await readdir(settings.workDir!)).toEqual([]);
    expect(lines.join('\n')).not.toContain(SOURCE_PASSWORD);
  });

  it('fails on a corrupted object with a checksum mismatch, before any restore', async () => {
    const b = await backup(conn, bucket);
    const bytes = await getObjectBytes(bucket, b.key);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await testS3().send(new PutObjectCommand({ Bucket: bucket, Key: b.key, Body: bytes }));
    const { logger, lines } = captureLogger();
    const settings = await verifySettings(bucket, b.key);
    await expect(runVerify(settings, { s3: testS3(), logger })).rejects.toMatchObject({
      name: 'ChecksumMismatch',
      message: expect.stringMatching(/checksum mismatch .*nothing was restored/),
    });
    expect(lines.some((l) => l.includes('throwaway cluster ready'))).toBe(false);
    expect(await readVerificationRecord(testS3(), bucket, b.key)).toBeUndefined();
    expect(await readdir(settings.workDir!)).toEqual([]);
  });

  it('fails on a truncated object with a checksum mismatch', async () => {
    const b = await backup(conn, bucket);
    const bytes = await getObjectBytes(bucket, b.key);
    await testS3().send(
      new PutObjectCommand({ Bucket: bucket, Key: b.key, Body: bytes.subarray(0, bytes.length - 1000) }),
    );
    await expect(
      runVerify(await verifySettings(bucket, b.key), { s3: testS3(), logger: captureLogger().logger }),
    ).rejects.toMatchObject({ name: 'ChecksumMismatch' });
  });

  it('names the table whose restored row count differs from the manifest, and does not mark the backup verified', async () => {
    const b = await backup(conn, bucket);
    const manifest = await readManifest(testS3(), bucket, b.key);
    const tampered = {
      ...manifest,
      tables: manifest.tables.map((t) => (t.name === 'orders_recent' ? { ...t, rows: t.rows + 1 } : t)),
    };
    await writeManifest(testS3(), bucket, tampered);
    await expect(
      runVerify(await verifySettings(bucket, b.key), { s3: testS3(), logger: captureLogger().logger }),
    ).rejects.toMatchObject({
      name: 'VerificationFailed',
      message: expect.stringMatching(
        /row counts: 1 tables differ .*shop\.orders_recent: \d+ rows restored, \d+ in the dump's snapshot/,
      ),
    });
    expect(await listAllKeys(bucket)).not.toContain(verifiedKeyFor(b.key));
  });

  it('names the table whose content differs under the deep proof', async () => {
    const b = await backup(conn, bucket, { deepProof: true });
    const manifest = await readManifest(testS3(), bucket, b.key);
    const tampered = {
      ...manifest,
      tables: manifest.tables.map((t) => (t.name === 'events' ? { ...t, contentHash: `${t.rows}:12345` } : t)),
    };
    await writeManifest(testS3(), bucket, tampered);
    await expect(
      runVerify(await verifySettings(bucket, b.key), { s3: testS3(), logger: captureLogger().logger }),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/content hash: 1 tables differ .*audit\.events: content differs/),
    });
  });

  it('fails a failing user check and a stale freshness check, reporting values and expectations', async () => {
    const config = {
      checks: [
        { name: 'too many customers', sql: 'select count(*) from shop.customers', expect: { max: 10 } },
        { name: 'broken sql', sql: 'select nope from nowhere', expect: { min: 0 } },
      ],
      freshness: [{ table: 'audit.events', column: 'happened_at', maxAgeHours: 0.001 }],
    };
    const run = runVerify(await verifySettings(bucket, deep.key, config), {
      s3: testS3(),
      logger: captureLogger().logger,
    });
    await expect(run).rejects.toMatchObject({ name: 'VerificationFailed' });
    const message = await run.catch((e: Error) => e.message);
    expect(message).toMatch(/3 of 7 checks failed/);
    expect(message).toMatch(/too many customers: 800 \(expected <= 10\)/);
    expect(message).toMatch(/broken sql: error .*relation "nowhere" does not exist/);
    expect(message).toMatch(/freshness of audit\.events\.happened_at: [\d.]+ h old/);
  });

  it("fails with pg_restore's own error on a real data error", async () => {
    const db = await createSourceDatabase('verify_bad_data', async (sql) => {
      await sql(
        "create function below_limit(v int) returns boolean language plpgsql immutable as $$ begin return v < current_setting('app.limit')::int; end $$",
      );
      await sql('create table capped (v int check (below_limit(v)))');
      await sql("select set_config('app.limit', '100', false); insert into capped select generate_series(1, 50)");
    });
    const b = await backup(db, bucket);
    const settings = await verifySettings(bucket, b.key);
    await expect(runVerify(settings, { s3: testS3(), logger: captureLogger().logger })).rejects.toMatchObject({
      name: 'RestoreFailed',
      message: expect.stringMatching(
        /pg_restore exited with status 1: .*unrecognized configuration parameter "app\.limit"/s,
      ),
    });
    expect(await readdir(settings.workDir!)).toEqual([]);
  });

  it('reports a full disk clearly and removes the throwaway files', async () => {
    const db = await createSourceDatabase('verify_disk', async (sql) => {
      await sql("create table filler as select i, repeat('pgproof ', 200) as pad from generate_series(1, 20000) i");
    });
    const b = await backup(db, bucket);
    const small = await mkdtemp(path.join(workRoot, 'small-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', small]);
    try {
      const run = runVerify(await verifySettings(bucket, b.key, {}, small), {
        s3: testS3(),
        logger: captureLogger().logger,
      });
      await expect(run).rejects.toMatchObject({
        name: 'DiskFull',
        message: expect.stringMatching(/give the verify task more ephemeral storage/),
      });
      expect(await readdir(small)).toEqual([]);
    } finally {
      execFileSync('umount', [small]);
    }
  });

  it('stops cleanly on SIGTERM during the restore: exit 143, no server process, no files left', async () => {
    const db = await createSourceDatabase('verify_sigterm', async (sql) => {
      await sql('create table big as select i, md5(i::text) as h from generate_series(1, 400000) i');
      await sql('create index big_h on big (h)');
    });
    const b = await backup(db, bucket);
    const workDir = await traversable(await mkdtemp(path.join(workRoot, 'sig-')));
    let pid = 0;
    let sent = false;
    const out = await runTaskProcess(
      'verify',
      { ...taskEnv(db, bucket), PGPROOF_BACKUP_KEY: b.key, PGPROOF_WORK_DIR: workDir },
      {
        onSpawn: (p) => (pid = p),
        onStderr: (text) => {
          if (!sent && text.includes('throwaway cluster ready')) {
            sent = true;
            process.kill(pid, 'SIGTERM');
          }
        },
      },
    );
    expect(sent).toBe(true);
    expect(out.code).toBe(143);
    expect(out.result).toMatchObject({ status: 'FAILED', error: { name: 'TaskInterrupted' } });
    expect(await readdir(workDir)).toEqual([]);
    const postgres = spawnSync('pgrep', ['-f', workDir], { encoding: 'utf8' });
    expect(postgres.stdout.trim()).toBe('');
  });

  it('runs through the entrypoint and reports the result as JSON, without secrets', async () => {
    const out = await runTaskProcess('verify', {
      ...taskEnv(conn, bucket),
      PGPROOF_BACKUP_KEY: deep.key,
      PGPROOF_CONFIG: JSON.stringify(userChecks),
    });
    expect(out.code).toBe(0);
    expect(out.result).toMatchObject({ status: 'SUCCEEDED', output: { key: deep.key, tables: 5 } });
    expect(out.stdout + out.stderr).not.toContain(SOURCE_PASSWORD);
    expect(manifestKeyFor(deep.key)).toMatch(/\.manifest\.json$/);
  });
});

describe('verify engine: the previous verified backup', () => {
  it('reports the newest verified backup before this run (size, restore time), passing over a run never verified', async () => {
    // GIVEN a database backed up three times, the first and the third verified
    const conn = await createSourceDatabase('verify_previous', async (sql) => {
      await sql('create table items as select g as id, md5(g::text) as label from generate_series(1, 2000) g');
      await sql('create extension hstore');
    });
    const bucket = await createBucket();
    // Run ids order runs by their start second (the random suffix does not order runs of the same second).
    const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
    const first = await backup(conn, bucket);
    await nextSecond();
    const firstResult = await runVerify(await verifySettings(bucket, first.key), {
      s3: testS3(),
      logger: captureLogger().logger,
    });
    await nextSecond();
    const unverified = await backup(conn, bucket);
    await nextSecond();
    const third = await backup(conn, bucket);
    // WHEN
    // (hstore stands in for an RDS-only extension, which verify leaves out of the restore)
    const result = await runVerify(await verifySettings(bucket, third.key, { rdsOnlyExtensions: ['hstore'] }), {
      s3: testS3(),
      logger: captureLogger().logger,
    });
    // THEN the first verification had nothing to compare with; the third compares with the first, not the unverified second
    expect(firstResult.previous).toBeNull();
    expect(unverified.runId > first.runId && third.runId > unverified.runId).toBe(true);
    expect(result.previous).toEqual({
      runId: first.runId,
      dumpBytes: first.bytes,
      restoreSeconds: firstResult.restoreSeconds,
    });
    // AND the verified marker records the RDS-only extensions verify left out
    expect(result.skippedExtensions).toEqual(['hstore']);
    expect((await readVerificationRecord(testS3(), bucket, third.key))?.skippedExtensions).toEqual(['hstore']);
    expect((await readVerificationRecord(testS3(), bucket, first.key))?.skippedExtensions).toEqual([]);
  });
});
