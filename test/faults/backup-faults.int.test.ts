import { randomBytes } from 'node:crypto';
import { access, chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../containers/common/pg-connection';
import type { RunRecord } from '../../lib/contracts/run-record';
import { pgproof } from '../helpers/pgproof-process';
import { listAllKeys } from '../helpers/fixtures';
import {
  databaseOf,
  createWorld,
  databaseUrl,
  everyOutput,
  expectBaselineIntact,
  expectFailedRun,
  runPgproof,
  secretsIn,
  type FaultRun,
  type FaultWorld,
} from './harness';

const MiB = 1024 * 1024;
const DUMP_KEY = /\.dump(\.zst)?$/;

/**
 * A fake PostgreSQL installation `<root>/<major>/bin/pg_dump` running `script` (after answering `--version`), for
 * `PGPROOF_PG_ROOTS`: the local runner passes it to the backup task, whose tool discovery then finds only this one.
 */
async function fakePgRoot(parent: string, major: string, script: string): Promise<Record<string, string>> {
  const root = await mkdtemp(path.join(parent, `fake-pg-${major}-`));
  const bin = path.join(root, major, 'bin');
  await mkdir(bin, { recursive: true });
  await writeFile(
    path.join(bin, 'pg_dump'),
    `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) ${major}.99"; exit 0; fi\n${script}\n`,
  );
  await chmod(path.join(bin, 'pg_dump'), 0o755);
  return { PGPROOF_PG_ROOTS: root, PGPROOF_PG_SEARCH_PATH: '' };
}

/** Dump objects in the bucket (multipart leftovers of an aborted upload are not objects and are not listed). */
async function dumpKeys(world: FaultWorld): Promise<string[]> {
  return (await listAllKeys(world.bucket)).filter((k) => DUMP_KEY.test(k));
}

/** Every key a run left in the bucket (its run id is in each of its keys). */
async function keysOfRun(world: FaultWorld, run: { result: RunRecord }): Promise<string[]> {
  expect(run.result.runId).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{10,}$/);
  return (await listAllKeys(world.bucket)).filter((k) => k.includes(run.result.runId));
}

/** Everything issue 6 demands of a failed backup, plus: the chat message names the error, not only the state. */
async function expectFailedBackup(
  world: FaultWorld,
  run: FaultRun,
  expected: { name: string | RegExp; message: RegExp },
): Promise<void> {
  await expectFailedRun(world, run, { state: 'BackupDatabase', ...expected });
  expect(run.chatRequests[0]!.body).toContain(run.result.error!.name);
}

// One world for the faults that leave the source and the bucket as they were; the S3 cut ends its proxy for good,
// so that case runs last.
describe('backup faults through `pgproof run --local`', () => {
  let world: FaultWorld;
  let fakes: string;
  beforeAll(async () => {
    world = await createWorld('backup');
    fakes = await mkdtemp(path.join(os.tmpdir(), 'pgproof-fault-fakes-'));
  });
  afterAll(async () => {
    await world?.close();
    await rm(fakes, { recursive: true, force: true });
  });

  it('database unreachable: DatabaseConnectionFailed in BackupDatabase, saying it could not be reached', async () => {
    // GIVEN a server address where nothing listens
    const url = databaseUrl({ ...world.source, host: '127.0.0.1', port: 1 });
    // WHEN
    const run = await runPgproof(world, { databaseUrl: url });
    // THEN
    await expectFailedBackup(world, run, { name: 'DatabaseConnectionFailed', message: /could not be reached/ });
    expect(run.result.error!.message).toMatch(/127\.0\.0\.1:1/);
    expect(await keysOfRun(world, run)).toEqual([]);
  });

  it('wrong password: DatabaseConnectionFailed naming the authentication failure, and the wrong password shows nowhere', async () => {
    const wrong = `wrong-pw-${randomBytes(6).toString('hex')}`;
    const run = await runPgproof(world, { databaseUrl: databaseUrl({ ...world.source, password: wrong }) });
    await expectFailedBackup(world, run, {
      name: 'DatabaseConnectionFailed',
      message: /password authentication failed for user/,
    });
    expect(run.result.error!.message).toMatch(/check the user name and the password secret/);
    const text = await everyOutput(world, run);
    expect(text).toMatch(/DatabaseConnectionFailed/); // the scan covers the failure's own record
    expect(text).not.toContain(wrong);
  });

  it('database does not exist: DatabaseConnectionFailed naming the database', async () => {
    const run = await runPgproof(world, {
      databaseUrl: databaseUrl({ ...world.source, database: 'no_such_database' }),
    });
    await expectFailedBackup(world, run, {
      name: 'DatabaseConnectionFailed',
      message: /database "no_such_database" does not exist/,
    });
  });

  it('permission denied on one table: DumpFailed with pg_dump\'s "permission denied for table", and no object', async () => {
    // GIVEN a login role that may read every table but one
    const role = `pgproof_fault_limited_${randomBytes(3).toString('hex')}`;
    const password = `limited-${randomBytes(6).toString('hex')}`;
    const admin = await connect(world.source);
    try {
      await admin.query(`create role ${role} login password '${password}'`);
      await admin.query(`grant usage on schema shop, audit to ${role}`);
      await admin.query(`grant select on all tables in schema shop, audit, public to ${role}`);
      await admin.query(`revoke select on shop.customers from ${role}`);
      // Large objects need their own grant (pg_read_all_data-style access does not cover them): this test is about the table.
      await admin.query(
        `do $$ declare o oid; begin for o in select oid from pg_largeobject_metadata loop execute format('grant select on large object %s to ${role}', o); end loop; end $$`,
      );
    } finally {
      await admin.end();
    }
    // WHEN
    const run = await runPgproof(world, { databaseUrl: databaseUrl({ ...world.source, user: role, password }) });
    // THEN (pg_dump and the row count on the same snapshot race to the table: either one names it)
    await expectFailedBackup(world, run, { name: 'DumpFailed', message: /permission denied for table customers/ });
    expect(await keysOfRun(world, run)).toEqual([]);
    expect(await everyOutput(world, run)).not.toContain(password);
  });

  it('pg_dump killed mid-dump after several parts were uploaded: DumpFailed "killed by SIGKILL", nothing at the final key', async () => {
    // GIVEN a pg_dump that streams 40 MB (more than two 16 MiB parts), then is killed
    const env = await fakePgRoot(
      fakes,
      '15',
      'head -c 40000000 /dev/urandom; echo "pg_dump: error: connection to server lost" >&2; kill -9 $$',
    );
    const sent = world.proxy.uploadedBytes();
    // WHEN
    const run = await runPgproof(world, { env });
    // THEN
    await expectFailedBackup(world, run, { name: 'DumpFailed', message: /pg_dump was killed by SIGKILL/ });
    expect(run.result.error!.message).toMatch(/connection to server lost/);
    expect(world.proxy.uploadedBytes() - sent).toBeGreaterThan(16 * MiB);
    expect(await dumpKeys(world)).toEqual([world.baseline.key]);
    expect(await keysOfRun(world, run)).toEqual([]);
  });

  it('pg_dump of a too-old major (the GitLab failure): PgVersionMismatch naming the server and the client found', async () => {
    const env = await fakePgRoot(fakes, '12', 'echo "pg_dump: would write a dump" >&2; exit 0');
    const run = await runPgproof(world, { env });
    await expectFailedBackup(world, run, {
      name: 'PgVersionMismatch',
      message: /server runs PostgreSQL 15\.\d+ \(major 15\)/,
    });
    expect(run.result.error!.message).toMatch(/found: 12\.99/);
    expect(await keysOfRun(world, run)).toEqual([]);
  });

  it('S3 endpoint down at start: StorageError naming the endpoint and bucket, before any dump', async () => {
    // GIVEN an endpoint where nothing listens (the last --s3-endpoint wins over the world's proxy), and a pg_dump
    // that leaves a mark if it is ever asked to dump
    const endpoint = 'http://127.0.0.1:1';
    const mark = path.join(fakes, 'pg_dump-was-started');
    const env = await fakePgRoot(fakes, '15', `touch ${mark}; exit 1`);
    // WHEN
    const run = await runPgproof(world, { args: ['--s3-endpoint', endpoint], env });
    // THEN
    await expectFailedBackup(world, run, {
      name: 'StorageError',
      message: new RegExp(`cannot list s3://${world.bucket}/`),
    });
    expect(run.result.error!.message).toMatch(/127\.0\.0\.1:1/);
    await expect(access(mark), 'pg_dump was started').rejects.toThrow(/ENOENT/);
    expect(await keysOfRun(world, run)).toEqual([]);
  });

  it('two runs at once against the same database and state dir: both succeed with distinct keys, both notified and listed', async () => {
    const before = world.http.requests.length;
    const [a, b] = await Promise.all([runPgproof(world), runPgproof(world)]);
    for (const run of [a, b]) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.result.status).toBe('SUCCEEDED');
    }
    expect(a.result.runId).not.toBe(b.result.runId);
    expect(databaseOf(a.result).backup!.key).not.toBe(databaseOf(b.result).backup!.key);
    const requests = world.http.requests.slice(before);
    const chats = requests.filter((r) => r.url.startsWith('/services/'));
    expect(chats).toHaveLength(2);
    // One message per run, each about its own run (a message may name the other run as its previous verified backup).
    for (const run of [a, b])
      expect(chats.filter((c) => (JSON.parse(c.body) as { runId: string }).runId === run.result.runId)).toHaveLength(1);
    expect(requests.filter((r) => r.url.startsWith('/ping/'))).toHaveLength(2);
    const keys = await listAllKeys(world.bucket);
    for (const run of [a, b]) {
      const stem = databaseOf(run.result).backup!.key.replace(DUMP_KEY, '');
      expect(keys).toEqual(
        expect.arrayContaining([databaseOf(run.result).backup!.key, `${stem}.manifest.json`, `${stem}.verified.json`]),
      );
    }
    const history = JSON.parse(
      (await pgproof(['history', '--local', '--json', '--state-dir', world.stateDir])).stdout,
    ) as RunRecord[];
    expect(history.filter((r) => r.status === 'SUCCEEDED').map((r) => r.runId)).toEqual(
      expect.arrayContaining([a.result.runId, b.result.runId, world.baseline.runId]),
    );
    await expectBaselineIntact(world);
    expect([...secretsIn(await everyOutput(world, a)), ...secretsIn(await everyOutput(world, b))]).toEqual([]);
  });

  it('S3 going away mid-upload: the upload fails in BackupDatabase and no object is left at the final key', async () => {
    // GIVEN a dump needing several parts, and S3 that goes away for good after 20 MB
    const env = await fakePgRoot(fakes, '15', 'head -c 60000000 /dev/urandom');
    const dumpsBefore = await dumpKeys(world);
    world.proxy.fault = { kind: 'cut-uploads-after', bytes: 20_000_000 };
    // WHEN
    const run = await runPgproof(world, { env });
    // THEN (the chat is not S3, so it still hears; the bucket is read directly, not through the dead proxy)
    await expectFailedBackup(world, run, {
      name: /^(StorageError|DumpFailed)$/,
      message: new RegExp(`upload to s3://${world.bucket}/.* failed`),
    });
    expect(await dumpKeys(world)).toEqual(dumpsBefore);
    expect(await keysOfRun(world, run)).toEqual([]);
  });
});

describe('the size guard through `pgproof run --local`', () => {
  let world: FaultWorld;
  beforeAll(async () => {
    world = await createWorld('sizeguard', { rows: 2000 });
  });
  afterAll(() => world?.close());

  it('a dump that shrank too much against the last verified backup fails with SizeGuardTripped; dump and manifest kept, not verified', async () => {
    // GIVEN most rows deleted since the verified baseline
    const client = await connect(world.source);
    try {
      await client.query('delete from shop.orders where id > 10');
      await client.query('delete from audit.events where id > 10');
      await client.query(
        'delete from shop.customers where id > 10 and id not in (select customer_id from shop.orders)',
      );
    } finally {
      await client.end();
    }
    // WHEN
    const run = await runPgproof(world);
    // THEN
    await expectFailedBackup(world, run, {
      name: 'SizeGuardTripped',
      message: /smaller than the last verified backup .*allows at most 50% shrink/,
    });
    const keys = await keysOfRun(world, run);
    expect(keys.filter((k) => DUMP_KEY.test(k))).toHaveLength(1);
    expect(keys.filter((k) => k.endsWith('.manifest.json'))).toHaveLength(1);
    expect(keys.filter((k) => k.endsWith('.verified.json'))).toEqual([]);
  });
});
