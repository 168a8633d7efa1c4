import { spawn } from 'node:child_process';
import { ensureBundles } from '../../bin/bundles.mjs';
import { parseLocalResult } from '../../containers/common/reporter';
import { PgProofError } from '../common/errors';
import { REPO_ROOT } from '../pgproof-function';

/** A failed task, named as the task named it, so Step Functions-style Catch/Retry rules match it locally too. */
export class ContainerTaskError extends PgProofError {
  override readonly name: string;

  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export interface ContainerTaskOptions {
  /** The environment the Fargate task would get (plus AWS credentials for a local S3). */
  readonly env: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  /** Each JSON log line the task writes on stderr. */
  readonly onLogLine?: (line: string) => void;
}

/**
 * Runs a container entrypoint (`containers/<name>/main.ts`) as a child process with the environment the Fargate
 * task gets, and returns its reported output, or throws its reported error. On abort, the child gets SIGTERM and
 * cleans up (throwaway cluster, incomplete upload) before this returns.
 */
export async function runContainerTask(
  name: 'backup' | 'verify' | 'discover',
  options: ContainerTaskOptions,
): Promise<unknown> {
  // The same self-contained bundle the image runs (/app/<name>.cjs), compiled once (bin/bundles.mjs).
  const bundle = (await ensureBundles([name]))[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle], {
      cwd: REPO_ROOT,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let partial = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) options.onLogLine?.(line);
    });
    const onAbort = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      const result = parseLocalResult(stdout);
      if (result?.status === 'SUCCEEDED') return resolve(result.output);
      if (result?.status === 'FAILED') return reject(new ContainerTaskError(result.error.name, result.error.message));
      reject(
        new ContainerTaskError('States.TaskFailed', `the ${name} task ended without a result (exit ${code ?? signal})`),
      );
    });
  });
}
