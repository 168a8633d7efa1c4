import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT, S3RVER_ENV } from '../helpers/fixtures';

export interface PgproofRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the `pgproof` command as a user would (bin/pgproof.mjs), with a minimal environment. */
export function pgproof(
  args: string[],
  options: { env?: Record<string, string>; onStderr?: (text: string, pid: number) => void } = {},
): Promise<PgproofRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'pgproof.mjs'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...S3RVER_ENV, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      options.onStderr?.(d.toString(), child.pid ?? 0);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The `--json` result: the last line of stdout. */
export function lastJson(run: PgproofRun): Record<string, unknown> {
  return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}
