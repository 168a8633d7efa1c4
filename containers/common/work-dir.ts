import { readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The file in every work dir naming the process that owns it, so a later run can tell a dead run's leftovers. */
export const OWNER_FILE = '.pgproof-owner';

/** The prefixes of the work dirs pgproof creates (decompressed archives, throwaway clusters, their sockets). */
export const WORK_DIR_PREFIXES = ['pgproof-verify-', 'pgproof-cluster-', 'pgproof-restore-', 'pgs-'] as const;

interface Owner {
  readonly pid: number;
  /** The process's start time (Linux: clock ticks since boot), so a recycled pid is not taken for the owner. */
  readonly start?: string;
}

/** A process's start time from /proc (Linux), or undefined where there is no /proc. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing parenthesis.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function isAlive(owner: Owner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const start = processStartTime(owner.pid);
  return owner.start === undefined || start === undefined || start === owner.start;
}

/**
 * Creates a private work dir (0700, owned by `account` when given: the throwaway cluster's user when we run as
 * root) marked with this process's pid and start time. The decompressed dump in it is a plaintext copy of the
 * whole database: no other user may read it, and a later run removes it if this one dies.
 */
export async function createWorkDir(
  parent: string,
  prefix: string,
  account?: { uid: number; gid: number },
): Promise<string> {
  await mkdir(parent, { recursive: true });
  const dir = await mkdtemp(path.join(parent, prefix));
  await markWorkDir(dir);
  if (account) await chown(dir, account.uid, account.gid);
  await chmod(dir, 0o700);
  return dir;
}

/** Marks `dir` as this process's work dir (see removeStaleWorkDirs). */
export async function markWorkDir(dir: string): Promise<void> {
  const start = processStartTime(process.pid);
  const owner: Owner = { pid: process.pid, ...(start ? { start } : {}) };
  await writeFile(path.join(dir, OWNER_FILE), `${JSON.stringify(owner)}\n`, { mode: 0o600 });
}

async function readOwner(dir: string): Promise<Owner | undefined> {
  try {
    const owner = JSON.parse(await readFile(path.join(dir, OWNER_FILE), 'utf8')) as Owner;
    return Number.isInteger(owner.pid) && owner.pid > 0 ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** The postmaster pids of clusters under `dir` (its own data dir or one level down: verify's cluster). */
async function postmastersUnder(dir: string): Promise<number[]> {
  const candidates = [path.join(dir, 'data', 'postmaster.pid')];
  for (const entry of await readdir(dir).catch(() => [] as string[]))
    candidates.push(path.join(dir, entry, 'data', 'postmaster.pid'));
  const pids: number[] = [];
  for (const file of candidates) {
    const first = (await readFile(file, 'utf8').catch(() => '')).split('\n')[0];
    const pid = Number(first);
    if (Number.isInteger(pid) && pid > 0) pids.push(pid);
  }
  return pids;
}

async function stopOrphanedServer(pid: number, dataDirs: string): Promise<void> {
  // Only a postgres whose command line names this dir is ours to stop (the pid may have been reused).
  const cmdline = (() => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return '';
    }
  })();
  if (!cmdline.includes(dataDirs)) return;
  try {
    process.kill(pid, 'SIGQUIT'); // immediate shutdown: the data is thrown away anyway
  } catch {
    return;
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Removes the work dirs under `parents` that a dead pgproof process left behind (after `kill -9`, an OOM kill, a
 * crash): their decompressed dumps and throwaway clusters (an orphaned server is stopped first). A live run's
 * dirs, and dirs without an owner mark, are never touched. Returns the dirs removed.
 */
export async function removeStaleWorkDirs(parents: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const parent of new Set(parents.map((p) => path.resolve(p)))) {
    const entries = await readdir(parent).catch(() => [] as string[]);
    for (const entry of entries) {
      if (!WORK_DIR_PREFIXES.some((p) => entry.startsWith(p))) continue;
      const dir = path.join(parent, entry);
      const owner = await readOwner(dir);
      if (!owner || isAlive(owner)) continue;
      for (const pid of await postmastersUnder(dir)) await stopOrphanedServer(pid, dir);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      removed.push(dir);
    }
  }
  return removed;
}
