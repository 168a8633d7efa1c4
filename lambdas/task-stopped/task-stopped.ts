import { createHash } from 'node:crypto';
import { SendTaskFailureCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { PgProofError } from '../common/errors';
import type { LambdaLogger } from '../common/logger';
import { buildStopReport, taskId, type StopReport } from './stop-report';
import type { EngineKind, TaskStateChange } from './task-stopped-event';

/**
 * What `SendTaskFailure` answers when the token was already used or has expired: the task reported its own result
 * (the normal end of every successful run) or the step already timed out. Nothing is left to do.
 */
export const TOKEN_ALREADY_CLOSED = ['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist'] as const;

/** `SendTaskFailure` failed for another reason (throttling, access denied, network): the function fails visibly. */
export class ReportStopFailed extends PgProofError {
  override readonly name = 'ReportStopFailed';
}

export type TaskStoppedOutcome =
  /** The waiting step was failed with `TaskStopped`. */
  | { readonly outcome: 'reported'; readonly taskId: string; readonly engine: EngineKind; readonly report: StopReport }
  /** The task had already reported (or the step had ended): `SendTaskFailure` answered with this error name. */
  | {
      readonly outcome: 'already-reported';
      readonly taskId: string;
      readonly engine: EngineKind;
      readonly answer: string;
    }
  /** Not a stopped task of a run: not STOPPED, or no task token in its overrides (started by hand). */
  | { readonly outcome: 'ignored'; readonly taskId: string; readonly why: 'not-stopped' | 'no-task-token' };

export interface TaskStoppedDeps {
  readonly sfn: Pick<SFNClient, 'send'>;
  readonly logger: LambdaLogger;
}

/** A short, one-way fingerprint of a task token: enough to match log lines, useless as a credential. */
export function tokenFingerprint(token: string): string {
  return `sha256:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
}

/**
 * Fails the run's waiting step when its ECS task stopped. A task that already reported makes `SendTaskFailure`
 * answer with one of `TOKEN_ALREADY_CLOSED`: that is logged at info and ignored. Any other error is thrown.
 * The task token is never logged, returned or put in an error; its fingerprint is.
 */
export async function reportStoppedTask(task: TaskStateChange, deps: TaskStoppedDeps): Promise<TaskStoppedOutcome> {
  const id = taskId(task.taskArn);
  if (task.lastStatus !== 'STOPPED') {
    deps.logger.debug('task not stopped: nothing to do', { taskId: id, lastStatus: task.lastStatus });
    return { outcome: 'ignored', taskId: id, why: 'not-stopped' };
  }
  if (!task.taskToken) {
    deps.logger.info('stopped task carries no task token (not started by a pgproof run): nothing to do', {
      taskId: id,
    });
    return { outcome: 'ignored', taskId: id, why: 'no-task-token' };
  }
  const token = task.taskToken;
  const fingerprint = tokenFingerprint(token);
  const report = buildStopReport(task);
  const context = {
    taskId: id,
    engine: task.engine,
    stopCode: task.stopCode,
    stoppedReason: task.stoppedReason,
    taskToken: fingerprint,
  };
  try {
    await deps.sfn.send(new SendTaskFailureCommand({ taskToken: token, error: report.error, cause: report.cause }));
  } catch (error) {
    const name = error instanceof Error ? error.name : 'UnknownError';
    if ((TOKEN_ALREADY_CLOSED as readonly string[]).includes(name)) {
      deps.logger.info('task had already reported its result: nothing to do', { ...context, answer: name });
      return { outcome: 'already-reported', taskId: id, engine: task.engine, answer: name };
    }
    // The SDK's message may quote the request; the token is scrubbed and the original error is not kept as cause.
    const detail = error instanceof Error ? error.message.split(token).join(fingerprint) : String(error);
    deps.logger.error('SendTaskFailure failed', { ...context, errorName: name, errorMessage: detail });
    throw new ReportStopFailed(
      `could not fail the waiting step of ECS task ${id} (token ${fingerprint}): ${name}: ${detail}`,
    );
  }
  deps.logger.info('failed the waiting step: the task stopped before reporting', context);
  return { outcome: 'reported', taskId: id, engine: task.engine, report };
}
