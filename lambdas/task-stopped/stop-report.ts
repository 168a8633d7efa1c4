import { clipText, MAX_ERROR_MESSAGE_CHARS } from '../../lib/common/rules';
import type { StoppedContainer, TaskStateChange } from './task-stopped-event';

/** The error name the waiting step fails with (DESIGN: the ECS task-stopped watcher). */
export const TASK_STOPPED = 'TaskStopped';

// ECS's texts (the stop reason, each container's reason) are cut to pgproof's error-message cap, so a reason quoting
// a long registry error can neither make SendTaskFailure fail (32,768 characters) nor swell the run state. The
// report as a whole adds pgproof's fixed hints and the task id to them, which are kept whole.

/** What `SendTaskFailure` receives: the error name and a cause a person can act on. */
export interface StopReport {
  readonly error: typeof TASK_STOPPED;
  readonly cause: string;
}

const SIGKILL_EXIT = 137;

/**
 * Pure: the failure report of a task that stopped before it reported its result. The first line names ECS's stop
 * reason and stop code, the second each container's exit code and reason, the third a hint for the common causes,
 * the last the task id (its log stream and stopped-task page carry it). Holds no task token.
 */
export function buildStopReport(task: TaskStateChange): StopReport {
  const who = task.engine === 'engine' ? 'The engine task' : `The ${task.engine} task`;
  const reason = task.stoppedReason ? clipText(task.stoppedReason, MAX_ERROR_MESSAGE_CHARS) : 'ECS gave no stop reason';
  const code = task.stopCode ? ` (stop code ${task.stopCode})` : '';
  const lines = [`${who} stopped before reporting: ${reason}${code}`];
  const containers = task.containers.map(describeContainer).filter((text): text is string => text !== undefined);
  if (containers.length) lines.push(`Container ${containers.join('; ')}`);
  for (const hint of hintsFor(task)) lines.push(`Hint: ${hint}`);
  lines.push(`ECS task: ${taskId(task.taskArn)}`);
  return { error: TASK_STOPPED, cause: lines.join('\n') };
}

function describeContainer(container: StoppedContainer): string | undefined {
  const parts: string[] = [];
  if (container.exitCode !== undefined) {
    parts.push(
      `exit code ${container.exitCode}${container.exitCode === SIGKILL_EXIT ? ' (killed: out of memory?)' : ''}`,
    );
  }
  if (container.reason) parts.push(clipText(container.reason, MAX_ERROR_MESSAGE_CHARS));
  if (!parts.length) return undefined;
  return `${container.name ?? '(unnamed)'}: ${parts.join(', ')}`;
}

/** The ECS task id (the last part of its ARN): the stopped-task page and the log stream are named after it. */
export function taskId(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1);
}

const startsWith = (text: string | undefined, prefix: string) => text?.startsWith(prefix);

/** Pure: what to check for the stop reasons people meet most (ECS's stopped-task error codes). */
export function hintsFor(task: TaskStateChange): string[] {
  const reason = task.stoppedReason;
  const hints: string[] = [];
  const memorySetting =
    task.engine === 'verify'
      ? 'tasks.verify.memoryMiB'
      : task.engine === 'backup'
        ? 'tasks.backup.memoryMiB'
        : "the task's memoryMiB";
  const outOfMemory =
    task.containers.some((c) => c.reason?.includes('OutOfMemoryError') || c.exitCode === SIGKILL_EXIT) ||
    startsWith(reason, 'OutOfMemoryError');

  if (startsWith(reason, 'CannotPullContainerError')) {
    hints.push(
      "the image could not be pulled: check that it exists in ECR (cdk deploy pushes it), that the task's subnets reach ECR api, ECR dkr and S3 (a NAT gateway or VPC endpoints), and that the security group allows HTTPS out.",
    );
  } else if (startsWith(reason, 'ResourceInitializationError')) {
    hints.push(
      'Fargate could not prepare the task before the container started (secrets, log group or image registry): check that the subnets reach Secrets Manager, CloudWatch Logs, ECR and S3 (NAT gateway or VPC endpoints), that the VPC has DNS resolution enabled, and that the execution role may read the secrets and their KMS key.',
    );
  } else if (startsWith(reason, 'CannotStartContainerError')) {
    hints.push(
      "the container could not start: check that the image was built for the task's CPU architecture and that its entry point exists.",
    );
  } else if (startsWith(reason, 'ContainerRuntimeTimeoutError') || startsWith(reason, 'DockerTimeoutError')) {
    hints.push(
      'the container runtime timed out starting or stopping the container: usually transient; start the run again.',
    );
  } else if (task.stopCode === 'SpotInterruption' || task.stopCode === 'TerminationNotice') {
    hints.push('AWS reclaimed the capacity the task ran on: start the run again.');
  } else if (task.stopCode === 'UserInitiated') {
    hints.push('the task was stopped through the ECS API or console (StopTask), not by pgproof.');
  }

  if (outOfMemory) {
    const had = task.memoryMiB ? ` (the task had ${task.memoryMiB} MiB)` : '';
    hints.push(
      `the engine was killed, most likely for lack of memory${had}: raise ${memorySetting} in the deployment configuration.`,
    );
  } else if (task.stopCode === 'EssentialContainerExited') {
    const exit = task.containers.find((c) => c.exitCode !== undefined)?.exitCode;
    if (exit === 0) {
      hints.push(
        'the engine exited without reporting its result to Step Functions: its log names what happened; check that the subnets reach the Step Functions endpoint (states).',
      );
    } else if (exit !== undefined) {
      hints.push(
        `the engine exited with status ${exit} before reporting: its log in CloudWatch names the error; it could not send its own failure report (check that the subnets reach the Step Functions endpoint).`,
      );
    }
  }
  return hints;
}
