// Issue 10.14, 10.15, 10.17: the local CLI's flags, its URL parsing, the password kept out of argv, private state.
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionParams } from '../../../../containers/common/pg-connection';
import type { RunRecord } from '../../../../lib/contracts/run-record';
import { createSourceDatabase } from '../../../helpers/fixtures';
import { SOURCE_PASSWORD } from '../../../helpers/source-cluster';
import { lastJson, pgproof } from '../../../helpers/pgproof-process';

const VERSION = (
  JSON.parse(readFileSync(path.join(import.meta.dirname, '..', '..', '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

/** The pids of `root` and every process below it (from /proc). */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const s = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out = [root];
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parentOf)
      if (out.includes(ppid) && !out.includes(pid)) {
        out.push(pid);
        grew = true;
      }
  }
  return out;
}

/** Samples the command lines of the CLI and all its children while it runs; returns those holding `secret`. */
function watchArgv(secret: string): {
  onStderr: (text: string, pid: number) => void;
  stop: () => { seen: number; leaks: string[] };
} {
  let cli = 0;
  let seen = 0;
  const leaks = new Set<string>();
  const timer = setInterval(() => {
    if (!cli) return;
    for (const pid of descendants(cli)) {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        seen++;
        if (argv.includes(secret)) leaks.add(argv.replace(/\0/g, ' '));
      } catch {
        // gone meanwhile
      }
    }
  }, 50);
  return {
    onStderr: (_text, pid) => (cli ||= pid),
    stop: () => {
      clearInterval(timer);
      return { seen, leaks: [...leaks] };
    },
  };
}

/** Every file and directory under `dir` whose permissions let anyone but the owner in. */
async function notPrivate(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (p: string) => {
    const s = await lstat(p);
    const mode = s.mode & 0o777;
    if (s.isDirectory() ? mode !== 0o700 : mode !== 0o600) out.push(`${p} ${mode.toString(8)}`);
    if (s.isDirectory()) for (const e of await readdir(p)) await walk(path.join(p, e));
  };
  await walk(dir);
  return out;
}

/** The source cluster's Unix socket directory (its socket is named after the port). */
function socketDirOf(port: number): string {
  const dir = readdirSync(os.tmpdir())
    .filter((d) => d.startsWith('pgs-'))
    .map((d) => path.join(os.tmpdir(), d))
    .find((d) => {
      try {
        return readdirSync(d).includes(`.s.PGSQL.${port}`);
      } catch {
        return false;
      }
    });
  if (!dir) throw new Error(`no socket of port ${port} in ${os.tmpdir()}`);
  return dir;
}

describe('pgproof local flags and connection settings', { timeout: 300_000 }, () => {
  let source: ConnectionParams;
  let dir: string;

  beforeAll(async () => {
    source = await createSourceDatabase('cli_flags', async (sql) => {
      await sql("create table t as select i, 'row ' || i as label from generate_series(1, 50) i");
    });
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-flags-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a run with the whole URL in PGPROOF_DATABASE_URL puts the password in no argv, and leaves the state dir private', async () => {
    // GIVEN the URL with its password in the environment, and a state dir that already exists world-readable
    const stateDir = path.join(dir, 'state-env');
    await mkdir(path.join(stateDir, 'old'), { recursive: true, mode: 0o755 });
    await chmod(stateDir, 0o755);
    await writeFile(path.join(stateDir, 'old', 'file'), 'x', { mode: 0o644 });
    const url = `postgres://${source.user}:${encodeURIComponent(SOURCE_PASSWORD)}@${source.host}:${source.port}/${source.database}`;
    const argv = watchArgv(SOURCE_PASSWORD);
    // WHEN
    const out = await pgproof(['run', '--local', '--state-dir', stateDir, '--json'], {
      env: { PGPROOF_DATABASE_URL: url },
      onStderr: argv.onStderr,
    });
    const sampled = argv.stop();
    // THEN
    expect(out.code, out.stderr).toBe(0);
    expect(lastJson(out)).toMatchObject({ status: 'SUCCEEDED', database: source.database });
    expect(sampled.seen).toBeGreaterThan(0);
    expect(sampled.leaks).toEqual([]);
    expect(out.stderr).not.toMatch(/warning: --database-url holds a password/);
    // 10.14: objects, s3rver's files, history and execution logs: 0600 files in 0700 directories
    expect(await notPrivate(stateDir)).toEqual([]);
    const objects = (await readdir(path.join(stateDir, 's3', 'pgproof-local'), { recursive: true })).filter((f) =>
      f.endsWith('._S3rver_object'),
    );
    expect(objects.length).toBeGreaterThan(2);
  });

  it('a run with PGPASSWORD and a password-less --database-url: no password in any argv, no warning', async () => {
    const url = `postgres://${source.user}@${source.host}:${source.port}/${source.database}`;
    const argv = watchArgv(SOURCE_PASSWORD);
    const out = await pgproof(
      ['run', '--local', '--database-url', url, '--state-dir', path.join(dir, 'state-pgpassword'), '--json'],
      { env: { PGPASSWORD: SOURCE_PASSWORD }, onStderr: argv.onStderr },
    );
    const sampled = argv.stop();
    expect(out.code, out.stderr).toBe(0);
    expect(sampled.seen).toBeGreaterThan(0);
    expect(sampled.leaks).toEqual([]);
    expect(out.stderr).not.toMatch(/warning/);
  });

  it('a password-less URL with the password in ~/.pgpass backs up and verifies (pg_dump and node-postgres both read it)', async () => {
    const home = path.join(dir, 'home');
    await mkdir(home, { recursive: true });
    await writeFile(path.join(home, '.pgpass'), `${source.host}:${source.port}:*:${source.user}:${SOURCE_PASSWORD}\n`, {
      mode: 0o600,
    });
    const url = `postgres://${source.user}@${source.host}:${source.port}/${source.database}`;
    const out = await pgproof(
      ['run', '--local', '--database-url', url, '--state-dir', path.join(dir, 'state-pgpass'), '--json'],
      { env: { HOME: home } },
    );
    expect(out.code, out.stderr).toBe(0);
    expect(lastJson(out)).toMatchObject({ status: 'SUCCEEDED' });
    // node-postgres gets the password from us, not through its deprecated pgpass path (gone in pg 9)
    expect(out.stderr).not.toMatch(/process warning|pgpass support is deprecated/);
  });

  it('accepts a libpq socket URL with a percent-encoded socket directory as host', async () => {
    const socket = socketDirOf(source.port);
    const url = `postgres://${source.user}@${encodeURIComponent(socket)}:${source.port}/${source.database}`;
    const out = await pgproof([
      'run',
      '--local',
      '--database-url',
      url,
      '--state-dir',
      path.join(dir, 'state-socket'),
      '--json',
    ]);
    expect(out.code, out.stderr).toBe(0);
    expect(lastJson(out)).toMatchObject({ status: 'SUCCEEDED', database: source.database });
  });

  it('warns on stderr when --database-url holds a password', async () => {
    // An unreachable server: the warning comes before any work, the run then fails quickly.
    const out = await pgproof([
      'run',
      '--local',
      '--database-url',
      `postgres://u:${SOURCE_PASSWORD}@127.0.0.1:1/db`,
      '--state-dir',
      path.join(dir, 'state-warn'),
      '--json',
    ]);
    expect(out.stderr).toMatch(
      /warning: --database-url holds a password, which every user of this machine can read .*PGPASSWORD or ~\/\.pgpass.*PGPROOF_DATABASE_URL/,
    );
    expect(out.stdout + out.stderr).not.toContain(SOURCE_PASSWORD);
  });

  it('rejects a non-https --chat-webhook or --snitch-url at once, naming the flag, before any work', async () => {
    const url = `postgres://${source.user}@${source.host}:${source.port}/${source.database}`;
    for (const [flag, value] of [
      ['--chat-webhook', 'http://chat.example.com/hooks/T0/B0/secretHookToken'],
      ['--snitch-url', 'ftp://snitch.example.com/x'],
    ] as const) {
      const stateDir = path.join(dir, `state-${flag.slice(2)}`);
      const out = await pgproof(['run', '--local', '--database-url', url, '--state-dir', stateDir, flag, value], {
        env: { PGPASSWORD: SOURCE_PASSWORD },
      });
      expect(out.code).toBe(2);
      expect(out.stderr).toMatch(new RegExp(`${flag} must hold an https URL \\(http only for localhost\\)`));
      expect(out.stderr).not.toMatch(/environment variable|BackupDatabase/);
      expect(out.stderr).not.toContain('secretHookToken');
      await expect(stat(stateDir)).rejects.toMatchObject({ code: 'ENOENT' });
    }
  });

  it('history --local applies --limit and names the error of a failed run; --version prints the package version', async () => {
    const stateDir = path.join(dir, 'state-history');
    await mkdir(stateDir, { recursive: true });
    const run = (n: number, failed: boolean): RunRecord => ({
      status: failed ? 'FAILED' : 'SUCCEEDED',
      runId: `run-${n}`,
      database: 'app',
      startedAt: `2026-11-0${n}T03:00:00.000Z`,
      finishedAt: `2026-11-0${n}T03:01:00.000Z`,
      ...(failed ? { error: { state: 'VerifyBackup', name: 'ChecksumMismatch', message: 'x' } } : {}),
    });
    await writeFile(
      path.join(stateDir, 'history.jsonl'),
      `${[run(1, false), run(2, true), run(3, false)].map((r) => JSON.stringify(r)).join('\n')}\n`,
    );
    const limited = await pgproof(['history', '--local', '--json', '--limit', '2', '--state-dir', stateDir]);
    expect((JSON.parse(limited.stdout) as RunRecord[]).map((r) => r.runId)).toEqual(['run-3', 'run-2']);
    const table = await pgproof(['history', '--local', '--state-dir', stateDir]);
    expect(table.stdout).toMatch(/2026-11-02 03:00:00 +app +FAILED .*ChecksumMismatch in VerifyBackup/);
    expect((await pgproof(['history', '--local', '--limit', '0', '--state-dir', stateDir])).code).toBe(2);
    const version = await pgproof(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(VERSION);
  });
});
