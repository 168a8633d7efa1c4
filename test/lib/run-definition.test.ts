import { beforeAll, describe, expect, it } from 'vitest';
import { isRunId } from '../../containers/common/keys';
import { renderDefinition, type AslDefinition } from '../../lib/render-definition';
import { STATE } from '../../lib/contracts/state-names';
import { CHAT_POST_FAILED, DEFAULT_REASON, INVALID_INPUT, TRANSIENT_ECS_ERRORS } from '../../lib/run-definition';
import { executeLocally, type TaskBinding } from '../../lib/local/state-machine-runner';
import { buildPgProof } from '../helpers/cdk';

type State = Record<string, any>;
let asl: AslDefinition & { States: Record<string, State> };
let template: State;

beforeAll(() => {
  // GIVEN one PgProof, rendered once for the whole file
  const { stack, pgProof } = buildPgProof();
  asl = renderDefinition(pgProof.stateMachine) as typeof asl;
  const resources = (stack.node.root as any).synth().getStackByName(stack.stackName).template.Resources as Record<
    string,
    State
  >;
  template = Object.values(resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine')!;
});

/** Every transition: Next, Default, Choices, Catch. */
function edges(name: string, state: State): Array<{ to: string; via: string }> {
  const out: Array<{ to: string; via: string }> = [];
  if (state.Next) out.push({ to: state.Next, via: `${name}.Next` });
  if (state.Default) out.push({ to: state.Default, via: `${name}.Default` });
  for (const c of state.Choices ?? []) out.push({ to: c.Next, via: `${name}.Choice` });
  for (const c of state.Catch ?? []) out.push({ to: c.Next, via: `${name}.Catch(${c.ErrorEquals.join(',')})` });
  return out;
}

function reachable(from: string[], skip: (via: string) => boolean = () => false): Set<string> {
  const seen = new Set<string>();
  const todo = [...from];
  while (todo.length) {
    const name = todo.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    for (const e of edges(name, asl.States[name]!)) if (!skip(e.via)) todo.push(e.to);
  }
  return seen;
}

describe('rendered definition', () => {
  it('parses to plain ASL with exactly the states of the run, starting at PrepareRunId, then ValidateInput', () => {
    // THEN
    expect(asl.StartAt).toBe(STATE.prepareRunId);
    expect(asl.States[STATE.prepareRunId]!.Next).toBe(STATE.validateInput);
    expect(Object.keys(asl.States).sort()).toEqual([
      'BackupDatabase',
      'BackupDatabaseFailed',
      'BackupDatabaseTimedOut',
      'BackupVerified',
      'ChatPostFailed',
      'CheckChatPosted',
      'CheckInputFields',
      'CompareInputFields',
      'MarkRunFailed',
      'NotifyFailure',
      'NotifySuccess',
      'PrepareRunId',
      'ReadInputReason',
      'RejectInputReasonType',
      'RejectUnknownInputField',
      'RunFailed',
      'SnitchCheckIn',
      'SnitchCheckInFailed',
      'SnitchCheckInTimedOut',
      'UseDefaultReason',
      'ValidateInput',
      'VerifyBackup',
      'VerifyBackupFailed',
      'VerifyBackupTimedOut',
    ]);
    expect(asl.States.RunFailed).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.error.name',
      CausePath: '$.error.message',
    });
  });

  it('is the same definition the template holds', () => {
    const joined = template.Properties.DefinitionString['Fn::Join'][1]
      .map((p: unknown) => (typeof p === 'string' ? p : '"X"'))
      .join('');
    expect(joined).toContain('"StartAt":"PrepareRunId"');
    expect(JSON.stringify(asl)).toContain('"StartAt":"PrepareRunId"');
  });

  it('stays on JSONPath: no QueryLanguage, Arguments, Output or Assign anywhere', () => {
    const text = JSON.stringify(asl);
    for (const field of ['QueryLanguage', 'Arguments', 'Output', 'Assign']) expect(text).not.toContain(`"${field}"`);
  });

  it('gives every Task a TimeoutSeconds, and the ECS tasks a HeartbeatSeconds', () => {
    const taskStates = Object.entries(asl.States).filter(([, s]) => s.Type === 'Task');
    expect(taskStates.map(([n]) => n).sort()).toEqual([
      'BackupDatabase',
      'NotifyFailure',
      'NotifySuccess',
      'SnitchCheckIn',
      'VerifyBackup',
    ]);
    for (const [, s] of taskStates) expect(s.TimeoutSeconds).toBeGreaterThan(0);
    expect(asl.States.BackupDatabase).toMatchObject({
      TimeoutSeconds: 6 * 3600,
      HeartbeatSeconds: 300,
      Resource: expect.stringMatching(/ecs:runTask\.waitForTaskToken$/),
    });
    expect(asl.States.VerifyBackup).toMatchObject({
      TimeoutSeconds: 6 * 3600,
      HeartbeatSeconds: 300,
      Resource: expect.stringMatching(/ecs:runTask\.waitForTaskToken$/),
    });
  });

  it("retries ECS tasks on transient ECS errors only, with backoff, and never the engines' failures", () => {
    for (const name of [STATE.backupDatabase, STATE.verifyBackup]) {
      const retry = asl.States[name]!.Retry as State[];
      expect(retry).toEqual([
        expect.objectContaining({
          ErrorEquals: TRANSIENT_ECS_ERRORS,
          BackoffRate: 2,
          MaxAttempts: 4,
          IntervalSeconds: 30,
        }),
      ]);
      const retried = retry.flatMap((r) => r.ErrorEquals);
      for (const engineError of [
        'DumpFailed',
        'VerificationFailed',
        'States.TaskFailed',
        'States.ALL',
        'States.Timeout',
        'States.HeartbeatTimeout',
      ]) {
        expect(retried).not.toContain(engineError);
      }
    }
  });

  it('passes the task token, run id and reason to the backup task, and the backup key to verify', () => {
    const env = (name: string) => asl.States[name]!.Parameters.Overrides.ContainerOverrides[0].Environment;
    expect(env(STATE.backupDatabase)).toEqual([
      { Name: 'PGPROOF_TASK_TOKEN', 'Value.$': '$$.Task.Token' },
      { Name: 'PGPROOF_RUN_ID', 'Value.$': '$.runId' },
      { Name: 'PGPROOF_REASON', 'Value.$': '$.reason' },
    ]);
    expect(env(STATE.verifyBackup)).toEqual([
      { Name: 'PGPROOF_TASK_TOKEN', 'Value.$': '$$.Task.Token' },
      { Name: 'PGPROOF_BACKUP_KEY', 'Value.$': '$.backup.key' },
    ]);
    expect(asl.States.BackupDatabase!.ResultPath).toBe('$.backup');
    expect(asl.States.VerifyBackup!.ResultPath).toBe('$.verify');
    expect(
      asl.States.BackupDatabase!.Parameters.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp ?? 'DISABLED',
    ).toBe('DISABLED');
  });
});

describe('paths', () => {
  const failureEntries = () => [
    'RejectInputReasonType',
    'RejectUnknownInputField',
    'BackupDatabaseFailed',
    'BackupDatabaseTimedOut',
    'VerifyBackupFailed',
    'VerifyBackupTimedOut',
    'SnitchCheckInFailed',
    'SnitchCheckInTimedOut',
    'MarkRunFailed',
    'NotifyFailure',
  ];

  it('never reaches SnitchCheckIn from any failure', () => {
    for (const entry of failureEntries()) expect([...reachable([entry])]).not.toContain(STATE.snitchCheckIn);
  });

  it('reaches SnitchCheckIn only after VerifyBackup succeeded', () => {
    expect(reachable([asl.StartAt]).has(STATE.snitchCheckIn)).toBe(true);
    // Cut VerifyBackup's success edge: the snitch is then unreachable from the start.
    expect(reachable([asl.StartAt], (via) => via === 'VerifyBackup.Next').has(STATE.snitchCheckIn)).toBe(false);
  });

  it('sends every failure of ValidateInput, BackupDatabase, VerifyBackup and SnitchCheckIn to NotifyFailure, then RunFailed', () => {
    for (const name of [STATE.backupDatabase, STATE.verifyBackup, STATE.snitchCheckIn]) {
      const catches = asl.States[name]!.Catch as State[];
      expect(catches.at(-1)!.ErrorEquals).toEqual(['States.ALL']);
      for (const c of catches) expect(reachable([c.Next]).has(STATE.notifyFailure)).toBe(true);
    }
    for (const entry of failureEntries()) {
      const after = reachable([entry]);
      expect(after.has(STATE.runFailed)).toBe(true);
      expect(after.has('BackupVerified')).toBe(false);
    }
  });

  it('catches a failed NotifySuccess into SnitchCheckIn, and ends that run in ChatPostFailed', () => {
    expect(asl.States.NotifySuccess!.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.chatError', Next: STATE.snitchCheckIn },
    ]);
    expect(asl.States.CheckChatPosted!.Choices[0]).toMatchObject({
      Variable: '$.chatError',
      IsPresent: true,
      Next: 'ChatPostFailed',
    });
    expect(asl.States.ChatPostFailed).toMatchObject({ Type: 'Fail', Error: CHAT_POST_FAILED });
  });
});

// ---- executed by the local runner (aws-local-stepfunctions), as `pgproof run --local` does ---------------------------

const BACKUP = {
  runId: 'r',
  database: 'orders',
  key: 'pgproof/orders/2026-01-01/r.dump.zst',
  bytes: 1234,
  sha256: 'a'.repeat(64),
  seconds: 2,
};
const VERIFY = { restoreSeconds: 3, checks: [{ name: 'orders exist', passed: true }] };

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

async function run(input: unknown, overrides: Partial<Record<string, TaskBinding>> = {}) {
  const calls: Record<string, any[]> = {};
  const record =
    (name: string, result: (input: any) => unknown): TaskBinding =>
    async (i) => {
      calls[name] ??= [];
      calls[name].push(i);
      return result(i) as never;
    };
  const bindings: Record<string, TaskBinding> = {
    BackupDatabase: record('BackupDatabase', () => BACKUP),
    VerifyBackup: record('VerifyBackup', () => VERIFY),
    NotifySuccess: record('NotifySuccess', () => ({ posted: true })),
    SnitchCheckIn: record('SnitchCheckIn', () => ({ checkedIn: true })),
    NotifyFailure: record('NotifyFailure', () => ({ posted: true })),
  };
  for (const [name, binding] of Object.entries(overrides)) bindings[name] = record(name, (i) => binding!(i));
  const result = await executeLocally({
    definition: asl as never,
    input: input as never,
    bindings,
    executionName: 'test',
  });
  return { result, calls };
}

describe('local execution', () => {
  it('runs a scheduled input end to end: run id, reason, results in $.backup and $.verify, snitch checked in', async () => {
    // WHEN
    const { result, calls } = await run({ reason: 'scheduled' });
    // THEN
    expect(result.status).toBe('SUCCEEDED');
    const env = Object.fromEntries(
      calls.BackupDatabase![0].Overrides.ContainerOverrides[0].Environment.map((e: any) => [e.Name, e.Value]),
    );
    expect(isRunId(env.PGPROOF_RUN_ID)).toBe(true);
    expect(env).toMatchObject({ PGPROOF_REASON: 'scheduled', PGPROOF_TASK_TOKEN: 'local-task-token' });
    expect(calls.VerifyBackup![0].Overrides.ContainerOverrides[0].Environment).toContainEqual({
      Name: 'PGPROOF_BACKUP_KEY',
      Value: BACKUP.key,
    });
    expect(calls.NotifySuccess![0]).toEqual({
      database: 'orders',
      runId: env.PGPROOF_RUN_ID,
      status: 'SUCCEEDED',
      reason: 'scheduled',
      consoleUrl: expect.stringMatching(/^https:\/\/local\.console\.aws\.amazon\.com\/states\//),
      backup: BACKUP,
      verify: VERIFY,
    });
    expect(calls.SnitchCheckIn![0]).toEqual(calls.NotifySuccess![0]);
    expect(calls.NotifyFailure).toBeUndefined();
    expect(result.output).toMatchObject({ backup: BACKUP, verify: VERIFY });
  });

  it('accepts an empty manual input with the default reason', async () => {
    const { result, calls } = await run({});
    expect(result.status).toBe('SUCCEEDED');
    expect(calls.BackupDatabase![0].Overrides.ContainerOverrides[0].Environment).toContainEqual({
      Name: 'PGPROOF_REASON',
      Value: DEFAULT_REASON,
    });
  });

  it('rejects an unknown input field at once, naming it, without starting a task', async () => {
    const { result, calls } = await run({ reason: 'before migration', dryRun: true });
    expect(result).toMatchObject({ status: 'FAILED', error: INVALID_INPUT, cause: expect.stringContaining('dryRun') });
    expect(calls.BackupDatabase).toBeUndefined();
    expect(calls.NotifyFailure![0]).toMatchObject({
      status: 'FAILED',
      database: 'orders',
      error: { state: 'ValidateInput', name: INVALID_INPUT, message: expect.stringContaining('"dryRun":true') },
    });
    expect(isRunId(calls.NotifyFailure![0].runId)).toBe(true);
  });

  it('rejects a reason that is not text', async () => {
    const { result, calls } = await run({ reason: 42 });
    expect(result).toMatchObject({
      status: 'FAILED',
      error: INVALID_INPUT,
      cause: expect.stringContaining('reason must be text'),
    });
    expect(calls.BackupDatabase).toBeUndefined();
    expect(calls.SnitchCheckIn).toBeUndefined();
  });

  it('reports a failed backup with its state, name and message, and never checks in', async () => {
    const { result, calls } = await run(
      {},
      {
        BackupDatabase: () => {
          throw named('DumpFailed', 'pg_dump: error: permission denied for table secrets');
        },
      },
    );
    expect(result).toMatchObject({
      status: 'FAILED',
      error: 'DumpFailed',
      cause: expect.stringContaining('permission denied'),
    });
    expect(calls.NotifyFailure![0]).toMatchObject({
      status: 'FAILED',
      error: { state: 'BackupDatabase', name: 'DumpFailed', message: expect.stringContaining('permission denied') },
    });
    expect(calls.VerifyBackup).toBeUndefined();
    expect(calls.SnitchCheckIn).toBeUndefined();
  });

  it('reports a failed verification with the backup it was verifying, and never checks in', async () => {
    const { result, calls } = await run(
      {},
      {
        VerifyBackup: () => {
          throw named('VerificationFailed', 'row count of public.orders: 10 != 11');
        },
      },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'VerificationFailed' });
    expect(calls.NotifyFailure![0]).toMatchObject({
      backup: BACKUP,
      error: { state: 'VerifyBackup', name: 'VerificationFailed' },
    });
    expect(calls.SnitchCheckIn).toBeUndefined();
  });

  it('names a timed-out task (no Cause) in the failure message', async () => {
    const { result, calls } = await run(
      {},
      {
        BackupDatabase: () => {
          throw named('States.HeartbeatTimeout', '');
        },
      },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
    expect(calls.NotifyFailure![0].error).toMatchObject({
      state: 'BackupDatabase',
      message: expect.stringContaining('no heartbeat for 5 minutes'),
    });
  });

  it('still checks in a verified backup when the chat post fails, then fails the run visibly', async () => {
    const { result, calls } = await run(
      {},
      {
        NotifySuccess: () => {
          throw named('ChatPostError', 'webhook answered 500');
        },
      },
    );
    expect(calls.SnitchCheckIn).toHaveLength(1);
    expect(calls.NotifyFailure).toBeUndefined();
    expect(result).toMatchObject({ status: 'FAILED', error: CHAT_POST_FAILED });
  });

  it('fails with the original error even when the failure message cannot be posted', async () => {
    const { result } = await run(
      {},
      {
        BackupDatabase: () => {
          throw named('DatabaseConnectionFailed', 'connection refused');
        },
        NotifyFailure: () => {
          throw named('ChatPostError', 'webhook answered 500');
        },
      },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'DatabaseConnectionFailed', cause: 'connection refused' });
  });

  it('reports a failed snitch check-in through NotifyFailure', async () => {
    const { result, calls } = await run(
      {},
      {
        SnitchCheckIn: () => {
          throw named('SnitchError', 'snitch answered 404');
        },
      },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'SnitchError' });
    expect(calls.NotifyFailure![0]).toMatchObject({
      backup: BACKUP,
      verify: VERIFY,
      error: { state: 'SnitchCheckIn', name: 'SnitchError' },
    });
  });
});
