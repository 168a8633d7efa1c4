import { describe, expect, it } from 'vitest';
import { executeLocally, taskResources, type TaskBinding } from '../../../lib/local/state-machine-runner';

// A definition shaped like what CDK renders: an ECS task with the task-token pattern, Retry/Catch, Lambda invokes.
const definition = {
  StartAt: 'BackupDatabase',
  States: {
    BackupDatabase: {
      Type: 'Task',
      Resource: 'arn:aws:states:::ecs:runTask.waitForTaskToken',
      Parameters: {
        Cluster: 'CLUSTER',
        TaskDefinition: 'TASKDEF',
        Overrides: {
          ContainerOverrides: [
            {
              Name: 'backup',
              Environment: [
                { Name: 'PGPROOF_TASK_TOKEN', 'Value.$': '$$.Task.Token' },
                { Name: 'PGPROOF_RUN_ID', 'Value.$': '$$.Execution.Name' },
              ],
            },
          ],
        },
      },
      TimeoutSeconds: 30,
      ResultPath: '$.backup',
      Retry: [{ ErrorEquals: ['ECS.AmazonECSException'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2 }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'BackupFailed' }],
      Next: 'NotifySuccess',
    },
    BackupFailed: {
      Type: 'Pass',
      Parameters: { state: 'BackupDatabase', 'name.$': '$.failure.Error', 'message.$': '$.failure.Cause' },
      ResultPath: '$.error',
      Next: 'NotifyFailure',
    },
    NotifySuccess: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: 'FN', 'Payload.$': '$' },
      ResultSelector: { 'posted.$': '$.Payload.posted' },
      ResultPath: '$.chat',
      TimeoutSeconds: 30,
      End: true,
    },
    NotifyFailure: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: 'FN', 'Payload.$': '$' },
      ResultPath: null,
      TimeoutSeconds: 30,
      Next: 'Failed',
    },
    Failed: { Type: 'Fail', Error: 'BackupFailed', Cause: 'see NotifyFailure' },
  },
};

function named(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

describe('local state machine runner', () => {
  it('lists Task states with their resources', () => {
    expect([...taskResources(definition).keys()]).toEqual(['BackupDatabase', 'NotifySuccess', 'NotifyFailure']);
  });

  it('runs the success path with bindings receiving the rendered Parameters and returning service-shaped results', async () => {
    const seen: unknown[] = [];
    const bindings: Record<string, TaskBinding> = {
      BackupDatabase: async (input) => {
        seen.push(input);
        return { key: 'k', bytes: 1 };
      },
      NotifySuccess: async (payload) => ({ posted: `ok for ${(payload as { backup: { key: string } }).backup.key}` }),
      NotifyFailure: async () => null,
    };
    const run = await executeLocally({
      definition: definition as never,
      input: { reason: 'test' },
      bindings,
      executionName: 'run-1',
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toEqual({ reason: 'test', backup: { key: 'k', bytes: 1 }, chat: { posted: 'ok for k' } });
    expect(JSON.stringify(seen[0])).toContain('"Value":"local-task-token"');
    expect(JSON.stringify(seen[0])).toContain('"Value":"run-1"');
    expect(run.events.filter((e) => e.type === 'StateEntered').map((e) => e.state)).toEqual([
      'BackupDatabase',
      'NotifySuccess',
    ]);
  });

  it('matches Retry by error name, then Catch routes to the failure path with the error named', async () => {
    let attempts = 0;
    const chat: unknown[] = [];
    const bindings: Record<string, TaskBinding> = {
      BackupDatabase: async () => {
        attempts++;
        if (attempts === 1) throw named('ECS.AmazonECSException', 'capacity');
        throw named('PgVersionMismatch', 'server 16, client 15');
      },
      NotifySuccess: async () => ({ posted: 'never' }),
      NotifyFailure: async (payload) => {
        chat.push(payload);
        return null;
      },
    };
    const run = await executeLocally({ definition: definition as never, input: {}, bindings, executionName: 'run-2' });
    expect(attempts).toBe(2);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('BackupFailed');
    expect(chat[0]).toMatchObject({
      error: { state: 'BackupDatabase', name: 'PgVersionMismatch', message: 'server 16, client 15' },
    });
  });

  it('refuses a definition with a Task that has no local binding', async () => {
    await expect(
      executeLocally({ definition: definition as never, input: {}, bindings: {}, executionName: 'x' }),
    ).rejects.toThrow(/no local binding for the Task state "BackupDatabase"/);
  });

  it('aborts a running execution', async () => {
    const controller = new AbortController();
    const bindings: Record<string, TaskBinding> = {
      BackupDatabase: () => new Promise((resolve) => setTimeout(() => resolve({}), 5000)),
      NotifySuccess: async () => ({}),
      NotifyFailure: async () => null,
    };
    setTimeout(() => controller.abort(), 100);
    const run = await executeLocally({
      definition: definition as never,
      input: {},
      bindings,
      executionName: 'x',
      signal: controller.signal,
    });
    expect(run.status).toBe('ABORTED');
  });
});
