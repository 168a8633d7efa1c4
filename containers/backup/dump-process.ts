import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import type { CompressionPlan } from '../common/compression';
import { DumpFailed, ToolMissing } from '../common/errors';
import { describeExit, TailBuffer } from '../common/process';
import { explainCertificateProblem } from '../common/tls';

export interface DumpProcess {
  /** The archive bytes, compressed as planned. */
  readonly output: Readable;
  /** Resolves when pg_dump (and the compressor) exited cleanly; rejects with DumpFailed otherwise. */
  readonly finished: Promise<void>;
  /** Bytes pg_dump has written so far (the archive before our compressor: what verify decompresses to disk). */
  archiveBytes(): number;
  /** Ends the children (on failure or interruption). */
  kill(reason: string): void;
}

const FATAL_LINE = /\b(ERROR|FATAL|PANIC):/;

/** pg_dump ended because we stopped it (another step failed first): a consequence, never the cause to report. */
export class DumpStopped extends DumpFailed {}

function exitOf(child: ChildProcess, label: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT' ? new ToolMissing(`${label} not found: ${error.message}`, { cause: error }) : error,
      ),
    );
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

/**
 * Starts `pg_dump --snapshot=… -Fc` (and the compressor it pipes into). Any non-zero exit, any killed child and
 * any ERROR/FATAL line on pg_dump's stderr fail `finished`, with the useful tail of stderr in the message.
 */
export function startDump(options: {
  binDir: string;
  snapshot: string;
  plan: CompressionPlan;
  env: NodeJS.ProcessEnv;
  lockWaitTimeoutSeconds: number;
  onStderrLine?: (line: string) => void;
}): DumpProcess {
  const args = [
    '--format=custom',
    `--snapshot=${options.snapshot}`,
    '--no-password',
    `--lock-wait-timeout=${options.lockWaitTimeoutSeconds * 1000}`,
    ...options.plan.pgDumpArgs,
  ];
  const pgDump = spawn(path.join(options.binDir, 'pg_dump'), args, {
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr = new TailBuffer(30);
  let errorLine: string | undefined;
  pgDump.stderr?.on('data', (chunk: Buffer) => {
    for (const line of stderr.push(chunk)) {
      if (!errorLine && FATAL_LINE.test(line)) errorLine = line;
      options.onStderrLine?.(line);
    }
  });
  const dumpExit = exitOf(pgDump, 'pg_dump');
  let archiveBytes = 0;
  const counted = (pgDump.stdout as Readable).pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        archiveBytes += chunk.length;
        callback(null, chunk);
      },
    }),
  );

  let compressor: ChildProcess | undefined;
  let compressorExit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({
    code: 0,
    signal: null,
  });
  let output: Readable = counted;
  const compressorErr = new TailBuffer(5);
  if (options.plan.filter) {
    compressor = spawn(options.plan.filter.command, options.plan.filter.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    compressor.stderr?.on('data', (c: Buffer) => compressorErr.push(c));
    compressor.stdin?.on('error', () => undefined); // EPIPE when the compressor dies: reported through its exit
    counted.pipe(compressor.stdin!);
    output = compressor.stdout as Readable;
    compressorExit = exitOf(compressor, options.plan.filter.command);
  }

  let killedFor: string | undefined;
  const finished = (async () => {
    const [dump, comp] = await Promise.all([dumpExit, compressorExit]);
    if (killedFor) throw new DumpStopped(`pg_dump was stopped: ${killedFor}`);
    if (dump.code !== 0 || dump.signal) {
      const certificate = explainCertificateProblem(undefined, stderr.text());
      throw new DumpFailed(
        `pg_dump ${describeExit(dump.code, dump.signal)}: ${stderr.text() || '(no output on stderr)'}${certificate ? ` (${certificate})` : ''}`,
      );
    }
    if (errorLine) throw new DumpFailed(`pg_dump reported an error: ${stderr.text()}`);
    if (comp.code !== 0 || comp.signal) {
      throw new DumpFailed(
        `the compressor (${options.plan.filter?.command}) ${describeExit(comp.code, comp.signal)}: ${compressorErr.text()}`,
      );
    }
  })();
  // Observed by the upload gate; avoid an unhandled rejection if the upload failed first.
  finished.catch(() => undefined);

  return {
    output,
    finished,
    archiveBytes: () => archiveBytes,
    kill: (reason) => {
      // Only a pg_dump that is still running is "stopped by us"; one that already died keeps its own failure.
      const running = pgDump.exitCode === null && pgDump.signalCode === null;
      if (running) killedFor ??= reason;
      if (running) pgDump.kill('SIGTERM');
      if (compressor && compressor.exitCode === null && compressor.signalCode === null) compressor.kill('SIGTERM');
    },
  };
}
