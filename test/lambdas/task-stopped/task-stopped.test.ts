import { readFileSync } from 'node:fs';
import { InvalidToken, SendTaskFailureCommand, SFNClient, TaskDoesNotExist, TaskTimedOut } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRunResult } from '../../../lambdas/common/run-result';
import { buildChatMessage } from '../../../lambdas/notify-chat/chat-message';
import { createTaskStoppedHandler } from '../../../lambdas/task-stopped/handler';
import { buildStopReport, TASK_STOPPED } from '../../../lambdas/task-stopped/stop-report';
import { parseTaskStateChange } from '../../../lambdas/task-stopped/task-stopped-event';
import { ENGINE_ENV } from '../../../lib/contracts/engine-env';
import { MAX_ERROR_MESSAGE_CHARS } from '../../../lib/common/rules';
import { tokenFingerprint } from '../../../lambdas/task-stopped/task-stopped';
import { captureOutput } from '../../helpers/capture-output';
import { errorTexts, thrown } from '../../helpers/runs';

type Json = Record<string, any>;
const fixture = (name: string): Json =>
  JSON.parse(readFileSync(new URL(`./fixtures/ecs-task-stopped/${name}.json`, import.meta.url), 'utf8'));
const tokenOf = (event: Json): string =>
  event.detail.overrides.containerOverrides[0].environment.find((v: Json) => v.name === ENGINE_ENV.taskToken).value;

describe('buildStopReport (real ECS STOPPED events)', () => {
  it('image pull failure: names CannotPullContainerError, the stop code, and the network/ECR hint', () => {
    // Act
    const report = buildStopReport(parseTaskStateChange(fixture('cannot-pull-container')));

    // Assess
    const lines = report.cause.split('\n');
    expect(report.error).toBe('TaskStopped');
    expect(lines[0]).toMatch(
      /^The backup task stopped before reporting: CannotPullContainerError: pull image manifest has been retried 7 time\(s\).*i\/o timeout \(stop code TaskFailedToStart\)$/,
    );
    expect(report.cause).toMatch(/Hint: the image could not be pulled: .*ECR api, ECR dkr and S3/);
    expect(lines.at(-1)).toBe('ECS task: c13b4cb40f1f4fe4a2971f76ae5a47ad');
  });

  it('secret/network failure before start: names ResourceInitializationError and what Fargate needs to reach', () => {
    const report = buildStopReport(parseTaskStateChange(fixture('resource-initialization')));

    expect(report.cause).toMatch(
      /^The backup task stopped before reporting: ResourceInitializationError: unable to pull secrets or registry auth.*\(stop code TaskFailedToStart\)\n/,
    );
    expect(report.cause).toMatch(
      /Hint: Fargate could not prepare the task.*Secrets Manager, CloudWatch Logs, ECR and S3.*DNS resolution/,
    );
    expect(report.cause).not.toMatch(/memory/);
  });

  it("out of memory: the verify task, exit code 137 with the container's reason and the memory setting to raise", () => {
    const report = buildStopReport(parseTaskStateChange(fixture('out-of-memory')));

    expect(report.cause.split('\n').slice(0, 3)).toEqual([
      'The verify task stopped before reporting: Essential container in task exited (stop code EssentialContainerExited)',
      'Container engine: exit code 137 (killed: out of memory?), OutOfMemoryError: Container killed due to memory usage',
      'Hint: the engine was killed, most likely for lack of memory (the task had 8192 MiB): raise tasks.verify.memoryMiB in the deployment configuration.',
    ]);
  });

  it('exit 0 without a report: says the engine exited without reporting and points at the Step Functions endpoint', () => {
    const report = buildStopReport(parseTaskStateChange(fixture('exit-0')));

    expect(report.cause).toContain('Container engine: exit code 0');
    expect(report.cause).toContain('Hint: the engine exited without reporting its result to Step Functions');
  });

  it('a non-zero exit names the status; a stop without details still says what is known', () => {
    const event = fixture('exit-0');
    event.detail.containers[0].exitCode = 1;
    expect(buildStopReport(parseTaskStateChange(event)).cause).toContain(
      'Hint: the engine exited with status 1 before reporting',
    );

    delete event.detail.stoppedReason;
    delete event.detail.stopCode;
    event.detail.containers = [];
    event.detail.overrides.containerOverrides[0].environment = [{ name: ENGINE_ENV.taskToken, value: 't' }];
    expect(buildStopReport(parseTaskStateChange(event)).cause).toBe(
      'The engine task stopped before reporting: ECS gave no stop reason\nECS task: 5b3c1a9f7e5d4c3b2a1f0e9d8c7b6a5f',
    );
  });

  it("cuts ECS's long texts to MAX_ERROR_MESSAGE_CHARS but keeps the hint and the task id", () => {
    const event = fixture('cannot-pull-container');
    event.detail.stoppedReason = `CannotPullContainerError: ${'r'.repeat(40_000)}`;
    event.detail.containers[0].reason = 'c'.repeat(40_000);

    const lines = buildStopReport(parseTaskStateChange(event)).cause.split('\n');

    expect(lines[0]).toHaveLength(
      'The backup task stopped before reporting: '.length +
        MAX_ERROR_MESSAGE_CHARS +
        ' (stop code TaskFailedToStart)'.length,
    );
    expect(lines.find((l) => l.startsWith('Container '))!.length).toBeLessThan(MAX_ERROR_MESSAGE_CHARS + 100);
    expect(lines.some((l) => l.startsWith('Hint: the image could not be pulled'))).toBe(true);
    expect(lines.at(-1)).toMatch(/^ECS task: [0-9a-f]{32}$/);
  });

  it('never puts the task token in the report', () => {
    for (const name of ['cannot-pull-container', 'resource-initialization', 'out-of-memory', 'exit-0']) {
      const event = fixture(name);
      expect(buildStopReport(parseTaskStateChange(event)).cause).not.toContain(tokenOf(event));
    }
  });
});

describe('parseTaskStateChange', () => {
  it('reads the token and the engine from the container overrides', () => {
    const event = fixture('out-of-memory');
    const task = parseTaskStateChange(event);

    expect(task).toMatchObject({
      engine: 'verify',
      lastStatus: 'STOPPED',
      memoryMiB: 8192,
      stopCode: 'EssentialContainerExited',
      taskToken: tokenOf(event),
    });
    expect(task.containers).toEqual([
      { name: 'engine', exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' },
    ]);
  });

  it('accepts fields ECS may add and nulls, and rejects what is not an ECS task event', () => {
    const event = fixture('exit-0');
    event.detail.somethingNew = { nested: true };
    event.detail.stopCode = null;
    expect(parseTaskStateChange(event).stopCode).toBeUndefined();

    expect(() => parseTaskStateChange({ source: 'aws.ecs', 'detail-type': 'ECS Service Action', detail: {} })).toThrow(
      /not an ECS Task State Change event: detail-type/,
    );
  });
});

describe('task-stopped handler', () => {
  const sfn = mockClient(SFNClient);
  let logs: ReturnType<typeof captureOutput>;
  const handle = createTaskStoppedHandler({
    sfn: new SFNClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }),
  });
  beforeEach(() => {
    sfn.reset();
    logs = captureOutput();
  });
  afterEach(() => logs.restore());
  afterAll(() => sfn.restore());

  it('fails the waiting step with TaskStopped and the report as cause (CannotPullContainerError)', async () => {
    // Prepare
    const event = fixture('cannot-pull-container');
    sfn.on(SendTaskFailureCommand).resolves({});

    // Act
    const outcome = await handle(event);

    // Assess
    const calls = sfn.commandCalls(SendTaskFailureCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      taskToken: tokenOf(event),
      error: 'TaskStopped',
      cause: buildStopReport(parseTaskStateChange(event)).cause,
    });
    expect(outcome).toMatchObject({
      outcome: 'reported',
      taskId: 'c13b4cb40f1f4fe4a2971f76ae5a47ad',
      engine: 'backup',
    });
    expect(JSON.stringify(outcome)).not.toContain(tokenOf(event));
    const line = logs.lines().find((l) => l.message === 'failed the waiting step: the task stopped before reporting');
    expect(line).toMatchObject({
      level: 'INFO',
      taskToken: tokenFingerprint(tokenOf(event)),
      stopCode: 'TaskFailedToStart',
    });
    expect(logs.text()).not.toContain(tokenOf(event));
  });

  it.each([
    ['TaskTimedOut', () => new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} })],
    ['InvalidToken', () => new InvalidToken({ message: 'Invalid token', $metadata: {} })],
    ['TaskDoesNotExist', () => new TaskDoesNotExist({ message: 'Task does not exist', $metadata: {} })],
  ])(
    'a task that had already reported (%s) is the normal end of a run: logged at info, not an error',
    async (name, error) => {
      sfn.on(SendTaskFailureCommand).rejects(error());

      const outcome = await handle(fixture('exit-0'));

      expect(outcome).toMatchObject({ outcome: 'already-reported', answer: name, engine: 'backup' });
      const line = logs.lines().find((l) => l.message === 'task had already reported its result: nothing to do');
      expect(line).toMatchObject({ level: 'INFO', answer: name });
      expect(logs.lines().some((l) => l.level === 'ERROR' || l.level === 'WARN')).toBe(false);
    },
  );

  it('any other SendTaskFailure error fails the function visibly, without the token in error or logs', async () => {
    const event = fixture('out-of-memory');
    const token = tokenOf(event);
    sfn
      .on(SendTaskFailureCommand)
      .rejects(Object.assign(new Error(`Rate exceeded for ${token}`), { name: 'ThrottlingException' }));

    const error = await thrown(() => handle(event));

    expect(error.name).toBe('ReportStopFailed');
    expect(error.message).toMatch(
      /could not fail the waiting step of ECS task 7d5a9e3b1c2f4a6b8d0e2f4a6c8e0b2d .*ThrottlingException/,
    );
    expect(errorTexts(error)).not.toContain(token);
    expect(logs.text()).toContain('SendTaskFailure failed');
    expect(logs.text()).not.toContain(token);
  });

  it('ignores a stopped task without a task token (started by hand) and one that is not stopped', async () => {
    const noToken = fixture('exit-0');
    noToken.detail.overrides = { containerOverrides: [] };
    const running = fixture('exit-0');
    running.detail.lastStatus = 'RUNNING';

    expect(await handle(noToken)).toMatchObject({ outcome: 'ignored', why: 'no-task-token' });
    expect(await handle(running)).toMatchObject({ outcome: 'ignored', why: 'not-stopped' });
    expect(sfn.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
  });

  it('rejects an event that is not an ECS task state change (a wiring mistake must be seen)', async () => {
    const error = await thrown(() => handle({ source: 'aws.states', detail: {} }));
    expect(error.name).toBe('InvalidInput');
  });
});

describe('the chat message of a TaskStopped run', () => {
  it("names ECS's reason: the state machine records {state, name, message = Cause} and the chat shows it", () => {
    // Prepare: what BackupDatabaseFailed records from the step's error (lib/run-definition.ts catchFailures)
    const report = buildStopReport(parseTaskStateChange(fixture('cannot-pull-container')));
    const run = parseRunResult({
      database: 'orders',
      runId: 'r1',
      status: 'FAILED',
      error: { state: 'BackupDatabase', name: report.error, message: report.cause },
    });

    // Act
    const message = buildChatMessage(run);

    // Assess
    expect(message.headline).toBe('❌ Backup FAILED: orders (failed in BackupDatabase)');
    expect(message.errorName).toBe(TASK_STOPPED);
    expect(message.errorLines[0]).toMatch(/^The backup task stopped before reporting: CannotPullContainerError: /);
    expect(message.text).toContain('Error: TaskStopped');
    expect(message.text).toMatch(/Hint: the image could not be pulled/);
  });

  it('shows the exit code and the memory hint of an out-of-memory verify task', () => {
    const report = buildStopReport(parseTaskStateChange(fixture('out-of-memory')));
    const message = buildChatMessage(
      parseRunResult({
        database: 'orders',
        runId: 'r1',
        status: 'FAILED',
        error: { state: 'VerifyBackup', name: report.error, message: report.cause },
      }),
    );

    expect(message.text).toContain('exit code 137');
    expect(message.text).toContain('raise tasks.verify.memoryMiB');
  });
});
