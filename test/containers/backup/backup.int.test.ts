import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup, type BackupSettings } from '../../../containers/backup/backup';
import { manifestKeyFor, verifiedKeyFor } from '../../../containers/common/keys';
import { readManifest, writeVerificationRecord } from '../../../containers/common/manifest';
import { connect, type ConnectionParams } from '../../../containers/common/pg-connection';
import { createSampleDatabase } from '../../../lib/local/sample-database';
import { SOURCE_PASSWORD } from '../../helpers/source-cluster';
import {
  captureLogger,
  createBucket,
  createSourceDatabase,
  getObjectBytes,
  listAllKeys,
  runTaskProcess,
  sourceConnection,
  taskEnv,
  testS3,
  backupSettingsFor,
} from '../../helpers/fixtures';

const settingsFor = backupSettingsFor;

async function actualCounts(conn: ConnectionParams): Promise<Record<string, number>> {
  const client = await connect(conn);
  const out: Record<string, number> = {};
  for (const t of ['shop.customers', 'shop.orders_old', 'shop.orders_recent', 'audit.events', 'public.documents']) {
    const { rows } = await client.query<{ n: string }>(`select count(*) as n from ${t}`);
    out[t] = Number(rows[0]!.n);
  }
  await client.end();
  return out;
}

describe('backup engine', () => {
  let conn: ConnectionParams;
  let bucket: string;

  beforeAll(async () => {
    conn = await createSourceDatabase('backup_sample', async (sql) => {
      const client = { query: sql } as unknown as Parameters<typeof createSampleDatabase>[0];
      await createSampleDatabase(client, { rows: 500 });
    });
    bucket = await createBucket();
  });

  it('streams a zstd-compressed custom-format dump to S3 whose SHA-256 and row counts match the manifest', async () => {
    // GIVEN
    const { logger, lines } = captureLogger();
    // WHEN
    const result = await runBackup(await settingsFor(conn, bucket), { s3: testS3(), logger });
    // THEN the object is there, hashes as reported, and is a pg_dump archive once decompressed
    expect(result.key).toMatch(
      new RegExp(`^pgproof/${conn.database}/\\d{4}-\\d{2}-\\d{2}/\\d{8}T\\d{6}Z-[0-9a-f]{10}\\.dump\\.zst$`),
    );
    const bytes = await getObjectBytes(bucket, result.key);
    expect(bytes.length).toBe(result.bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(result.sha256);
    const archive = spawnSync('zstd', ['-d', '-c'], { input: bytes });
    expect(archive.stdout.subarray(0, 5).toString()).toBe('PGDMP');
    const listing = spawnSync('pg_restore', ['--list'], { input: archive.stdout });
    expect(listing.stdout.toString()).toMatch(/TABLE DATA shop orders_recent/);
    expect(listing.stdout.toString()).toMatch(/BLOB/);

    const manifest = await readManifest(testS3(), bucket, result.key);
    expect(manifest).toMatchObject({
      runId: result.runId,
      bytes: result.bytes,
      sha256: result.sha256,
      compression: { method: 'zstd' },
    });
    expect(manifest.server.major).toBe(15);
    expect(manifest.pgDump.major).toBe(15);
    expect(manifest.largeObjects).toBe(1);
    expect(manifest.roles).toEqual(expect.arrayContaining(['pgproof_app_owner', 'pgproof_reporting']));
    const counts = Object.fromEntries(manifest.tables.map((t) => [`${t.schema}.${t.name}`, t.rows]));
    expect(counts).toEqual(await actualCounts(conn));
    expect(Date.parse(manifest.snapshotAt)).toBeLessThanOrEqual(Date.parse(manifest.finishedAt));
    expect(lines.join('\n')).not.toContain(SOURCE_PASSWORD);
  });

  it('records counts of the exported snapshot, not of rows committed while the dump ran', async () => {
    // GIVEN a writer that keeps inserting while the backup runs
    const writer = await connect(conn);
    let stop = false;
    const writing = (async () => {
      while (!stop) await writer.query('insert into audit.events (payload) values (\'{"event":"during"}\')');
    })();
    // WHEN
    const result = await runBackup(await settingsFor(conn, bucket), { s3: testS3(), logger: captureLogger().logger });
    stop = true;
    await writing;
    await writer.end();
    // THEN the manifest's count equals the rows inside the archive (restore it and count)
    const manifest = await readManifest(testS3(), bucket, result.key);
    const events = manifest.tables.find((t) => t.name === 'events')!.rows;
    const archive = spawnSync('zstd', ['-d', '-c'], { input: await getObjectBytes(bucket, result.key) }).stdout;
    const data = spawnSync('pg_restore', ['--data-only', '--table=events', '-f', '-'], {
      input: archive,
    }).stdout.toString();
    const copied = data.split('\n').filter((l) => /^\d+\t/.test(l)).length;
    expect(copied).toBe(events);
  });

  it('gives two runs started in the same second different keys', async () => {
    const settings = await settingsFor(conn, bucket);
    const [a, b] = await Promise.all([
      runBackup(settings, { s3: testS3(), logger: captureLogger().logger }),
      runBackup(settings, { s3: testS3(), logger: captureLogger().logger }),
    ]);
    expect(a.key).not.toBe(b.key);
    expect(await listAllKeys(bucket)).toEqual(
      expect.arrayContaining([a.key, b.key, manifestKeyFor(a.key), manifestKeyFor(b.key)]),
    );
  });

  it('falls back to pg_dump compression, with a notice, when zstd is missing', async () => {
    const { logger, lines } = captureLogger();
    const settings = { ...(await settingsFor(conn, bucket)), zstdPath: undefined };
    const result = await runBackup(settings, { s3: testS3(), logger });
    expect(result.compression).toEqual({ method: 'pg_dump', level: 6 });
    expect(result.key.endsWith('.dump')).toBe(true);
    expect((await getObjectBytes(bucket, result.key)).subarray(0, 5).toString()).toBe('PGDMP');
    expect(lines.some((l) => /zstd is not installed/.test(l))).toBe(true);
  });

  it('reports isNew for the first complete backup of a database only, from the one listing of its runs', async () => {
    // GIVEN a database the bucket has never seen, and an S3 client that counts listings
    const db = await createSourceDatabase('backup_is_new', async (sql) => {
      await sql('create table t as select i from generate_series(1, 10) i');
    });
    const settings = await settingsFor(db, bucket, { compression: { method: 'none' } });
    const s3 = testS3();
    let listings = 0;
    const send = s3.send.bind(s3) as (command: unknown) => Promise<unknown>;
    (s3 as { send: unknown }).send = (command: unknown) => {
      if (command instanceof ListObjectsV2Command) listings++;
      return send(command);
    };
    // WHEN it is backed up twice (the first backup never verified: complete is enough)
    const first = await runBackup(settings, { s3, logger: captureLogger().logger });
    const listingsOfFirst = listings;
    const second = await runBackup(settings, { s3, logger: captureLogger().logger });
    // THEN only the first is new, and each run listed the database's runs once
    expect(first.isNew).toBe(true);
    expect(second.isNew).toBe(false);
    expect(second.previousBytes).toBeNull();
    expect(listingsOfFirst).toBe(1);
    expect(listings).toBe(2);
  });

  it('trips the size guard when the dump shrinks too much against the last verified backup, and keeps the dump', async () => {
    // GIVEN a verified backup of a database, then most of its data deleted
    const db = await createSourceDatabase('backup_shrink', async (sql) => {
      await sql('create table big as select i, repeat(md5(i::text), 20) as pad from generate_series(1, 20000) i');
    });
    const settings = await settingsFor(db, bucket, { compression: { method: 'none' } });
    const first = await runBackup(settings, { s3: testS3(), logger: captureLogger().logger });
    await writeVerificationRecord(testS3(), bucket, {
      runId: first.runId,
      key: first.key,
      verifiedAt: new Date().toISOString(),
      restoreSeconds: 1,
      serverMajor: 15,
      tables: 1,
      rows: 20000,
      checks: [],
      deepProof: false,
    });
    const client = await connect(db);
    await client.query('delete from big where i > 100');
    await client.end();
    // WHEN
    const run = runBackup(settings, { s3: testS3(), logger: captureLogger().logger });
    // THEN
    await expect(run).rejects.toMatchObject({
      name: 'SizeGuardTripped',
      message: expect.stringMatching(
        /smaller than the last verified backup .*allows at most 50% shrink.*This dump: pgproof\/backup_shrink_/s,
      ),
    });
    const keys = await listAllKeys(bucket, `pgproof/${db.database}/`);
    expect(keys.filter((k) => k.endsWith('.dump'))).toHaveLength(2);
    expect(keys.filter((k) => k.endsWith('.verified.json'))).toEqual([verifiedKeyFor(first.key)]);
    // AND a looser guard accepts the same shrink
    const loose = await settingsFor(db, bucket, { compression: { method: 'none' }, sizeGuard: { maxShrink: 0.999 } });
    await expect(runBackup(loose, { s3: testS3(), logger: captureLogger().logger })).resolves.toMatchObject({
      previousBytes: first.bytes,
      isNew: false,
    });
    // AND a change of compression (none → zstd) is not mistaken for lost data
    const { logger, lines } = captureLogger();
    await expect(
      runBackup(await settingsFor(db, bucket, { compression: { method: 'zstd', level: 19, threads: 0 } }), {
        s3: testS3(),
        logger,
      }),
    ).resolves.toMatchObject({ previousBytes: first.bytes });
    expect(lines.some((l) => l.includes('size guard not applied: the compression changed'))).toBe(true);
  });
});

describe('backup failures', () => {
  let bucket: string;
  let fakeRoot: string;
  beforeAll(async () => {
    bucket = await createBucket();
    fakeRoot = await mkdtemp(path.join(os.tmpdir(), 'pgproof-fake-pg-'));
  });
  afterAll(() => rm(fakeRoot, { recursive: true, force: true }));

  async function fakeClient(major: string, script: string): Promise<string> {
    const dir = path.join(fakeRoot, major, 'bin');
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, 'pg_dump'),
      `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) ${major}.99"; exit 0; fi\n${script}\n`,
    );
    await chmod(path.join(dir, 'pg_dump'), 0o755);
    return path.join(fakeRoot);
  }

  it('refuses a pg_dump older than the server, naming both versions, and writes nothing (the GitLab failure)', async () => {
    const conn = await createSourceDatabase('backup_gitlab');
    const roots = await fakeClient('12', 'echo "would dump" >&2; exit 0');
    const env = taskEnv(conn, bucket, { PGPROOF_PG_ROOTS: roots, PGPROOF_PG_SEARCH_PATH: '' });
    const out = await runTaskProcess('backup', env);
    expect(out.code).toBe(1);
    expect(out.result).toMatchObject({ status: 'FAILED', error: { name: 'PgVersionMismatch' } });
    const message = out.result?.status === 'FAILED' ? out.result.error.message : '';
    expect(message).toMatch(/server runs PostgreSQL 15\.\d+ \(major 15\)/);
    expect(message).toMatch(/found: 12\.99/);
    expect(await listAllKeys(bucket, `pgproof/${conn.database}/`)).toEqual([]);
    expect(out.stdout + out.stderr).not.toContain(SOURCE_PASSWORD);
  });

  it('leaves no object at the final key when pg_dump dies after streaming several parts', async () => {
    const conn = await createSourceDatabase('backup_killed');
    // 40 MB of output (more than two 16 MiB parts), then the process is killed.
    const roots = await fakeClient(
      '15',
      'head -c 40000000 /dev/urandom; echo "pg_dump: error: connection lost" >&2; kill -9 $$',
    );
    const { logger } = captureLogger();
    const settings: BackupSettings = {
      ...(await settingsFor(conn, bucket, { compression: { method: 'none' } })),
      discovery: { roots: [roots], searchPath: '' },
    };
    await expect(runBackup(settings, { s3: testS3(), logger })).rejects.toMatchObject({
      name: 'DumpFailed',
      message: expect.stringMatching(/pg_dump was killed by SIGKILL: .*connection lost/s),
    });
    expect((await listAllKeys(bucket, `pgproof/${conn.database}/`)).filter((k) => !k.includes('multipart'))).toEqual(
      [],
    );
  });

  it('fails when pg_dump writes an ERROR line even though it exits 0', async () => {
    const conn = await createSourceDatabase('backup_errline');
    const roots = await fakeClient(
      '15',
      'printf "PGDMP-fake-archive"; echo "pg_dump: error: query failed: ERROR:  could not read block 7" >&2; exit 0',
    );
    const settings: BackupSettings = {
      ...(await settingsFor(conn, bucket)),
      discovery: { roots: [roots], searchPath: '' },
    };
    await expect(runBackup(settings, { s3: testS3(), logger: captureLogger().logger })).rejects.toMatchObject({
      name: 'DumpFailed',
      message: expect.stringMatching(/pg_dump reported an error: .*could not read block 7/),
    });
    expect(await listAllKeys(bucket, `pgproof/${conn.database}/`)).toEqual([]);
  });

  it('stops cleanly on SIGTERM mid-dump: exit 143, pg_dump ended, no object at the final key', async () => {
    const conn = await createSourceDatabase('backup_sigterm');
    const marker = `pgproof-slow-dump-${Date.now()}`;
    const roots = await fakeClient(
      '15',
      `exec sh -c 'while true; do head -c 1000000 /dev/urandom; sleep 0.2; done' ${marker}`,
    );
    let pid = 0;
    let sent = false;
    const out = await runTaskProcess(
      'backup',
      taskEnv(conn, bucket, {
        PGPROOF_PG_ROOTS: roots,
        PGPROOF_PG_SEARCH_PATH: '',
        PGPROOF_CONFIG: '{"compression":{"method":"none"}}',
      }),
      {
        onSpawn: (p) => (pid = p),
        onStderr: (text) => {
          if (!sent && text.includes('dump starting')) {
            sent = true;
            setTimeout(() => process.kill(pid, 'SIGTERM'), 1500);
          }
        },
      },
    );
    expect(sent).toBe(true);
    expect(out.code).toBe(143);
    expect(out.result).toMatchObject({ status: 'FAILED', error: { name: 'TaskInterrupted' } });
    expect(spawnSync('pgrep', ['-f', marker], { encoding: 'utf8' }).stdout.trim()).toBe('');
    expect(await listAllKeys(bucket, `pgproof/${conn.database}/`)).toEqual([]);
  });

  it('stops at once on SIGTERM before pg_dump has started: nothing is dumped or written', async () => {
    const conn = await createSourceDatabase('backup_early_sigterm');
    // Discovery is slow (the fake client answers --version after 3 s): the signal lands before any dump.
    const dir = path.join(fakeRoot, 'slow15', '15', 'bin');
    await mkdir(dir, { recursive: true });
    const marker = path.join(fakeRoot, 'slow15-dumped');
    await writeFile(
      path.join(dir, 'pg_dump'),
      `#!/bin/sh\nif [ "$1" = "--version" ]; then sleep 3; echo "pg_dump (PostgreSQL) 15.99"; exit 0; fi\ntouch ${marker}\nexec /usr/lib/postgresql/15/bin/pg_dump "$@"\n`,
    );
    await chmod(path.join(dir, 'pg_dump'), 0o755);
    let pid = 0;
    let sent = false;
    const out = await runTaskProcess(
      'backup',
      taskEnv(conn, bucket, { PGPROOF_PG_ROOTS: path.join(fakeRoot, 'slow15'), PGPROOF_PG_SEARCH_PATH: '' }),
      {
        onSpawn: (p) => (pid = p),
        onStderr: (text) => {
          if (!sent && text.includes('backup starting')) {
            sent = true;
            setTimeout(() => process.kill(pid, 'SIGTERM'), 1000);
          }
        },
      },
    );
    expect(sent).toBe(true);
    expect(out.code).toBe(143);
    expect(out.result).toMatchObject({ status: 'FAILED', error: { name: 'TaskInterrupted' } });
    expect(existsSync(marker)).toBe(false);
    expect(await listAllKeys(bucket, `pgproof/${conn.database}/`)).toEqual([]);
  });

  it("fails on permission denied for one table with pg_dump's message, and writes no object", async () => {
    const conn = await createSourceDatabase('backup_denied', async (sql) => {
      await sql('create table open_data (i int)');
      await sql('create table secret_data (i int)');
      await sql(
        "do $$ begin if not exists (select 1 from pg_roles where rolname = 'pgproof_limited') then create role pgproof_limited login password 'limited-pw-123'; end if; end $$",
      );
      await sql('grant select on open_data to pgproof_limited');
    });
    const limited = { ...conn, user: 'pgproof_limited', password: 'limited-pw-123' };
    await expect(
      runBackup(await settingsFor(limited, bucket), { s3: testS3(), logger: captureLogger().logger }),
    ).rejects.toMatchObject({
      name: 'DumpFailed',
      message: expect.stringMatching(/permission denied for table secret_data/),
    });
    expect(await listAllKeys(bucket, `pgproof/${conn.database}/`)).toEqual([]);
  });

  it('explains a wrong password without showing it', async () => {
    const conn = sourceConnection('postgres', { password: 'definitely-wrong-pw' });
    const out = await runTaskProcess('backup', taskEnv(conn, bucket));
    expect(out.result).toMatchObject({
      status: 'FAILED',
      error: {
        name: 'DatabaseConnectionFailed',
        message: expect.stringMatching(/password authentication failed.*check the user name and the password secret/),
      },
    });
    expect(out.stdout + out.stderr).not.toContain('definitely-wrong-pw');
  });

  it('explains an unreachable server and a missing database', async () => {
    const down = { ...sourceConnection('postgres'), port: 1 };
    await expect(
      runBackup(await settingsFor(down, bucket), { s3: testS3(), logger: captureLogger().logger }),
    ).rejects.toMatchObject({
      name: 'DatabaseConnectionFailed',
      message: expect.stringMatching(/could not be reached/),
    });
    await expect(
      runBackup(await settingsFor(sourceConnection('no_such_db'), bucket), {
        s3: testS3(),
        logger: captureLogger().logger,
      }),
    ).rejects.toMatchObject({
      name: 'DatabaseConnectionFailed',
      message: expect.stringMatching(/database "no_such_db" does not exist/),
    });
  });

  it('fails at once, before dumping, when the S3 endpoint is down', async () => {
    const conn = await createSourceDatabase('backup_s3down');
    const settings = await settingsFor(conn, bucket);
    const s3 = (await import('../../../containers/common/s3')).createS3Client({
      endpoint: 'http://127.0.0.1:1',
      region: 'us-east-1',
    });
    await expect(
      runBackup(
        { ...settings, storage: { ...settings.storage, endpoint: 'http://127.0.0.1:1' } },
        { s3, logger: captureLogger().logger },
      ),
    ).rejects.toMatchObject({
      name: 'StorageError',
      message: expect.stringMatching(/cannot list s3:\/\//),
    });
  });

  it('reports success through the entrypoint as one JSON line on stdout and logs JSON on stderr', async () => {
    const conn = await createSourceDatabase('backup_entry', async (sql) => {
      await sql('create table t (i int)');
      await sql('insert into t select generate_series(1, 10)');
    });
    const out = await runTaskProcess('backup', taskEnv(conn, bucket, { PGPROOF_REASON: 'before migration' }));
    expect(out.code).toBe(0);
    expect(out.result).toMatchObject({ status: 'SUCCEEDED', output: { database: conn.database, tables: 1, rows: 10 } });
    for (const line of out.stderr.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    expect(out.stdout + out.stderr).not.toContain(SOURCE_PASSWORD);
  });
});
