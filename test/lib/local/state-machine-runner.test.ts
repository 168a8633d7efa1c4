import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { renderDefinition } from '../../../lib/render-definition';
import { importedVpc, testStack } from '../../helpers/cdk';
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

// ---------------------------------------------------------------------------------------------------------------
// Map state: how aws-local-stepfunctions (the installed 3.0.0) runs an inline Map, in the shape issue 12 needs.

const ECS_TASK = 'arn:aws:states:::ecs:runTask.waitForTaskToken';
const LAMBDA = 'arn:aws:states:::lambda:invoke';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Resolves to `value` after `ms` milliseconds: a binding that takes a little time. */
async function slowly<T>(ms: number, value: T): Promise<T> {
  await sleep(ms);
  return value;
}

/** A Task state whose Parameters are the item fields a binding needs, plus the context values it may read. */
function ecsTask(next: Record<string, unknown>, parameters: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: ECS_TASK,
    Parameters: { 'database.$': '$.database', 'token.$': '$$.Task.Token', ...parameters },
    ...next,
  };
}

/** A one-Task Map over `$.databases`: the smallest definition that runs items. */
function oneTaskMap(map: Record<string, unknown> = {}, task: Record<string, unknown> = {}) {
  return {
    StartAt: 'ProveEach',
    States: {
      ProveEach: {
        Type: 'Map',
        ItemsPath: '$.databases',
        ItemSelector: { 'database.$': '$$.Map.Item.Value' },
        ItemProcessor: { StartAt: 'BackupDatabase', States: { BackupDatabase: ecsTask({ End: true }, task) } },
        ResultPath: '$.results',
        End: true,
        ...map,
      },
    },
  };
}

/** Issue 12's shape: per item Backup → Verify with a per-item Catch; one notification; a Choice on the results. */
const fleetDefinition = {
  StartAt: 'ProveEach',
  States: {
    ProveEach: {
      Type: 'Map',
      ItemsPath: '$.databases',
      ItemSelector: {
        'database.$': '$$.Map.Item.Value',
        'index.$': '$$.Map.Item.Index',
        'bucket.$': '$.bucket',
        'runId.$': '$$.Execution.Name',
      },
      MaxConcurrency: 2,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'BackupDatabase',
        States: {
          BackupDatabase: ecsTask(
            {
              ResultPath: '$.backup',
              Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'BackupDatabaseFailed' }],
              Next: 'VerifyBackup',
            },
            { 'bucket.$': '$.bucket', 'runId.$': '$.runId' },
          ),
          VerifyBackup: ecsTask(
            {
              ResultPath: '$.verify',
              Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'VerifyBackupFailed' }],
              Next: 'DatabaseVerified',
            },
            { 'key.$': '$.backup.key' },
          ),
          DatabaseVerified: {
            Type: 'Pass',
            Parameters: { 'database.$': '$.database', status: 'VERIFIED', 'key.$': '$.backup.key' },
            End: true,
          },
          BackupDatabaseFailed: {
            Type: 'Pass',
            Parameters: {
              'database.$': '$.database',
              status: 'FAILED',
              error: { state: 'BackupDatabase', 'name.$': '$.failure.Error', 'message.$': '$.failure.Cause' },
            },
            End: true,
          },
          VerifyBackupFailed: {
            Type: 'Pass',
            Parameters: {
              'database.$': '$.database',
              status: 'FAILED',
              error: { state: 'VerifyBackup', 'name.$': '$.failure.Error', 'message.$': '$.failure.Cause' },
            },
            End: true,
          },
        },
      },
      ResultPath: '$.results',
      Next: 'Summarise',
    },
    // A Choice reads a reference path (no filters, no wildcards), so a Pass first asks whether any item failed.
    Summarise: {
      Type: 'Pass',
      Parameters: { 'anyFailed.$': "States.ArrayContains($.results[*].status, 'FAILED')" },
      ResultPath: '$.summary',
      Next: 'NotifyRun',
    },
    NotifyRun: {
      Type: 'Task',
      Resource: LAMBDA,
      Parameters: { FunctionName: 'FN', 'Payload.$': '$' },
      ResultPath: null,
      Next: 'AllVerified',
    },
    AllVerified: {
      Type: 'Choice',
      Choices: [{ Variable: '$.summary.anyFailed', BooleanEquals: true, Next: 'RunFailed' }],
      Default: 'RunVerified',
    },
    RunVerified: { Type: 'Succeed' },
    RunFailed: { Type: 'Fail', Error: 'SomeDatabasesFailed', Cause: 'see NotifyRun' },
  },
};

/** Bindings that count how many calls run at once (a concurrency count, not a timing). */
function concurrencyCounter(work: (input: Json) => Promise<Json>) {
  const counter = { running: 0, most: 0, calls: [] as Json[] };
  const binding: TaskBinding = async (input) => {
    counter.calls.push(input);
    counter.running++;
    counter.most = Math.max(counter.most, counter.running);
    try {
      return await work(input);
    } finally {
      counter.running--;
    }
  };
  return { counter, binding };
}

type Json = Parameters<TaskBinding>[0];
const databaseOf = (input: Json) => (input as { database: string }).database;

describe('local state machine runner: Task states inside Map and Parallel', () => {
  it('lists Task states at any depth: Map ItemProcessor, legacy Iterator, Parallel branches, nested', () => {
    // GIVEN a Map in a Parallel branch, a Parallel in a Map item, a Map in a Map item, and a legacy Iterator
    const nested = {
      StartAt: 'Top',
      States: {
        Top: { Type: 'Task', Resource: LAMBDA, Next: 'Fork' },
        Fork: {
          Type: 'Parallel',
          Branches: [
            {
              StartAt: 'InBranchMap',
              States: {
                InBranchMap: {
                  Type: 'Map',
                  ItemProcessor: { StartAt: 'TaskInBranchMap', States: { TaskInBranchMap: ecsTask({ End: true }) } },
                  End: true,
                },
              },
            },
          ],
          Next: 'Outer',
        },
        Outer: {
          Type: 'Map',
          ItemProcessor: {
            StartAt: 'ForkInMap',
            States: {
              ForkInMap: {
                Type: 'Parallel',
                Branches: [{ StartAt: 'TaskInMapBranch', States: { TaskInMapBranch: ecsTask({ End: true }) } }],
                Next: 'Inner',
              },
              Inner: {
                Type: 'Map',
                ItemProcessor: { StartAt: 'TaskInInnerMap', States: { TaskInInnerMap: ecsTask({ End: true }) } },
                End: true,
              },
            },
          },
          Next: 'Legacy',
        },
        Legacy: {
          Type: 'Map',
          Iterator: { StartAt: 'TaskInIterator', States: { TaskInIterator: ecsTask({ End: true }) } },
          End: true,
        },
      },
    };
    // WHEN the Task states are listed
    const resources = taskResources(nested);
    // THEN every one is found, with its resource
    expect([...resources.keys()].sort()).toEqual(
      ['Top', 'TaskInBranchMap', 'TaskInMapBranch', 'TaskInInnerMap', 'TaskInIterator'].sort(),
    );
    expect(resources.get('TaskInInnerMap')).toBe(ECS_TASK);
  });

  it('refuses a Task state name used twice (bindings are chosen by name)', () => {
    // GIVEN BackupDatabase at the top and again inside the Map
    const twice = {
      StartAt: 'BackupDatabase',
      States: { BackupDatabase: ecsTask({ Next: 'ProveEach' }), ProveEach: oneTaskMap().States.ProveEach },
    };
    // WHEN / THEN
    expect(() => taskResources(twice)).toThrow(/the Task state name "BackupDatabase" appears more than once/);
  });

  it('refuses, before the run starts, a Task inside a Map without a binding, naming it', async () => {
    // GIVEN a Task before the Map (bound) and one inside it (not bound)
    const calls: Json[] = [];
    const definition = {
      StartAt: 'Prepare',
      States: {
        Prepare: { Type: 'Task', Resource: LAMBDA, Parameters: { 'Payload.$': '$' }, Next: 'ProveEach' },
        ProveEach: oneTaskMap().States.ProveEach,
      },
    };
    const bindings = {
      Prepare: async (input: Json) => {
        calls.push(input);
        return input;
      },
    };
    // WHEN / THEN: it throws, and nothing ran
    await expect(
      executeLocally({ definition: definition as never, input: { databases: ['a'] }, bindings, executionName: 'x' }),
    ).rejects.toThrow(`no local binding for the Task state "BackupDatabase" (${ECS_TASK})`);
    expect(calls).toEqual([]);
  });
});

describe('local state machine runner: Map state (aws-local-stepfunctions 3.0.0)', () => {
  it('runs a fleet: ItemSelector, per-item Catch, results in item order, one notification, a Choice on the results', async () => {
    // GIVEN three databases; the first is the slowest (items finish out of order); "b" fails its verification
    const delays: Record<string, number> = { a: 30, b: 10, c: 0 };
    const backups = concurrencyCounter(async (input) => {
      await sleep(delays[databaseOf(input)] ?? 0);
      return { key: `backups/${databaseOf(input)}.dump` };
    });
    const notified: Json[] = [];
    const bindings: Record<string, TaskBinding> = {
      BackupDatabase: backups.binding,
      VerifyBackup: async (input) => {
        if (databaseOf(input) === 'b') throw named('CheckFailed', 'orders: 0 rows');
        return { checks: 3 };
      },
      NotifyRun: async (payload) => {
        notified.push(payload);
        return { posted: true };
      },
    };
    // WHEN the definition runs
    const run = await executeLocally({
      definition: fleetDefinition as never,
      input: { databases: ['a', 'b', 'c'], bucket: 'proofs' },
      bindings,
      executionName: 'run-7',
    });
    // THEN the one Task binding ran once per item, with the item value, its index and values from the execution input
    expect(backups.counter.calls).toHaveLength(3);
    expect(backups.counter.calls).toContainEqual({
      database: 'a',
      token: 'local-task-token',
      bucket: 'proofs',
      runId: 'run-7',
    });
    // AND the Map's ResultPath holds the item results in item order, the failure caught in its item
    const results = [
      { database: 'a', status: 'VERIFIED', key: 'backups/a.dump' },
      {
        database: 'b',
        status: 'FAILED',
        error: { state: 'VerifyBackup', name: 'CheckFailed', message: 'orders: 0 rows' },
      },
      { database: 'c', status: 'VERIFIED', key: 'backups/c.dump' },
    ];
    // AND one notification after the Map saw all of them; the Choice failed the run on the failed item
    expect(notified).toEqual([{ databases: ['a', 'b', 'c'], bucket: 'proofs', results, summary: { anyFailed: true } }]);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('SomeDatabasesFailed');
    // AND the events of an item carry its index (StateEntered of BackupDatabase once per item)
    const entered = run.events.filter((e) => e.type === 'StateEntered' && e.state === 'BackupDatabase');
    expect(entered.map((e) => e.index).sort()).toEqual([0, 1, 2]);
    expect(run.events.filter((e) => e.type === 'MapIterationSucceeded')).toHaveLength(3);
  });

  it('takes the Choice to success when every item verified', async () => {
    // GIVEN bindings that all succeed
    const bindings: Record<string, TaskBinding> = {
      BackupDatabase: async (input) => ({ key: `k/${databaseOf(input)}` }),
      VerifyBackup: async () => ({ checks: 1 }),
      NotifyRun: async () => ({}),
    };
    // WHEN
    const run = await executeLocally({
      definition: fleetDefinition as never,
      input: { databases: ['a', 'b'], bucket: 'proofs' },
      bindings,
      executionName: 'run-8',
    });
    // THEN
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({ summary: { anyFailed: false } });
  });

  it('fails a path that matches nothing: a filter without a match, a wildcard over no items (States.Runtime)', async () => {
    // GIVEN paths over the Map's results that select nothing
    const select = (path: string) => ({
      StartAt: 'Summarise',
      States: { Summarise: { Type: 'Pass', Parameters: { 'selected.$': path }, End: true } },
    });
    const cases = [
      { path: "$.results[?(@.status == 'FAILED')].database", results: [{ database: 'a', status: 'VERIFIED' }] },
      { path: "States.ArrayContains($.results[*].status, 'FAILED')", results: [] },
    ];
    for (const { path, results } of cases) {
      // WHEN
      const run = await executeLocally({
        definition: select(path) as never,
        input: { results },
        bindings: {},
        executionName: 'x',
      });
      // THEN the state fails instead of selecting an empty array
      expect(run.status).toBe('FAILED');
      expect(run.error).toBe('States.Runtime');
      expect(run.cause).toMatch(/does not point to a value/);
    }
  });

  it('runs at most MaxConcurrency items at once', async () => {
    // GIVEN seven items and MaxConcurrency 2
    const { counter, binding } = concurrencyCounter((input) => slowly(5, input));
    // WHEN
    const run = await executeLocally({
      definition: oneTaskMap({ MaxConcurrency: 2 }) as never,
      input: { databases: ['1', '2', '3', '4', '5', '6', '7'] },
      bindings: { BackupDatabase: binding },
      executionName: 'x',
    });
    // THEN never more than two ran together, and two did
    expect(run.status).toBe('SUCCEEDED');
    expect(counter.calls).toHaveLength(7);
    expect(counter.most).toBe(2);
  });

  it('runs at most 40 items at once when MaxConcurrency is 0 or absent (Step Functions: 0 means no limit)', async () => {
    // GIVEN 45 items
    const { counter, binding } = concurrencyCounter((input) => slowly(5, input));
    const databases = Array.from({ length: 45 }, (_, i) => `db${i}`);
    // WHEN
    const run = await executeLocally({
      definition: oneTaskMap({ MaxConcurrency: 0 }) as never,
      input: { databases },
      bindings: { BackupDatabase: binding },
      executionName: 'x',
    });
    // THEN the library's default bound applies
    expect(run.status).toBe('SUCCEEDED');
    expect(counter.most).toBe(40);
  });

  it('fails the Map on an uncaught item failure, ToleratedFailurePercentage ignored, and starts no queued item', async () => {
    // GIVEN items run one at a time, a tolerance of 100%, and the first item fails without a Catch
    const started: string[] = [];
    const bindings: Record<string, TaskBinding> = {
      BackupDatabase: async (input) => {
        started.push(databaseOf(input));
        if (databaseOf(input) === 'a') throw named('BackupFailed', 'no space');
        return {};
      },
    };
    // WHEN
    const run = await executeLocally({
      definition: oneTaskMap({ MaxConcurrency: 1, ToleratedFailurePercentage: 100 }) as never,
      input: { databases: ['a', 'b', 'c'] },
      bindings,
      executionName: 'x',
    });
    await sleep(50);
    // THEN the execution fails with the item's error, and the runner started none of the queued items
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('BackupFailed');
    expect(started).toEqual(['a']);
  });

  it("routes an uncaught item failure to the Map's own Catch, with the item's error", async () => {
    // GIVEN a Map with a Catch of its own, and an item that fails without one
    const definition = {
      StartAt: 'ProveEach',
      States: {
        ProveEach: {
          ...oneTaskMap().States.ProveEach,
          End: undefined,
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'MapFailed' }],
          Next: 'MapDone',
        },
        MapDone: { Type: 'Succeed' },
        MapFailed: { Type: 'Pass', End: true },
      },
    };
    const bindings: Record<string, TaskBinding> = {
      BackupDatabase: async (input) => {
        if (databaseOf(input) === 'b') throw named('BackupFailed', 'no space');
        return {};
      },
    };
    // WHEN
    const run = await executeLocally({
      definition: JSON.parse(JSON.stringify(definition)) as never,
      input: { databases: ['a', 'b'] },
      bindings,
      executionName: 'x',
    });
    // THEN the run continues at the Catch, the items' results lost
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toEqual({ databases: ['a', 'b'], failure: { Error: 'BackupFailed', Cause: 'no space' } });
  });

  it('the library alone keeps starting queued items after the Map failed (why the runner refuses them)', async () => {
    // GIVEN the library without the runner, items one at a time, the first failing
    const started: string[] = [];
    const machine = new StateMachine(oneTaskMap({ MaxConcurrency: 1 }) as never, {
      validationOptions: { checkArn: false },
    });
    // WHEN
    const execution = machine.run({ databases: ['a', 'b', 'c'] } as never, {
      context: { Task: { Token: 't' } },
      overrides: {
        taskResourceLocalHandlers: {
          BackupDatabase: async (input: { database: string }) => {
            started.push(input.database);
            if (input.database === 'a') throw named('BackupFailed', 'no space');
            return {};
          },
        } as never,
      },
    });
    await expect(execution.result).rejects.toThrow();
    await sleep(50);
    // THEN b and c ran anyway
    expect(started).toEqual(['a', 'b', 'c']);
  });

  it('starts no queued item after the execution was aborted', async () => {
    // GIVEN items one at a time, each slow, and an abort while the first runs
    const started: string[] = [];
    const controller = new AbortController();
    const bindings: Record<string, TaskBinding> = {
      BackupDatabase: async (input) => {
        started.push(databaseOf(input));
        await sleep(60);
        return {};
      },
    };
    setTimeout(() => controller.abort(), 20);
    // WHEN
    const run = await executeLocally({
      definition: oneTaskMap({ MaxConcurrency: 1 }) as never,
      input: { databases: ['a', 'b', 'c'] },
      bindings,
      executionName: 'x',
      signal: controller.signal,
    });
    await sleep(150);
    // THEN
    expect(run.status).toBe('ABORTED');
    expect(started).toEqual(['a']);
  });

  it('accepts the legacy Parameters and Iterator in any pairing with ItemSelector and ItemProcessor', async () => {
    // GIVEN the four pairings, and one with both ItemSelector and Parameters
    const processor = { StartAt: 'BackupDatabase', States: { BackupDatabase: ecsTask({ End: true }) } };
    const selector = { 'database.$': '$$.Map.Item.Value' };
    const base = { Type: 'Map', ItemsPath: '$.databases', ResultPath: '$.results', End: true };
    const variants = [
      { ItemSelector: selector, ItemProcessor: processor },
      { Parameters: selector, ItemProcessor: processor },
      { ItemSelector: selector, Iterator: processor },
      { Parameters: selector, Iterator: processor },
    ];
    const bindings = { BackupDatabase: async (input: Json) => databaseOf(input) };
    for (const variant of variants) {
      // WHEN
      const run = await executeLocally({
        definition: { StartAt: 'ProveEach', States: { ProveEach: { ...base, ...variant } } } as never,
        input: { databases: ['a', 'b'] },
        bindings,
        executionName: 'x',
      });
      // THEN each runs the same
      expect(run.output).toEqual({ databases: ['a', 'b'], results: ['a', 'b'] });
    }
    await expect(
      executeLocally({
        definition: {
          StartAt: 'ProveEach',
          States: { ProveEach: { ...base, ItemSelector: selector, Parameters: selector, ItemProcessor: processor } },
        } as never,
        input: { databases: ['a'] },
        bindings,
        executionName: 'x',
      }),
    ).rejects.toThrow(/MUST contain at most one of "ItemSelector", "Parameters"/);
  });

  it('runs ProcessorConfig Mode DISTRIBUTED inline; ignores ItemBatcher and ResultWriter', async () => {
    // GIVEN a "distributed" Map with batching and a result writer, MaxConcurrency 1
    const { counter, binding } = concurrencyCounter((input) => slowly(2, databaseOf(input)));
    const definition = oneTaskMap({
      MaxConcurrency: 1,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: 'BackupDatabase',
        States: { BackupDatabase: ecsTask({ End: true }) },
      },
      ItemBatcher: { MaxItemsPerBatch: 2 },
      ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'b', Prefix: 'p' } },
    });
    // WHEN
    const run = await executeLocally({
      definition: definition as never,
      input: { databases: ['a', 'b', 'c'] },
      bindings: { BackupDatabase: binding },
      executionName: 'x',
    });
    // THEN one item per call, in this process, results inline (no batches, nothing written)
    expect(run.output).toEqual({ databases: ['a', 'b', 'c'], results: ['a', 'b', 'c'] });
    expect(counter.most).toBe(1);
  });

  it('ignores ItemReader: the items come from the state input, so an object input fails the Map', async () => {
    // GIVEN a Map that would read its items from S3, no ItemsPath
    const { ItemsPath: _omitted, ...map } = oneTaskMap().States.ProveEach;
    const definition = {
      StartAt: 'ProveEach',
      States: {
        ProveEach: {
          ...map,
          ItemReader: {
            Resource: 'arn:aws:states:::s3:getObject',
            ReaderConfig: { InputType: 'JSON' },
            Parameters: { Bucket: 'b', Key: 'databases.json' },
          },
        },
      },
    };
    // WHEN
    const run = await executeLocally({
      definition: definition as never,
      input: { bucket: 'b' },
      bindings: { BackupDatabase: async () => ({}) },
      executionName: 'x',
    });
    // THEN
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('States.Runtime');
    expect(run.cause).toMatch(/Input of Map state must be an array/);
  });

  it('gives an item its own context: $$.Execution.Input and StartTime are the item’s, $$.Map is absent', async () => {
    // GIVEN items one at a time, the first slow, and a Task that reads the context
    const seen: Json[] = [];
    const definition = oneTaskMap(
      { MaxConcurrency: 1 },
      {
        'input.$': '$$.Execution.Input',
        'start.$': '$$.Execution.StartTime',
        'name.$': '$$.Execution.Name',
        'context.$': '$$',
      },
    );
    const before = new Date().toISOString();
    // WHEN
    await executeLocally({
      definition: definition as never,
      input: { databases: ['a', 'b'] },
      bindings: {
        BackupDatabase: async (input) => {
          seen.push(input);
          await sleep(20);
          return {};
        },
      },
      executionName: 'run-9',
    });
    // THEN (Step Functions: the execution's input and start time) the item's input, and a start time per item
    const [a, b] = seen as Array<{ input: Json; start: string; name: string; context: Record<string, unknown> }>;
    expect(a?.input).toEqual({ database: 'a' });
    expect(b?.input).toEqual({ database: 'b' });
    expect(b!.start > a!.start).toBe(true);
    expect(a!.start >= before).toBe(true);
    expect(a?.name).toBe('run-9');
    expect(a?.context).not.toHaveProperty('Map');
  });
});

describe('local state machine runner: a Map the CDK renders', () => {
  /** A CDK state machine in issue 12's shape: Map (itemSelector, maxConcurrency) → ECS tasks with a Catch → Lambda. */
  function cdkFleet(): sfn.StateMachine {
    const stack = testStack();
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc: importedVpc(stack) });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'TaskDefinition');
    const container = taskDefinition.addContainer('engine', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/postgres:17'),
    });
    const ecsTask = (id: string, resultPath: string) =>
      new tasks.EcsRunTask(stack, id, {
        cluster,
        taskDefinition,
        launchTarget: new tasks.EcsFargateLaunchTarget(),
        integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        containerOverrides: [
          {
            containerDefinition: container,
            environment: [
              { name: 'PGPROOF_TASK_TOKEN', value: sfn.JsonPath.taskToken },
              { name: 'PGPROOF_DATABASE', value: sfn.JsonPath.stringAt('$.database') },
              { name: 'PGPROOF_RUN_ID', value: sfn.JsonPath.stringAt('$.runId') },
            ],
          },
        ],
        resultPath,
      });
    const itemFailed = new sfn.Pass(stack, 'DatabaseFailed', {
      parameters: {
        database: sfn.JsonPath.stringAt('$.database'),
        status: 'FAILED',
        error: { name: sfn.JsonPath.stringAt('$.failure.Error'), message: sfn.JsonPath.stringAt('$.failure.Cause') },
      },
    });
    const verified = new sfn.Pass(stack, 'DatabaseVerified', {
      parameters: { database: sfn.JsonPath.stringAt('$.database'), status: 'VERIFIED' },
    });
    const backup = ecsTask('BackupDatabase', '$.backup').addCatch(itemFailed, { resultPath: '$.failure' });
    const verify = ecsTask('VerifyBackup', '$.verify').addCatch(itemFailed, { resultPath: '$.failure' });
    const proveEach = new sfn.Map(stack, 'ProveEach', {
      itemsPath: '$.databases',
      itemSelector: {
        database: sfn.JsonPath.stringAt('$$.Map.Item.Value'),
        runId: sfn.JsonPath.stringAt('$$.Execution.Name'),
      },
      maxConcurrency: 2,
      resultPath: '$.results',
    });
    proveEach.itemProcessor(backup.next(verify).next(verified));
    const notify = new tasks.LambdaInvoke(stack, 'NotifyRun', {
      lambdaFunction: lambda.Function.fromFunctionArn(
        stack,
        'Notify',
        'arn:aws:lambda:eu-west-1:123456789012:function:notify',
      ),
      payload: sfn.TaskInput.fromObject({ results: sfn.JsonPath.objectAt('$.results') }),
      resultSelector: { 'posted.$': '$.Payload.posted' },
      resultPath: '$.chat',
    });
    return new sfn.StateMachine(stack, 'Fleet', {
      definitionBody: sfn.DefinitionBody.fromChainable(proveEach.next(notify)),
    });
  }

  it('renders ItemSelector, MaxConcurrency and an INLINE ItemProcessor, and runs it locally', async () => {
    // GIVEN the CDK Map rendered to ASL
    const asl = renderDefinition(cdkFleet());
    const map = asl.States.ProveEach as Record<string, unknown>;
    expect(map).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.databases',
      MaxConcurrency: 2,
      ItemSelector: { 'database.$': '$$.Map.Item.Value', 'runId.$': '$$.Execution.Name' },
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'BackupDatabase' },
    });
    expect(map).not.toHaveProperty('Iterator');
    expect(map).not.toHaveProperty('Parameters');
    expect([...taskResources(asl).keys()].sort()).toEqual(['BackupDatabase', 'NotifyRun', 'VerifyBackup']);
    // AND bindings that read the rendered container overrides; "b" fails its verification
    const environment = (input: Json) =>
      Object.fromEntries(
        (
          input as { Overrides: { ContainerOverrides: Array<{ Environment: Array<{ Name: string; Value: string }> }> } }
        ).Overrides.ContainerOverrides[0]!.Environment.map((e) => [e.Name, e.Value]),
      );
    const backups = concurrencyCounter((input) => slowly(5, { key: `${environment(input).PGPROOF_DATABASE}.dump` }));
    const notified: Json[] = [];
    const bindings: Record<string, TaskBinding> = {
      BackupDatabase: backups.binding,
      VerifyBackup: async (input) => {
        const env = environment(input);
        if (env.PGPROOF_DATABASE === 'b') throw named('CheckFailed', `b: run ${env.PGPROOF_RUN_ID}`);
        return { checks: 3 };
      },
      NotifyRun: async (payload) => {
        notified.push(payload);
        return { posted: 'yes' };
      },
    };
    // WHEN it runs locally over four databases
    const run = await executeLocally({
      definition: asl as never,
      input: { databases: ['a', 'b', 'c', 'd'] },
      bindings,
      executionName: 'run-10',
    });
    // THEN items ran two at a time with the task token and the item's values; b's failure stayed in its item
    expect(backups.counter.most).toBe(2);
    expect(environment(backups.counter.calls[0]!)).toEqual({
      PGPROOF_TASK_TOKEN: 'local-task-token',
      PGPROOF_DATABASE: 'a',
      PGPROOF_RUN_ID: 'run-10',
    });
    const results = [
      { database: 'a', status: 'VERIFIED' },
      { database: 'b', status: 'FAILED', error: { name: 'CheckFailed', message: 'b: run run-10' } },
      { database: 'c', status: 'VERIFIED' },
      { database: 'd', status: 'VERIFIED' },
    ];
    expect(run.status).toBe('SUCCEEDED');
    expect(notified).toEqual([{ results }]);
    expect(run.output).toEqual({ databases: ['a', 'b', 'c', 'd'], results, chat: { posted: 'yes' } });
  });
});
