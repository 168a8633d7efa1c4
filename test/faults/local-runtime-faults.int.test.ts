// Issue 10.11–10.13 and 10.16: the local runtime under faults. Each case makes a real `pgproof run --local`
// (embedded S3 in the state dir, real PostgreSQL) meet a full or read-only disk, a kill -9, a stopped npx, or a
// work dir too small for the restore, and asserts what a person sees and what is left on disk.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionParams } from '../../containers/common/pg-connection';
import type { RunRecord } from '../../lib/contracts/run-record';
import { lastJson, pgproof } from '../helpers/pgproof-process';
import { createSourceDatabase, ROOT, S3RVER_ENV } from '../helpers/fixtures';
import { startFakeHttpServer, type FakeHttpServer } from '../helpers/fake-http-server';
import { databaseOf, databaseUrl, SECRETS, secretsIn } from './harness';

const processesMatching = (marker: string) => spawnSync('pgrep', ['-f', marker], { encoding: 'utf8' }).stdout.trim();

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 120_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Files (recursively) under `dir` whose name matches. */
async function filesUnder(dir: string, pattern: RegExp): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.filter((f) => pattern.test(f));
}

/** A temp dir the throwaway cluster's unprivileged user can traverse, used as the run's TMPDIR. */
async function runTmpDir(name: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `localfault-${name}-`));
  await chmod(dir, 0o711);
  return dir;
}

describe('the local runtime under faults', { timeout: 300_000 }, () => {
  let small: ConnectionParams;
  let big: ConnectionParams;
  let http: FakeHttpServer;
  let dir: string;
  const mounts: string[] = [];

  beforeAll(async () => {
    small = await createSourceDatabase('localfault_small', async (sql) => {
      await sql("create table t as select i, 'row ' || i as label from generate_series(1, 100) i");
    });
    // ~10 MB of hex text: a dump of ~3 MB once zstd-compressed, more than the 2 MB disks below hold.
    big = await createSourceDatabase('localfault_big', async (sql) => {
      await sql(
        'create table big as select i, md5(random()::text) || md5(random()::text) as h from generate_series(1, 120000) i',
      );
      await sql('create index big_h on big (h)');
    });
    http = await startFakeHttpServer();
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-localfault-'));
  });
  afterAll(async () => {
    for (const m of mounts) spawnSync('umount', ['-l', m]);
    await http?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function tmpfs(name: string, options: string): Promise<string> {
    const mount = await mkdtemp(path.join(dir, `${name}-`));
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', mount]);
    mounts.push(mount);
    return mount;
  }

  describe.sequential('state dir', () => {
    it('a full state dir ends as a failed run with a storage error naming the directory, a chat post, and no partial object', async () => {
      // GIVEN a 2 MB state dir and a dump of ~3 MB
      const stateDir = await tmpfs('full', 'size=2m,mode=0700');
      const chatUrl = `${http.baseUrl}/services/T0/B0/chatFaultToken9f8e7d`;
      http.requests.length = 0;
      // WHEN
      const out = await pgproof([
        'run',
        '--local',
        '--database-url',
        databaseUrl(big),
        '--state-dir',
        stateDir,
        '--chat-webhook',
        chatUrl,
        '--json',
      ]);
      // THEN a failed run, not a crash
      expect(out.stderr).not.toMatch(/Unhandled 'error' event/);
      expect(out.code, out.stderr).toBe(1);
      const result = lastJson(out) as unknown as RunRecord;
      expect(result).toMatchObject({ status: 'FAILED', error: { state: 'BackupDatabase', name: 'StorageError' } });
      expect(result.error!.message).toContain(
        `no space left on device in ${path.join(stateDir, 's3')}: free space or use --state-dir`,
      );
      // the chat heard of it
      const chats = http.requests.filter((r) => r.url.startsWith('/services/'));
      expect(chats).toHaveLength(1);
      expect(chats[0]!.body).toMatch(/BackupDatabase/);
      // no object of this run, no partial or temporary file, no parts of the aborted upload
      expect(await filesUnder(stateDir, new RegExp(`${result.runId}.*\\.dump`))).toEqual([]);
      expect(await filesUnder(stateDir, /\.partial-|\.incoming/)).toEqual([]);
      expect(await filesUnder(path.join(stateDir, 's3'), /_S3rver_uploads\/./)).toEqual([]);
      // the history line, or a clear message why it could not be written
      const history = await readFile(path.join(stateDir, 'history.jsonl'), 'utf8').catch(() => '');
      if (history.includes(result.runId))
        expect(JSON.parse(history.trim().split('\n').at(-1)!)).toMatchObject({ runId: result.runId, status: 'FAILED' });
      else expect(out.stderr).toMatch(/could not record this run in the history: no space left on device/);
      expect(secretsIn(out.stdout + out.stderr)).toEqual([]);
    });

    it('a read-only state dir ends as a failed run saying so, with the chat message printed and the history problem named', async () => {
      // GIVEN a state dir on a read-only file system (root ignores chmod, not a read-only mount)
      const stateDir = await tmpfs('ro', 'size=4m,mode=0700');
      execFileSync('mount', ['-o', 'remount,ro', stateDir]);
      // WHEN
      const out = await pgproof([
        'run',
        '--local',
        '--database-url',
        databaseUrl(small),
        '--state-dir',
        stateDir,
        '--json',
      ]);
      // THEN
      expect(out.stderr).not.toMatch(/ENOENT: .*mkdir/);
      expect(out.code, out.stderr).toBe(1);
      const result = lastJson(out) as unknown as RunRecord;
      expect(result).toMatchObject({ status: 'FAILED', error: { state: 'BackupDatabase', name: 'StorageError' } });
      expect(result.error!.message).toContain(
        `${stateDir} is on a read-only file system: make it writable or use --state-dir`,
      );
      expect(result.chat?.posted).toBe(false);
      expect(result.chat?.text).toMatch(/BackupDatabase/);
      expect(out.stderr).toMatch(/Chat message \(no --chat-webhook given/);
      expect(out.stderr).toMatch(/could not record this run in the history: .* read-only file system/);
    });
  });

  it('a backup in a state dir that has since become read-only still restores (restore --local only reads)', async () => {
    // GIVEN a verified backup in a state dir, then remounted read-only
    const stateDir = await tmpfs('ro-restore', 'size=16m,mode=0700');
    const backup = await pgproof([
      'run',
      '--local',
      '--database-url',
      databaseUrl(small),
      '--state-dir',
      stateDir,
      '--json',
    ]);
    expect(backup.code, backup.stderr).toBe(0);
    execFileSync('mount', ['-o', 'remount,ro', stateDir]);
    const target = await createSourceDatabase('localfault_target');
    // WHEN
    const out = await pgproof([
      'restore',
      '--local',
      '--state-dir',
      stateDir,
      '--backup',
      'latest',
      '--target-url',
      databaseUrl(target),
      '--json',
    ]);
    // THEN
    expect(out.stderr).not.toMatch(/ENOENT|EROFS/);
    expect(out.code, out.stderr).toBe(0);
    expect(lastJson(out)).toMatchObject({ status: 'SUCCEEDED', rows: 100 });
  });

  describe.sequential('stopping a run', () => {
    it('kill -9 during verify: the work dir was private, and the next run removes what the dead run left behind', async () => {
      // GIVEN a run in its own process group, with its own temp dir
      const tmp = await runTmpDir('kill9');
      const child = spawn(
        process.execPath,
        [
          path.join(ROOT, 'bin', 'pgproof.mjs'),
          'run',
          '--local',
          '--database-url',
          databaseUrl(big),
          '--state-dir',
          path.join(dir, 'state-kill9'),
        ],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...S3RVER_ENV, TMPDIR: tmp },
          stdio: ['ignore', 'ignore', 'pipe'],
          detached: true,
        },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise((resolve) => child.once('close', resolve));
      // WHEN verify has written (part of) the decompressed dump, the CLI and its engine are killed with SIGKILL
      const workDir = await waitFor('the verify work dir with the archive', async () => {
        for (const d of (await readdir(tmp)).filter((f) => f.startsWith('pgproof-verify-'))) {
          const dumps = (await readdir(path.join(tmp, d)).catch(() => [] as string[])).filter((f) =>
            f.endsWith('.dump'),
          );
          if (dumps.length && (await stat(path.join(tmp, d, dumps[0]!)).catch(() => undefined))?.size)
            return path.join(tmp, d);
        }
        return undefined;
      });
      const mode = (await stat(workDir)).mode & 0o777;
      const archive = path.join(workDir, (await readdir(workDir)).find((f) => f.endsWith('.dump'))!);
      const archiveMode = (await stat(archive)).mode & 0o777;
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
      expect(existsSync(workDir), `the dead run left its work dir behind; stderr:\n${stderr}`).toBe(true);
      // THEN the work files were private to the user
      expect(mode.toString(8)).toBe('700');
      expect(archiveMode.toString(8)).toBe('600');
      // and the next pgproof start removes the leftovers (and stops an orphaned throwaway server)
      const next = await pgproof(
        [
          'run',
          '--local',
          '--database-url',
          'postgres://nobody@127.0.0.1:1/none',
          '--state-dir',
          path.join(dir, 'state-kill9-next'),
          '--json',
        ],
        { env: { TMPDIR: tmp } },
      );
      expect(next.stderr).toContain(`removed ${workDir}, left behind by a pgproof run that was killed`);
      expect(existsSync(workDir)).toBe(false);
      await waitFor('no process of the killed run', () => processesMatching(tmp) === '' || undefined, 30_000);
      expect((await readdir(tmp)).filter((f) => f.startsWith('pgproof-') || f.startsWith('pgs-'))).toEqual([]);
      await rm(tmp, { recursive: true, force: true });
    });

    it('SIGTERM to npx (npm exec → sh -c → node): the orphaned run stops like on SIGTERM, and its children end', async () => {
      // GIVEN a stand-in for npx that, like npm exec, runs the command through `sh -c`, and on SIGTERM passes it to
      // the shell (which does not pass it on) and exits at once
      const tmp = await runTmpDir('npx');
      const stateDir = path.join(dir, 'state-npx');
      const url = `postgres://${big.user}@${big.host}:${big.port}/${big.database}`;
      const command = `"${process.execPath}" "${path.join(ROOT, 'bin', 'pgproof.mjs')}" run --local --database-url '${url}' --state-dir "${stateDir}" --json; echo done`;
      const npx = spawn(
        process.execPath,
        [
          '-e',
          "const c = require('child_process').spawn('sh', ['-c', process.argv[1]], { stdio: 'inherit' }); process.on('SIGTERM', () => { c.kill('SIGTERM'); process.exit(143); });",
          command,
        ],
        {
          cwd: ROOT,
          env: {
            PATH: process.env.PATH ?? '',
            HOME: process.env.HOME ?? '/root',
            ...S3RVER_ENV,
            TMPDIR: tmp,
            PGPASSWORD: big.password!,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      npx.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // 'exit', not 'close': the orphaned run keeps the inherited pipes open.
      const npxExited = new Promise((resolve) => npx.once('exit', resolve));
      await waitFor('VerifyBackup', () => stderr.includes('→ VerifyBackup') || undefined);
      const runPids = spawnSync('pgrep', ['-f', stateDir], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n')
        .filter(Boolean);
      expect(runPids.length).toBeGreaterThan(0);
      // WHEN
      npx.kill('SIGTERM');
      await npxExited;
      // THEN the run's node process, its engine and the throwaway cluster end within a bounded wait
      await waitFor(
        'the orphaned run to stop',
        () => (spawnSync('pgrep', ['-f', stateDir], { encoding: 'utf8' }).stdout.trim() === '' ? true : undefined),
        60_000,
      );
      await waitFor('the throwaway cluster to stop', () => (processesMatching(tmp) === '' ? true : undefined), 30_000);
      expect((await readdir(tmp)).filter((f) => f.startsWith('pgproof-'))).toEqual([]);
      // and it stopped as interrupted, not by running on to completion
      const history = (await readFile(path.join(stateDir, 'history.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as RunRecord);
      expect(history.at(-1)).toMatchObject({ status: 'FAILED', error: { name: 'ExecutionAborted' } });
      await rm(tmp, { recursive: true, force: true });
    });
  });

  it('a work dir too small for the restore (but larger than the stored object) fails before the download, naming what is needed and the setting', async () => {
    // GIVEN a 6 MB work dir: more than the ~3 MB object, less than the ~10 MB archive plus the restored database
    const workDir = await tmpfs('work', 'size=6m,mode=0711');
    const stateDir = path.join(dir, 'state-work');
    // WHEN
    const out = await pgproof([
      'run',
      '--local',
      '--database-url',
      databaseUrl(big),
      '--state-dir',
      stateDir,
      '--work-dir',
      workDir,
      '--json',
    ]);
    // THEN
    expect(out.code, out.stderr).toBe(1);
    const result = lastJson(out) as unknown as RunRecord;
    expect(databaseOf(result).backup!.bytes).toBeLessThan(6 * 1024 * 1024);
    expect(result.error).toMatchObject({ state: 'VerifyBackup', name: 'DiskFull' });
    expect(result.error!.message).toMatch(
      new RegExp(
        `not enough disk space in ${workDir}/pgproof-verify-\\w+ to verify this backup: it needs about [\\d.]+ MiB \\(the [\\d.]+ MiB archive once decompressed plus the restored database of [\\d.]+ MiB, with a margin\\), [\\d.]+ (K|M)iB is free; nothing was downloaded`,
      ),
    );
    expect(result.error!.message).toMatch(
      /give the verify task more ephemeral storage \(tasks\.verify\.ephemeralStorageGiB .*--work-dir \/ PGPROOF_WORK_DIR/,
    );
    expect(await readdir(workDir)).toEqual([]);
    // the manifest records what the check needs
    const manifestFile = (await filesUnder(path.join(stateDir, 's3'), /\.manifest\.json\._S3rver_object$/))[0]!;
    const manifest = JSON.parse(await readFile(path.join(stateDir, 's3', manifestFile), 'utf8')) as {
      bytes: number;
      uncompressedBytes: number;
      databaseBytes: number;
    };
    expect(manifest.uncompressedBytes).toBeGreaterThan(manifest.bytes);
    expect(manifest.databaseBytes).toBeGreaterThan(manifest.uncompressedBytes / 2);
    expect(SECRETS.filter((s) => out.stdout.includes(s))).toEqual([]);
  });
});
