import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRunResult } from '../../../lambdas/common/run-result';
import { buildChatMessage } from '../../../lambdas/notify-chat/chat-message';
import { buildStopReport } from '../../../lambdas/task-stopped/stop-report';
import { parseTaskStateChange } from '../../../lambdas/task-stopped/task-stopped-event';
import { DATABASES_FAILED } from '../../../lib/contracts/run-record';
import { renderLocalDefinition } from '../../../lib/local/local-definition';
import { localRunRecord } from '../../../lib/local/local-run';
import { executeLocally, type TaskBinding } from '../../../lib/local/state-machine-runner';
import type { AslDefinition } from '../../../lib/render-definition';

/** What the retention step answers (the Lambda's result, trimmed by the state's ResultSelector). */
const RETENTION_RESULT = { kept: 3, expired: 0, tagged: 4, locked: 0 };

const fixture = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`../../lambdas/task-stopped/fixtures/ecs-task-stopped/${name}.json`, import.meta.url), 'utf8'),
  );

function stepFailure(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

let definition: AslDefinition;
beforeAll(() => {
  // GIVEN the state machine a deployment gets, rendered from the same construct code
  definition = renderLocalDefinition('orders');
});

describe('a TaskStopped failure of a waiting step (what the task-stopped function sends)', () => {
  it.each([
    ['BackupDatabase', 'cannot-pull-container', 'CannotPullContainerError'],
    ['VerifyBackup', 'out-of-memory', 'exit code 137'],
  ])("fails %s with TaskStopped, and the chat message names ECS's reason", async (state, event, expected) => {
    // GIVEN the step fails as SendTaskFailure(error TaskStopped, cause = the report) makes it fail in AWS
    const report = buildStopReport(parseTaskStateChange(fixture(event)));
    let notified: unknown;
    const unexpected =
      (name: string): TaskBinding =>
      async () => {
        throw new Error(`${name} must not run`);
      };
    const bindings: Record<string, TaskBinding> = {
      BackupDatabase: async () => {
        if (state === 'BackupDatabase') throw stepFailure(report.error, report.cause);
        return {
          key: 'pgproof/orders/2026-12-01/r.dump.zst',
          bytes: 10,
          sha256: 'ab'.repeat(32),
          seconds: 1,
          previousBytes: null,
          isNew: false,
        };
      },
      VerifyBackup: async () => {
        throw stepFailure(report.error, report.cause);
      },
      ApplyRetention: async () => RETENTION_RESULT,
      WriteReport: async (i: any) => ({ database: i.outcome.database, written: true, key: 'k' }),
      NotifyRun: async (payload) => {
        notified = payload;
        return { posted: true };
      },
      SnitchCheckIn: unexpected('SnitchCheckIn'),
      NotifyFailure: unexpected('NotifyFailure'),
    };

    // WHEN
    const run = await executeLocally({
      definition: definition as never,
      input: {},
      bindings,
      executionName: `task-stopped-${state}`,
    });

    // THEN the database fails with the step's own error, the run record names it, and the one notice carries it
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(DATABASES_FAILED);
    const stopped = { state, name: 'TaskStopped', message: report.cause };
    const record = localRunRecord(run, {
      database: 'orders',
      startedAt: '2026-12-01T03:00:00.000Z',
      finishedAt: '2026-12-01T03:05:00.000Z',
    });
    expect(record.error).toEqual(stopped);
    expect(record.databases).toEqual([
      expect.objectContaining({ database: 'orders', status: 'FAILED', error: stopped }),
    ]);
    const result = parseRunResult(notified);
    expect(result.outcomes).toEqual([
      expect.objectContaining({ database: 'orders', status: 'FAILED', error: stopped }),
    ]);
    // The chat message of a one-database run is today's: it reads the one outcome's error
    const message = buildChatMessage(result);
    expect(message.headline).toContain(`failed in ${state}`);
    expect(message.text).toContain('Error: TaskStopped');
    expect(message.text).toContain(expected);
  });
});
