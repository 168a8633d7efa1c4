import { SFNClient } from '@aws-sdk/client-sfn';
import { createLogger, type LambdaLogger } from '../common/logger';
import { parseTaskStateChange } from './task-stopped-event';
import { reportStoppedTask, type TaskStoppedOutcome } from './task-stopped';

export interface TaskStoppedHandlerDeps {
  readonly sfn?: Pick<SFNClient, 'send'>;
  readonly logger?: LambdaLogger;
}

// Created once per container and reused by warm invocations.
const defaultLogger = createLogger('pgproof-task-stopped');
let defaultSfn: SFNClient | undefined;

/** Builds a handler bound to its dependencies (tests pass mocks). */
export function createTaskStoppedHandler(
  deps: TaskStoppedHandlerDeps = {},
): (event: unknown) => Promise<TaskStoppedOutcome> {
  return async (event) => {
    const logger = deps.logger ?? defaultLogger;
    const task = parseTaskStateChange(event);
    const sfn = deps.sfn ?? (defaultSfn ??= new SFNClient({}));
    return reportStoppedTask(task, { sfn, logger });
  };
}

/** The Lambda entry point: event = EventBridge `ECS Task State Change` (STOPPED), result = `TaskStoppedOutcome`. */
export const handler = createTaskStoppedHandler();
