import { spawn } from 'node:child_process';
import path from 'node:path';
import type pg from 'pg';
import { DiskFull, RestoreFailed } from '../common/errors';
import { libpqEnv, type ConnectionParams } from '../common/pg-connection';
import { describeExit, TailBuffer } from '../common/process';
import { quoteIdent } from '../common/table-stats';

/** Creates the roles the dump refers to, so owners and grants restore exactly as they were. */
export async function createMissingRoles(admin: pg.Client, roles: readonly string[]): Promise<string[]> {
  const { rows } = await admin.query<{ name: string }>('select rolname as name from pg_roles');
  const existing = new Set(rows.map((r) => r.name));
  const created: string[] = [];
  for (const role of roles) {
    if (existing.has(role)) continue;
    await admin.query(`create role ${quoteIdent(role)} nologin`);
    created.push(role);
  }
  return created;
}

/** Parts of an archive pg_restore can leave out; a throwaway cluster can hold none of them. */
export type RestoreSkip = 'tablespaces' | 'subscriptions' | 'security-labels';
export const THROWAWAY_SKIPS: readonly RestoreSkip[] = ['tablespaces', 'subscriptions', 'security-labels'];

/** The arguments of the restore: parallel, stop at the first error, skip what cannot exist in a throwaway cluster. */
export function pgRestoreArgs(file: string, jobs: number, database: string, extra: readonly string[] = [], skip: readonly RestoreSkip[] = THROWAWAY_SKIPS): string[] {
  return [
    `--dbname=${database}`,
    ...extra,
    '--exit-on-error',
    `--jobs=${jobs}`,
    '--no-password',
    // Tablespace paths, subscriptions (they would try to connect to the publisher) and security labels
    // (their providers are not loaded) cannot be recreated in a throwaway cluster; data and schema can.
    ...skip.map((part) => `--no-${part}`),
    '--verbose',
    file,
  ];
}

function explain(stderr: string): string {
  if (/could not open extension control file|extension "[^"]+" is not available/.test(stderr)) {
    return ' The dump uses an extension that the verify image lacks: install it in the image (containers/Dockerfile).';
  }
  if (/collation "[^"]+" for encoding .* does not exist|invalid locale name/.test(stderr)) {
    return ' The dump uses a collation or locale the verify image lacks.';
  }
  return '';
}

/** Runs pg_restore into `target`; its failure carries the first and last lines that matter. */
export function runPgRestore(options: {
  binDir: string;
  file: string;
  target: ConnectionParams;
  jobs: number;
  /** More pg_restore options (e.g. --clean, --no-owner for a disaster restore). */
  extraArgs?: readonly string[];
  /** What to leave out. @default THROWAWAY_SKIPS */
  skip?: readonly RestoreSkip[];
  signal?: AbortSignal;
  onItem?: (line: string) => void;
}): Promise<void> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(options.signal.reason);
    const child = spawn(path.join(options.binDir, 'pg_restore'), pgRestoreArgs(options.file, options.jobs, options.target.database, options.extraArgs, options.skip), {
      env: libpqEnv(options.target),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const tail = new TailBuffer(25);
    let firstError: string | undefined;
    child.stderr.on('data', (chunk: Buffer) => {
      for (const line of tail.push(chunk)) {
        if (!firstError && /error:/i.test(line)) firstError = line;
        if (/processing item|creating|launching item/.test(line)) options.onItem?.(line);
      }
    });
    const onAbort = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (options.signal?.aborted) return reject(options.signal.reason);
      if (code === 0 && !signal) return resolve();
      const text = tail.text();
      const errors = text.split('\n').filter((l) => /error|FATAL|DETAIL|HINT|Command was/i.test(l)).slice(0, 10).join('\n');
      const detail = errors || text;
      if (/No space left on device|could not extend file/i.test(text)) {
        return reject(new DiskFull(`the throwaway cluster ran out of disk space during pg_restore: ${firstError ?? detail}; give the verify task more ephemeral storage`));
      }
      reject(new RestoreFailed(`pg_restore ${describeExit(code, signal)}: ${detail}.${explain(text)}`));
    });
  });
}
