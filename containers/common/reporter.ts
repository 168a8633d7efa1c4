import {
  SFNClient,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
} from '@aws-sdk/client-sfn';
import { ENGINE_ENV } from '../../lib/contracts/engine-env';
import { redact } from '../../lib/common/redact';
import { clipText, MAX_ERROR_MESSAGE_CHARS } from '../../lib/common/rules';

export interface TaskFailure {
  readonly name: string;
  readonly message: string;
}

/** How a task tells its caller how it ended: a Step Functions task token in AWS, a JSON line locally. */
export interface TaskReporter {
  heartbeat(): Promise<void>;
  succeed(output: unknown): Promise<void>;
  fail(failure: TaskFailure): Promise<void>;
}

// Step Functions limits the error name to 256 characters; the cause (32,768 allowed) is cut shorter, to pgproof's
// cap, because it lands in the run state.
const MAX_ERROR = 256;

/** Reports through `SendTaskSuccess`/`SendTaskFailure`/`SendTaskHeartbeat` with the task token ECS passed in. */
export class StepFunctionsReporter implements TaskReporter {
  constructor(
    private readonly sfn: SFNClient,
    private readonly taskToken: string,
  ) {}

  async heartbeat(): Promise<void> {
    await this.sfn.send(new SendTaskHeartbeatCommand({ taskToken: this.taskToken }));
  }

  async succeed(output: unknown): Promise<void> {
    await this.sfn.send(
      new SendTaskSuccessCommand({ taskToken: this.taskToken, output: redact(JSON.stringify(output)) }),
    );
  }

  async fail(failure: TaskFailure): Promise<void> {
    await this.sfn.send(
      new SendTaskFailureCommand({
        taskToken: this.taskToken,
        error: clipText(redact(failure.name), MAX_ERROR),
        cause: clipText(redact(failure.message), MAX_ERROR_MESSAGE_CHARS),
      }),
    );
  }
}

/** The line a local task prints last on stdout: the local runner parses it. */
export type LocalResultLine = { status: 'SUCCEEDED'; output: unknown } | { status: 'FAILED'; error: TaskFailure };

/** Prints the result as one JSON line (stdout), for local runs. */
export class LocalReporter implements TaskReporter {
  constructor(private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {}

  async heartbeat(): Promise<void> {}

  async succeed(output: unknown): Promise<void> {
    const line: LocalResultLine = { status: 'SUCCEEDED', output };
    this.write(redact(JSON.stringify(line)));
  }

  async fail(failure: TaskFailure): Promise<void> {
    const line: LocalResultLine = { status: 'FAILED', error: { name: failure.name, message: failure.message } };
    this.write(redact(JSON.stringify(line)));
  }
}

/** Parses the last result line of a local task's stdout. */
export function parseLocalResult(stdout: string): LocalResultLine | undefined {
  const lines = stdout.trim().split('\n').reverse();
  for (const line of lines) {
    try {
      const value = JSON.parse(line) as LocalResultLine;
      if (value && (value.status === 'SUCCEEDED' || value.status === 'FAILED')) return value;
    } catch {
      // not the result line
    }
  }
  return undefined;
}

/** The task token (set by the state machine as a container environment override) selects the reporter. */
export function reporterFromEnv(env: NodeJS.ProcessEnv = process.env): TaskReporter {
  const token = env[ENGINE_ENV.taskToken];
  return token ? new StepFunctionsReporter(new SFNClient({}), token) : new LocalReporter();
}
