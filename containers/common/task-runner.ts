import { asNamedError, TaskInterrupted } from './errors';
import { createLogger, type Logger } from './log';
import { reporterFromEnv, type TaskReporter } from './reporter';
import { stopAllClusters } from './throwaway-cluster';

export interface TaskContext {
  readonly logger: Logger;
  /** Aborted on SIGTERM/SIGINT or when Step Functions no longer waits for this task. */
  readonly signal: AbortSignal;
}

export interface RunTaskOptions<T> {
  readonly service: string;
  readonly work: (context: TaskContext) => Promise<T>;
  readonly reporter?: TaskReporter;
  readonly logger?: Logger;
  /** @default 60 s (the state machine's heartbeat timeout is a few minutes) */
  readonly heartbeatMs?: number;
  /** Signals that stop the task cleanly. @default SIGTERM, SIGINT */
  readonly signals?: readonly NodeJS.Signals[];
}

/**
 * Runs one task: heartbeats while it works, stops cleanly on a signal, and reports exactly one result.
 * Returns the process exit code (0 success, 1 failure, 128+n after signal n).
 */
export async function runTask<T>(options: RunTaskOptions<T>): Promise<number> {
  const logger = options.logger ?? createLogger({ service: options.service });
  const reporter = options.reporter ?? reporterFromEnv();
  const controller = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppedBy) return;
    stoppedBy = signal;
    logger.warn('stopping on signal', { signal });
    controller.abort(new TaskInterrupted(signal));
  };
  for (const s of signals) process.on(s, onSignal);
  // Locally the runner (the pgproof CLI) is our parent: if it is killed (-9), stop and clean up as on SIGTERM
  // rather than leave a decompressed dump and a throwaway cluster behind. In ECS our parent (init) never changes.
  const parent = process.ppid;
  const parentWatch = setInterval(() => {
    if (process.ppid !== parent) onSignal('SIGTERM');
  }, 1000);
  parentWatch.unref();

  const heartbeat = setInterval(() => {
    reporter.heartbeat().catch((error: unknown) => {
      const name = (error as Error).name;
      logger.warn('heartbeat failed', { error: asNamedError(error) });
      // The execution no longer waits for us (timed out, aborted): stop working.
      if (name === 'TaskTimedOut' || name === 'InvalidToken' || name === 'TaskDoesNotExist')
        controller.abort(new TaskInterrupted('heartbeat rejection'));
    });
  }, options.heartbeatMs ?? 60_000);
  heartbeat.unref();

  let code: number;
  try {
    const output = await options.work({ logger, signal: controller.signal });
    if (controller.signal.aborted) throw controller.signal.reason;
    await reporter.succeed(output);
    logger.info('task succeeded');
    code = 0;
  } catch (error) {
    const failure =
      controller.signal.aborted && stoppedBy ? asNamedError(new TaskInterrupted(stoppedBy)) : asNamedError(error);
    logger.error('task failed', { error: failure });
    await stopAllClusters();
    try {
      await reporter.fail(failure);
    } catch (reportError) {
      logger.error('could not report the failure', { error: asNamedError(reportError) });
    }
    code = stoppedBy ? 128 + (stoppedBy === 'SIGINT' ? 2 : 15) : 1;
  } finally {
    clearInterval(heartbeat);
    clearInterval(parentWatch);
    for (const s of signals) process.off(s, onSignal);
  }
  return code;
}

/** Entrypoint helper: runs the task and exits with its code. */
export function runTaskMain<T>(service: string, work: (context: TaskContext) => Promise<T>): void {
  const logger = createLogger({ service });
  // Keep stderr pure JSON lines: Node's process warnings (e.g. the AWS SDK's) become log records too.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => logger.warn('process warning', { warning: warning.message.split('\n')[0] }));
  void runTask({ service, work, logger }).then((code) => process.exit(code));
}
