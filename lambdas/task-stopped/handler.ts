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
/** The Step Functions client, created on first use and kept for the container's later invocations. */
function defaultClient(): SFNClient {
  defaultSfn ??= new SFNClient({});
  return defaultSfn;
}

/** Builds a handler bound to its dependencies (tests pass mocks). */
export function createTaskStoppedHandler(
  deps: TaskStoppedHandlerDeps = {},
): (event: unknown) => Promise<TaskStoppedOutcome> {
  return async (event) => {
    const logger = deps.logger ?? defaultLogger;
    const task = parseTaskStateChange(event);
    const sfn = deps.sfn ?? defaultClient();
    return reportStoppedTask(task, { sfn, logger });
  };
}

/** The Lambda entry point: event = EventBridge `ECS Task State Change` (STOPPED), result = `TaskStoppedOutcome`. */
export const handler = createTaskStoppedHandler();
