import { spawn } from 'node:child_process';
import path from 'node:path';
import type pg from 'pg';
import { DiskFull, RestoreFailed } from './errors';
import { libpqEnv, type ConnectionParams } from './pg-connection';
import { describeExit } from './process';
import { quoteIdent } from './table-stats';
import { firstRealError, PgRestoreErrorLog } from './pg-restore-errors';

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
export function pgRestoreArgs(
  file: string,
  jobs: number,
  database: string,
  extra: readonly string[] = [],
  skip: readonly RestoreSkip[] = THROWAWAY_SKIPS,
): string[] {
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
    return (
      'The dump uses an extension that the verify image lacks: install it in the image (containers/Dockerfile), ' +
      'or, if it exists only on Amazon RDS, add its name to rdsOnlyExtensions in the configuration.'
    );
  }
  if (/collation "[^"]+" for encoding .* does not exist|invalid locale name/.test(stderr)) {
    return 'The dump uses a collation or locale the verify image lacks.';
  }
  return '';
}

/**
 * Runs pg_restore into `target`. Its failure carries pg_restore's whole error: the failing TOC entry, the server's
 * ERROR with its LINE/CONTEXT/HINT lines and the complete `Command was:` statement (bounded, see restore-errors.ts).
 */
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
    const child = spawn(
      path.join(options.binDir, 'pg_restore'),
      pgRestoreArgs(options.file, options.jobs, options.target.database, options.extraArgs, options.skip),
      {
        env: libpqEnv(options.target),
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    const log = new PgRestoreErrorLog();
    child.stderr.on('data', (chunk: Buffer) => {
      for (const line of log.push(chunk)) {
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
      const report = log.text();
      if (/No space left on device|could not extend file/i.test(report)) {
        return reject(
          new DiskFull(
            `the throwaway cluster ran out of disk space during pg_restore; give the verify task more ephemeral storage. pg_restore said:\n${report}`,
          ),
        );
      }
      const hint = explain(report);
      // The first real error leads (it is what a chat shows first), then pg_restore's whole report.
      const first = firstRealError(report);
      reject(
        new RestoreFailed(
          `pg_restore ${describeExit(code, signal)}:${first ? ` ${first}` : ''}\n${report}${hint ? `\n${hint}` : ''}`,
        ),
      );
    });
  });
}
