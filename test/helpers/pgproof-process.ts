import path from 'node:path';
import { ROOT, runNodeProcess, type NodeProcessResult } from './fixtures';

export type PgproofRun = NodeProcessResult;

/** Runs the `pgproof` command as a user would (bin/pgproof.mjs), with a minimal environment. */
export function pgproof(
  args: string[],
  options: { env?: Record<string, string>; onStderr?: (text: string, pid: number) => void } = {},
): Promise<PgproofRun> {
  return runNodeProcess(
    [path.join(ROOT, 'bin', 'pgproof.mjs'), ...args],
    options.env,
    options.onStderr ? { onStderr: options.onStderr } : {},
  );
}

/** The `--json` result: the last line of stdout. */
export function lastJson(run: PgproofRun): Record<string, unknown> {
  return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}
