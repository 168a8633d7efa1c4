import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DumpFailed } from '../../../containers/common/errors';
import { LocalReporter, parseLocalResult, StepFunctionsReporter } from '../../../containers/common/reporter';
import { clearSecrets, registerSecret } from '../../../lib/common/redact';
import { runTask } from '../../../containers/common/task-runner';
import { captureLogger } from '../../helpers/fixtures';
import { MAX_ERROR_MESSAGE_CHARS } from '../../../lib/common/rules';

const sfn = mockClient(SFNClient);

describe('task token reporting', () => {
  beforeEach(() => {
    sfn.reset();
    registerSecret('pw-never-shown-42');
  });
  afterEach(() => clearSecrets());

  it('sends SendTaskSuccess with the JSON output', async () => {
    // Prepare
    sfn.on(SendTaskSuccessCommand).resolves({});
    const reporter = new StepFunctionsReporter(new SFNClient({}), 'token-1');
    // Act
    const code = await runTask({
      service: 't',
      reporter,
      logger: captureLogger().logger,
      work: async () => ({ key: 'k', bytes: 3 }),
    });
    // Assess
    expect(code).toBe(0);
    const calls = sfn.commandCalls(SendTaskSuccessCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ taskToken: 'token-1', output: '{"key":"k","bytes":3}' });
  });

  it('sends SendTaskFailure with the error name and a redacted, bounded cause', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});
    const reporter = new StepFunctionsReporter(new SFNClient({}), 'token-2');
    const code = await runTask({
      service: 't',
      reporter,
      logger: captureLogger().logger,
      work: async () => {
        throw new DumpFailed(
          `pg_dump exited with status 1: FATAL: password pw-never-shown-42 rejected ${'x'.repeat(40_000)}`,
        );
      },
    });
    expect(code).toBe(1);
    const input = sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input;
    expect(input.error).toBe('DumpFailed');
    expect(input.cause).toMatch(/^pg_dump exited with status 1: FATAL: password \*\*\* rejected/);
    expect(input.cause!.length).toBeLessThanOrEqual(32_768);
    expect(input.cause).toHaveLength(MAX_ERROR_MESSAGE_CHARS);
    // the start (the summary) and the end (where a program's stderr names the cause) are both kept
    expect(input.cause).toMatch(/x…x+$/);
    expect(JSON.stringify(input)).not.toContain('pw-never-shown-42');
  });

  it('heartbeats while working, and stops the work when Step Functions no longer waits', async () => {
    sfn
      .on(SendTaskHeartbeatCommand)
      .resolvesOnce({})
      .rejects(new TaskTimedOut({ message: 'timed out', $metadata: {} }));
    sfn.on(SendTaskFailureCommand).resolves({});
    const reporter = new StepFunctionsReporter(new SFNClient({}), 'token-3');
    const code = await runTask({
      service: 't',
      reporter,
      logger: captureLogger().logger,
      heartbeatMs: 20,
      work: ({ signal }) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason));
        }),
    });
    expect(code).toBe(1);
    expect(sfn.commandCalls(SendTaskHeartbeatCommand).length).toBeGreaterThanOrEqual(2);
    expect(sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input.error).toBe('TaskInterrupted');
  });
});

describe('local reporting', () => {
  it('prints one JSON result line that the local runner parses back', async () => {
    const lines: string[] = [];
    const code = await runTask({
      service: 't',
      reporter: new LocalReporter((l) => lines.push(l)),
      logger: captureLogger().logger,
      work: async () => ({ ok: 1 }),
    });
    expect(code).toBe(0);
    expect(parseLocalResult(['noise', ...lines].join('\n'))).toEqual({ status: 'SUCCEEDED', output: { ok: 1 } });
    const failed: string[] = [];
    await runTask({
      service: 't',
      reporter: new LocalReporter((l) => failed.push(l)),
      logger: captureLogger().logger,
      work: async () => {
        throw new Error('boom');
      },
    });
    expect(parseLocalResult(failed.join('\n'))).toEqual({
      status: 'FAILED',
      error: { name: 'InternalError', message: 'boom' },
    });
  });
});
