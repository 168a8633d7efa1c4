import { chmod, lstat, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The cause of a file-system failure in words, with what to do; `dir` is the directory that failed. */
export function describeStorageFailure(error: unknown, dir: string): string {
  const e = error as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `no space left on device in ${dir}: free space or use --state-dir on a larger disk`;
    case 'EROFS':
      return `${dir} is on a read-only file system: make it writable or use --state-dir`;
    case 'EACCES':
    case 'EPERM':
      return `${dir} is not writable by this user (${e.code}): fix its permissions or use --state-dir`;
    default:
      return `cannot write in ${dir} (${e.code ?? 'error'}: ${e.message}): use --state-dir for another directory`;
  }
}

async function restrict(target: string): Promise<void> {
  const stat = await lstat(target).catch(() => undefined);
  if (!stat || stat.isSymbolicLink()) return;
  const wanted = stat.isDirectory() ? 0o700 : 0o600;
  if ((stat.mode & 0o777 & ~wanted) !== 0) await chmod(target, stat.mode & wanted).catch(() => undefined);
  if (stat.isDirectory())
    for (const entry of await readdir(target).catch(() => [] as string[])) await restrict(path.join(target, entry));
}

/**
 * Makes the state dir private (0700 directories, 0600 files: it holds every backup, a plaintext-equivalent copy
 * of the database) and checks that it can be written. Returns why it cannot, or undefined when it is usable.
 */
export async function prepareStateDir(stateDir: string): Promise<string | undefined> {
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    // mkdir -p on a read-only file system reports ENOENT or EROFS even when the directory exists.
    const exists = await lstat(stateDir).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!exists) return describeStorageFailure(error, stateDir);
  }
  await restrict(stateDir);
  const probe = path.join(stateDir, `.write-test-${process.pid}`);
  try {
    await writeFile(probe, 'pgproof\n', { mode: 0o600 });
  } catch (error) {
    return describeStorageFailure(error, stateDir);
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
  return undefined;
}
