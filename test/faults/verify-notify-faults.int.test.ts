// Issue 6, verify and notification faults: each case injects ONE fault into a real `pgproof run --local` (CLI, state
// machine, engine child processes, S3 through the fault proxy, fake chat and snitch) and asserts what a person sees.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifiedKeyFor } from '../../containers/common/keys';
import { connect, type ConnectionParams } from '../../containers/common/pg-connection';
import type { RunRecord } from '../../lib/contracts/run-record';
import { pgproof } from '../helpers/pgproof-process';
import { createSourceDatabase, listAllKeys } from '../helpers/fixtures';
import { refusedUrl } from '../helpers/fake-http-server';
import {
  databaseOf,
  createWorld,
  databaseUrl,
  everyOutput,
  expectBaselineIntact,
  expectFailedRun,
  runPgproof,
  secretsIn,
  SNITCH_TOKEN,
  runArgs,
  type FaultRun,
  type FaultWorld,
} from './harness';

const REAL_BIN = '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL root laid out like Debian's (`<root>/15/bin`) whose binaries are the real ones except pg_dump,
 * replaced by `pgDump` (a script). Passed to the tasks as PGPROOF_PG_ROOTS; world-readable, since the throwaway
 * cluster runs its initdb and postgres from it as the unprivileged user.
 */
async function fakePgRoot(name: string, pgDump: string): Promise<{ root: string; env: Record<string, string> }> {
  const root = await mkdtemp(path.join(os.tmpdir(), `fakepg-${name}-`));
  await chmod(root, 0o755);
  const bin = path.join(root, '15', 'bin');
  await mkdir(bin, { recursive: true, mode: 0o755 });
  for (const tool of await readdir(REAL_BIN))
    if (tool !== 'pg_dump') await symlink(path.join(REAL_BIN, tool), path.join(bin, tool));
  await writeFile(path.join(bin, 'pg_dump'), pgDump, { mode: 0o755 });
  return { root, env: { PGPROOF_PG_ROOTS: root, PGPROOF_PG_SEARCH_PATH: '' } };
}

/** A temp dir for one run (TMPDIR): the throwaway cluster and its socket go there, so leftovers can be found. */
async function runTmpDir(name: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `faulttmp-${name}-`));
  await chmod(dir, 0o711); // the throwaway cluster's user must traverse it
  return dir;
}

async function queryOne(conn: ConnectionParams, sql: string): Promise<unknown> {
  const client = await connect(conn);
  try {
    const { rows } = await client.query(sql);
    return Object.values(rows[0] as Record<string, unknown>)[0];
  } finally {
    await client.end();
  }
}

/** Schemas (besides public), relations and large objects a restore would have created. */
const userObjects = (conn: ConnectionParams) =>
  queryOne(
    conn,
    "select (select count(*) from pg_namespace where nspname not in ('public', 'information_schema') and nspname not like 'pg\\_%')" +
      " + (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast'))" +
      ' + (select count(*) from pg_largeobject_metadata)',
  );

const processesMatching = (marker: string) => spawnSync('pgrep', ['-f', marker], { encoding: 'utf8' }).stdout.trim();

async function historyOf(world: FaultWorld): Promise<RunRecord[]> {
  const out = await pgproof(['history', '--local', '--json', '--state-dir', world.stateDir]);
  return JSON.parse(out.stdout) as RunRecord[];
}

/** The arguments runPgproof gives, for the cases that must stop before a run (exit 2: no JSON result to parse). */

/** A verified run that ended in ChatPostFailed: backup verified, snitch checked in once, the failure visible. */
async function expectChatFailureShown(world: FaultWorld, run: FaultRun, reason: RegExp): Promise<void> {
  expect(run.code, run.stderr).toBe(1);
  expect(run.result).toMatchObject({
    status: 'FAILED',
    error: { state: 'NotifyRun', name: 'ChatPostFailed' },
    snitch: { checkedIn: true },
  });
  expect(run.result.error?.message).toMatch(/verified and the snitch checked in.*could not post to chat/);
  // The backup itself was proven.
  expect(databaseOf(run.result).verify?.checks).toBeGreaterThan(0);
  expect(await listAllKeys(world.bucket)).toContain(verifiedKeyFor(databaseOf(run.result).backup!.key));
  // Bounded: exactly 4 attempts, then the dead-man's switch still heard of the verified backup, once.
  expect(run.chatRequests).toHaveLength(4);
  expect(run.snitchRequests).toHaveLength(1);
  expect(run.snitchRequests[0]!.url).toContain(SNITCH_TOKEN);
  // The person sees which step failed and why, on the terminal and in the execution's log.
  expect(run.stderr).toMatch(/NotifyRun failed: ChatPostFailed/);
  const log = await readFile(path.join(world.stateDir, 'executions', `${run.result.runId}.jsonl`), 'utf8');
  expect(log).toMatch(reason);
  // …and in the run's own result, not only in the execution log.
  expect(run.result.error?.message).toMatch(reason);
  expect((await historyOf(world)).find((r) => r.runId === run.result.runId)).toMatchObject({
    status: 'FAILED',
    error: { name: 'ChatPostFailed' },
  });
  await expectBaselineIntact(world);
  expect(secretsIn(await everyOutput(world, run))).toEqual([]);
}

const cleanup: string[] = [];
afterAll(async () => {
  for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
});

// Two worlds run side by side: the chat and snitch cases mostly wait on timeouts and backoff, so they overlap the
// CPU-bound verify cases (inside each world the cases run one after the other: they share its fake servers).
describe('verify and notification faults through pgproof run --local', () => {
  describe.concurrent('world of verify faults, bad input and interruptions', () => {
    let world: FaultWorld;
    beforeAll(async () => {
      world = await createWorld('verify');
    });
    afterEach(() => {
      world.proxy.fault = { kind: 'none' };
    });
    afterAll(() => world?.close());

    describe.sequential('verify faults', () => {
      it('a corrupted stored object fails VerifyBackup on its checksum, is never marked verified, and restore refuses it', async () => {
        // GIVEN every download of a dump comes back with one byte flipped
        world.proxy.fault = { kind: 'corrupt-dump-downloads' };
        // WHEN
        const run = await runPgproof(world);
        // THEN
        await expectFailedRun(world, run, {
          state: 'VerifyBackup',
          name: 'ChecksumMismatch',
          message: /checksum mismatch .*corrupted or truncated; nothing was restored/,
        });
        const key = databaseOf(run.result).backup!.key;
        expect(await listAllKeys(world.bucket)).toContain(key);
        expect(await listAllKeys(world.bucket)).not.toContain(verifiedKeyFor(key));

        // AND a disaster restore of that object refuses before touching the target
        const target = await createSourceDatabase('fault_restore_target');
        const restore = await pgproof([
          'restore',
          '--backup',
          key,
          '--target-url',
          databaseUrl(target),
          '--s3-endpoint',
          world.proxy.endpoint,
          '--bucket',
          world.bucket,
        ]);
        expect(restore.code, restore.stderr).toBe(1);
        expect(restore.stderr).toMatch(/ChecksumMismatch: checksum mismatch/);
        expect(Number(await userObjects(target))).toBe(0);
        expect(secretsIn(restore.stdout + restore.stderr)).toEqual([]);
      });

      it('a truncated stored object fails VerifyBackup on its checksum', async () => {
        world.proxy.fault = { kind: 'truncate-dump-downloads', bytes: 1000 };
        const run = await runPgproof(world);
        await expectFailedRun(world, run, {
          state: 'VerifyBackup',
          name: 'ChecksumMismatch',
          message: /checksum mismatch .*downloaded \d+ bytes .*but the manifest records \d+ bytes/,
        });
        expect(await listAllKeys(world.bucket)).not.toContain(verifiedKeyFor(databaseOf(run.result).backup!.key));
      });

      it("a restore error on real data fails VerifyBackup with pg_restore's own line", async () => {
        // GIVEN a CHECK constraint whose function reads a setting only the loading session had
        const db = await createSourceDatabase('fault_bad_data', async (sql) => {
          await sql(
            "create function below_limit(v int) returns boolean language plpgsql immutable as $$ begin return v < current_setting('app.limit')::int; end $$",
          );
          await sql('create table capped (v int check (below_limit(v)))');
          await sql("select set_config('app.limit', '100', false); insert into capped select generate_series(1, 50)");
        });
        // WHEN
        const run = await runPgproof(world, { databaseUrl: databaseUrl(db) });
        // THEN
        await expectFailedRun(world, run, {
          state: 'VerifyBackup',
          name: 'RestoreFailed',
          message:
            /pg_restore exited with status 1: [\s\S]*pg_restore: error: [\s\S]*unrecognized configuration parameter "app\.limit"/,
        });
        expect(await listAllKeys(world.bucket)).not.toContain(verifiedKeyFor(databaseOf(run.result).backup!.key));
      });

      it("a dump missing one table's data while the manifest counts its rows fails VerifyBackup naming the table", async () => {
        // GIVEN a pg_dump that leaves out audit.events' rows (not shop.customers: shop.orders references it, so its
        // foreign key would fail the restore itself before any row count is compared)
        const fake = await fakePgRoot(
          'rows',
          [
            '#!/bin/sh',
            "# pgproof fault: the real pg_dump, without one table's data",
            `case "$1" in --version|-V) exec ${REAL_BIN}/pg_dump "$@";; esac`,
            'echo "$@" >> "$(dirname "$0")/invocations"',
            `exec ${REAL_BIN}/pg_dump "$@" --exclude-table-data=audit.events`,
            '',
          ].join('\n'),
        );
        cleanup.push(fake.root);
        // WHEN
        const run = await runPgproof(world, { env: fake.env });
        // THEN
        expect(
          await readFile(path.join(fake.root, '15', 'bin', 'invocations'), 'utf8'),
          'the fake pg_dump made the dump',
        ).toMatch(/--snapshot=/);
        await expectFailedRun(world, run, {
          state: 'VerifyBackup',
          name: 'VerificationFailed',
          message: /row counts: 1 tables differ .*audit\.events: 0 rows restored, 300 in the dump's snapshot/,
        });
        expect(await listAllKeys(world.bucket)).not.toContain(verifiedKeyFor(databaseOf(run.result).backup!.key));
      });

      it('a failing user check fails VerifyBackup naming the check, its value and the expectation', async () => {
        const config = path.join(world.dir, 'failing-check.json');
        await writeFile(
          config,
          JSON.stringify({
            checks: [
              { name: 'at most ten customers', sql: 'select count(*) from shop.customers', expect: { max: 10 } },
            ],
          }),
        );
        const run = await runPgproof(world, { args: ['--config', config] });
        await expectFailedRun(world, run, {
          state: 'VerifyBackup',
          name: 'VerificationFailed',
          message: /1 of \d+ checks failed .*at most ten customers: 300 \(expected <= 10\)/,
        });
        expect(databaseOf(run.result).verify).toBeUndefined();
      });

      it('verify running out of disk space says to give the task more storage, and leaves its disk empty', async () => {
        // GIVEN ~20 MB of compressible text (a small compressed dump, an archive that does not fit) and a 3 MB work
        // disk: the manifest's uncompressed and database sizes make verify refuse before the download (issue 10.16)
        const db = await createSourceDatabase('fault_disk', async (sql) => {
          await sql("create table filler as select i, repeat('pgproof ', 250) as pad from generate_series(1, 10000) i");
        });
        const small = await mkdtemp(path.join(os.tmpdir(), 'faultdisk-'));
        cleanup.push(small);
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m,mode=0711', 'tmpfs', small]);
        try {
          // WHEN
          const run = await runPgproof(world, { databaseUrl: databaseUrl(db), env: { PGPROOF_WORK_DIR: small } });
          // THEN
          await expectFailedRun(world, run, {
            state: 'VerifyBackup',
            name: 'DiskFull',
            message: /not enough disk space in .*nothing was downloaded\. give the verify task more ephemeral storage/,
          });
          expect(databaseOf(run.result).backup!.bytes).toBeLessThan(3 * 1024 * 1024);
          expect(await readdir(small)).toEqual([]);
          expect(processesMatching(small)).toBe('');
        } finally {
          execFileSync('umount', [small]);
        }
      });
    });

    describe.sequential('bad input', () => {
      it('an unknown manual-input field fails ValidateInput naming it, before any backup', async () => {
        const keys = await listAllKeys(world.bucket);
        const run = await runPgproof(world, { args: ['--input', '{"reasn":"x"}'] });
        await expectFailedRun(world, run, {
          state: 'ValidateInput',
          name: 'InvalidInput',
          message: /only the fields reason \(text\) and verifyBackup .*reasn/,
        });
        expect(databaseOf(run.result).backup).toBeUndefined();
        expect(await listAllKeys(world.bucket)).toEqual(keys);
      });

      it('a mistyped manual-input field fails ValidateInput naming it, before any backup', async () => {
        const keys = await listAllKeys(world.bucket);
        const run = await runPgproof(world, { args: ['--input', '{"reason": 5}'] });
        await expectFailedRun(world, run, {
          state: 'ValidateInput',
          name: 'InvalidInput',
          message: /field reason must be text/,
        });
        expect(databaseOf(run.result).backup).toBeUndefined();
        expect(await listAllKeys(world.bucket)).toEqual(keys);
      });

      it('a missing or invalid configuration file and an unknown flag exit 2 naming the file, field or flag, and run nothing', async () => {
        const keys = await listAllKeys(world.bucket);
        const runs = (await historyOf(world)).length;
        const requests = world.http.requests.length;
        const bad = path.join(world.dir, 'bad-config.json');
        await writeFile(bad, JSON.stringify({ sizeGuard: { maxShrink: 3 } }));

        const missing = await pgproof([...runArgs(world), '--config', path.join(world.dir, 'nope.json')]);
        expect(missing.code).toBe(2);
        expect(missing.stderr).toMatch(/cannot read the configuration file .*nope\.json: no such file/);
        const invalid = await pgproof([...runArgs(world), '--config', bad]);
        expect(invalid.code).toBe(2);
        expect(invalid.stderr).toMatch(/bad-config\.json: sizeGuard\.maxShrink/);
        const flag = await pgproof([...runArgs(world), '--bogus']);
        expect(flag.code).toBe(2);
        expect(flag.stderr).toMatch(/unknown option '--bogus'/);

        // Nothing ran: no object, no history entry, no chat post, no check-in.
        expect(await listAllKeys(world.bucket)).toEqual(keys);
        expect(await historyOf(world)).toHaveLength(runs);
        expect(world.http.requests).toHaveLength(requests);
        for (const out of [missing, invalid, flag]) expect(secretsIn(out.stdout + out.stderr)).toEqual([]);
      });
    });

    describe.sequential('interrupted runs', () => {
      /** Sends `signal` to the pgproof process once `ready()` holds; returns the finished run. */
      async function interrupt(
        signal: NodeJS.Signals,
        env: Record<string, string>,
        ready: () => Promise<boolean>,
      ): Promise<FaultRun> {
        let pid = 0;
        let done = false;
        const running = runPgproof(world, { env, onStderr: (_text, p) => (pid = p) }).finally(() => (done = true));
        let sent = false;
        while (!done && !sent) {
          if (pid && (await ready())) {
            process.kill(pid, signal);
            sent = true;
          } else await new Promise((r) => setTimeout(r, 25));
        }
        const run = await running;
        expect(sent, `the ${signal} was never sent; stderr:\n${run.stderr}`).toBe(true);
        return run;
      }

      async function expectCleanlyAborted(run: FaultRun, tmp: string): Promise<void> {
        expect(run.result).toMatchObject({ status: 'FAILED', error: { name: 'ExecutionAborted' } });
        // No throwaway cluster (data or socket dir) and no child process left.
        expect((await readdir(tmp)).filter((f) => f.startsWith('pgproof-') || f.startsWith('pgs-'))).toEqual([]);
        expect(processesMatching(tmp)).toBe('');
        // Recorded as a failed run; the switch stayed silent.
        expect((await historyOf(world)).find((r) => r.runId === run.result.runId)).toMatchObject({
          status: 'FAILED',
          error: { name: 'ExecutionAborted' },
        });
        expect(run.snitchRequests).toEqual([]);
        await expectBaselineIntact(world);
        expect(secretsIn(await everyOutput(world, run))).toEqual([]);
      }

      it('Ctrl-C while VerifyBackup holds a throwaway cluster: exit 130, cluster and children gone, not verified, history says aborted', async () => {
        const tmp = await runTmpDir('sigint');
        cleanup.push(tmp);
        const clusterExists = async () => {
          for (const d of (await readdir(tmp)).filter((f) => f.startsWith('pgproof-verify-'))) {
            if ((await readdir(path.join(tmp, d)).catch(() => [])).some((f) => f.startsWith('pgproof-cluster-')))
              return true;
          }
          return false;
        };
        const run = await interrupt('SIGINT', { TMPDIR: tmp }, clusterExists);
        expect(run.code, run.stderr).toBe(130);
        expect(run.stderr).toMatch(/SIGINT: stopping the run/);
        await expectCleanlyAborted(run, tmp);
        expect(await listAllKeys(world.bucket)).not.toContain(verifiedKeyFor(databaseOf(run.result).backup!.key));
      });

      it("SIGTERM while BackupDatabase is mid-dump: exit 143, pg_dump ended, no object at the run's key, history says aborted", async () => {
        // GIVEN a pg_dump that sends the first 4 KiB of a real dump and then stalls (a slow network, a huge table)
        const tmp = await runTmpDir('sigterm');
        cleanup.push(tmp);
        const stalled = path.join(tmp, 'pg_dump-stalled');
        const fake = await fakePgRoot(
          'slow',
          `#!${process.execPath}
  // pgproof fault: a pg_dump that stalls mid-dump; on SIGTERM it ends the real one and exits as pg_dump would.
  const { spawn, spawnSync } = require('node:child_process');
  const { writeFileSync } = require('node:fs');
  const REAL = ${JSON.stringify(`${REAL_BIN}/pg_dump`)};
  const args = process.argv.slice(2);
  if (args[0] === '--version' || args[0] === '-V') process.exit(spawnSync(REAL, args, { stdio: 'inherit' }).status ?? 1);
  const child = spawn(REAL, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let sent = 0;
  child.stdout.on('data', (chunk) => {
    if (sent < 4096) process.stdout.write(chunk.subarray(0, 4096 - sent));
    sent += chunk.length;
    if (sent >= 4096) { child.stdout.pause(); writeFileSync(${JSON.stringify(stalled)}, String(process.pid)); }
  });
  setInterval(() => {}, 1000);
  process.on('SIGTERM', () => {
    if (child.exitCode !== null || child.signalCode !== null) process.exit(143);
    child.once('exit', () => process.exit(143));
    child.kill('SIGTERM');
  });
  `,
        );
        cleanup.push(fake.root);
        const runsBefore = new Set((await historyOf(world)).map((r) => r.runId));
        // WHEN
        const run = await interrupt('SIGTERM', { TMPDIR: tmp, ...fake.env }, async () => existsSync(stalled));
        // THEN
        // The CLI stops on SIGTERM exactly as on Ctrl-C; by the shell convention it exits 128 + 15.
        expect(run.code, run.stderr).toBe(143);
        expect(run.stderr).toMatch(/SIGTERM: stopping the run/);
        expect(runsBefore.has(run.result.runId)).toBe(false);
        expect(run.result.runId).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]+$/);
        expect(databaseOf(run.result).backup).toBeUndefined();
        expect((await listAllKeys(world.bucket)).filter((k) => k.includes(run.result.runId))).toEqual([]);
        expect(processesMatching(fake.root)).toBe('');
        expect(
          await queryOne(
            world.source,
            `select count(*)::int from pg_stat_activity where datname = '${world.source.database}' and application_name = 'pg_dump'`,
          ),
        ).toBe(0);
        await expectCleanlyAborted(run, tmp);
      });
    });
  });

  describe.concurrent('world of chat and snitch faults', () => {
    let world: FaultWorld;
    beforeAll(async () => {
      world = await createWorld('notify');
    });
    afterAll(() => world?.close());

    describe.sequential('chat and snitch faults', () => {
      it('a chat webhook answering 500 to every attempt: the verified backup still checks in, the run fails in NotifyRun after 4 attempts', async () => {
        world.http.script({ status: 500, body: 'internal error' }, { status: 500 }, { status: 500 }, { status: 500 });
        const run = await runPgproof(world);
        await expectChatFailureShown(world, run, /HTTP 500.*gave up after 4 attempts/);
      });

      it('a chat webhook answering 429 with Retry-After: 1, then 200: the run succeeds, the retry waited 1 s', async () => {
        world.http.script({ status: 429, headers: { 'Retry-After': '1' }, body: 'slow down' });
        const run = await runPgproof(world);
        expect(run.code, run.stderr).toBe(0);
        expect(run.result).toMatchObject({ status: 'SUCCEEDED', chat: { posted: true }, snitch: { checkedIn: true } });
        expect(run.chatRequests).toHaveLength(2);
        expect(run.chatRequests[1]!.body).toBe(run.chatRequests[0]!.body);
        expect(run.chatRequests[1]!.at - run.chatRequests[0]!.at).toBeGreaterThanOrEqual(1000);
        expect(run.snitchRequests).toHaveLength(1);
        expect(secretsIn(await everyOutput(world, run))).toEqual([]);
      });

      it('a chat webhook that never answers: bounded in time, the verified backup still checks in once', async () => {
        world.http.script({ hang: true }, { hang: true }, { hang: true }, { hang: true });
        const run = await runPgproof(world);
        // Bounded by the attempt count (exactly 4, each ending in its 5 s timeout) and by this test's own timeout;
        // never by a wall-clock assertion, which fails on a loaded machine.
        await expectChatFailureShown(world, run, /no response within 5 s \(timeout\) \(gave up after 4 attempts\)/);
      }, 90_000);

      it('an unreachable snitch fails the run in SnitchCheckIn, the chat hears of it, and its token appears nowhere', async () => {
        // GIVEN a snitch URL (with its token) on a port where nothing listens
        const snitchUrl = await refusedUrl(`/ping/${SNITCH_TOKEN}`);
        // WHEN
        const run = await runPgproof(world, { args: ['--snitch-url', snitchUrl] });
        // THEN
        expect(run.code, run.stderr).toBe(1);
        expect(run.result).toMatchObject({
          status: 'FAILED',
          error: { state: 'SnitchCheckIn', name: 'SnitchCheckInFailed' },
        });
        expect(run.result.error?.message).toMatch(
          /dead-man's switch .* failed: .*(refused|ECONNREFUSED).*gave up after 4 attempts/,
        );
        // The backup was verified; the chat got the success, then the failure naming SnitchCheckIn.
        expect(await listAllKeys(world.bucket)).toContain(verifiedKeyFor(databaseOf(run.result).backup!.key));
        expect(run.chatRequests).toHaveLength(2);
        expect(run.chatRequests[0]!.body).toMatch(/Backup verified/);
        expect(run.chatRequests[1]!.body).toMatch(/FAILED.*SnitchCheckIn/);
        expect(run.chatRequests[1]!.body).toMatch(/SnitchCheckInFailed/);
        await expectBaselineIntact(world);
        const text = await everyOutput(world, run);
        expect(text).not.toContain(snitchUrl);
        expect(secretsIn(text)).toEqual([]);
      });
    });
  });
});
