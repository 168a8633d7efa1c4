import { beforeAll, describe, expect, it } from 'vitest';
import type { BackupResult } from '../../containers/backup/backup';
import { isRunId } from '../../containers/common/keys';
import type { VerifyResult } from '../../containers/verify/verify';
import { renderDefinition, type AslDefinition } from '../../lib/render-definition';
import { STATE } from '../../lib/contracts/state-names';
import {
  CHAT_POST_FAILED,
  DATABASES_FAILED,
  DEFAULT_REASON,
  DISCOVER_PROGRAM,
  INVALID_INPUT,
  TRANSIENT_ECS_ERRORS,
} from '../../lib/run-definition';
import { executeLocally, type TaskBinding } from '../../lib/local/state-machine-runner';
import { allStates, type AslState, type AslStates, edges, itemStates, reachable } from '../helpers/asl';
import { buildPgProof } from '../helpers/cdk';
import { buildFleetPgProof } from '../helpers/fleet';

/** What the retention step answers (the Lambda's result, trimmed by the state's ResultSelector). */
const RETENTION_RESULT = { kept: 3, expired: 0, tagged: 4, locked: 0 };

let asl: AslDefinition & { States: AslStates };
/** The Map item's states (ProveDatabases' ItemProcessor.States). */
let item: AslStates;
/** Every state at any depth, by name. */
let every: AslStates;
/** The definition of a deployment proving three databases. */
let fleetAsl: AslDefinition;
let template: AslState;

beforeAll(() => {
  // GIVEN one PgProof, rendered once for the whole file, and one proving three databases
  const { stack, pgProof } = buildPgProof();
  asl = renderDefinition(pgProof.stateMachine) as typeof asl;
  item = itemStates(asl);
  every = allStates(asl);
  const resources = (stack.node.root as any).synth().getStackByName(stack.stackName).template.Resources as Record<
    string,
    AslState
  >;
  template = Object.values(resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine')!;
  fleetAsl = renderDefinition(buildFleetPgProof(['a', 'b', 'c']).pgProof.stateMachine);
});

/** The states of the run outside the Map. */
const TOP_LEVEL = [
  'BackupVerified',
  'ChatPostFailed',
  'CheckAllVerified',
  'CheckBackupReverified',
  'CheckChatPosted',
  'CheckInputFields',
  'CheckOutcomes',
  'CheckVerifyBackupRun',
  'CompareInputFields',
  'DatabasesFailed',
  'ListDatabases',
  'ListVerifyBackup',
  'MarkDatabasesFailed',
  'MarkRunFailed',
  'MarkRunVerified',
  'NotifyFailure',
  'NotifyRun',
  'PrepareRunId',
  'PrepareVerifyBackupItem',
  'ProveDatabases',
  'ProveDatabasesFailed',
  'ReadInputReason',
  'ReadInputReasonAndVerifyBackup',
  'ReadInputVerifyBackup',
  'RejectInputReasonType',
  'RejectInputVerifyBackupType',
  'RejectUnknownInputField',
  'RunFailed',
  'SnitchCheckIn',
  'SnitchCheckInFailed',
  'SnitchCheckInTimedOut',
  'SummarizeRun',
  'UseDefaultReason',
  'ValidateInput',
  'WriteReports',
  'WriteReportsFailed',
];
/** The states of one database: the Map's item. */
const ITEM = [
  'ApplyRetention',
  'ApplyRetentionFailed',
  'ApplyRetentionTimedOut',
  'BackupDatabase',
  'BackupDatabaseFailed',
  'BackupDatabaseTimedOut',
  'CheckBackupGiven',
  'DatabaseVerified',
  'UseGivenBackup',
  'VerifyBackup',
  'VerifyBackupFailed',
  'VerifyBackupTimedOut',
];

describe('rendered definition', () => {
  it('parses to plain ASL with exactly the states of the run, starting at PrepareRunId, then ValidateInput', () => {
    // THEN
    expect(asl.StartAt).toBe(STATE.prepareRunId);
    expect(asl.States[STATE.prepareRunId]!.Next).toBe(STATE.validateInput);
    expect(Object.keys(asl.States).sort()).toEqual(TOP_LEVEL);
    expect(asl.States.RunFailed).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.error.name',
      CausePath: '$.error.message',
    });
    // AND NotifySuccess (older executions only) is no longer rendered, at any depth
    expect(every).not.toHaveProperty(STATE.notifySuccess);
  });

  it('proves the databases in an inline Map whose item holds exactly the states of one database', () => {
    expect(Object.keys(item).sort()).toEqual(ITEM);
    expect(asl.States.ProveDatabases).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.discovered.databases',
      ResultPath: '$.outcomes',
      Next: STATE.summarizeRun,
      // A re-verification's item skips BackupDatabase: the item starts at that choice
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: STATE.checkBackupGiven },
    });
    // The fleet's definition has the same states, top level and item
    expect(Object.keys(fleetAsl.States).sort()).toEqual(TOP_LEVEL);
    expect(Object.keys(itemStates(fleetAsl)).sort()).toEqual(ITEM);
  });

  it('lists the configured databases, in order, with isNew unknown (null), after the input is accepted', () => {
    expect(asl.States.CheckInputFields!.Choices[1].Next).toBe(STATE.listDatabases);
    // At $.discovered, where DiscoverDatabases puts its result for "all": the Map reads one place either way
    expect(asl.States.ListDatabases).toMatchObject({
      Type: 'Pass',
      Result: { databases: [{ database: 'orders', isNew: null }] },
      ResultPath: '$.discovered',
      Next: STATE.proveDatabases,
    });
    expect(fleetAsl.States.ListDatabases!.Result).toEqual({
      databases: [
        { database: 'a', isNew: null },
        { database: 'b', isNew: null },
        { database: 'c', isNew: null },
      ],
    });
  });

  it('is the same definition the template holds', () => {
    const joined = template.Properties.DefinitionString['Fn::Join'][1]
      .map((p: unknown) => (typeof p === 'string' ? p : '"X"'))
      .join('');
    expect(joined).toContain('"StartAt":"PrepareRunId"');
    expect(joined).toContain('"ProveDatabases":{"Type":"Map"');
    expect(JSON.stringify(asl)).toContain('"StartAt":"PrepareRunId"');
  });

  it('stays on JSONPath: no QueryLanguage, Arguments, Output or Assign anywhere', () => {
    const text = JSON.stringify(asl);
    for (const field of ['QueryLanguage', 'Arguments', 'Output', 'Assign']) expect(text).not.toContain(`"${field}"`);
  });

  it('gives every Task, at any depth, a TimeoutSeconds, and the ECS tasks a HeartbeatSeconds', () => {
    const taskStates = Object.entries(every).filter(([, s]) => s.Type === 'Task');
    expect(taskStates.map(([n]) => n).sort()).toEqual([
      'ApplyRetention',
      'BackupDatabase',
      'NotifyFailure',
      'NotifyRun',
      'SnitchCheckIn',
      'VerifyBackup',
      'WriteReport',
    ]);
    for (const [, s] of taskStates) expect(s.TimeoutSeconds).toBeGreaterThan(0);
    for (const name of [STATE.backupDatabase, STATE.verifyBackup]) {
      // The engines run inside the Map's item, nowhere else
      expect(asl.States).not.toHaveProperty(name);
      expect(item[name]).toMatchObject({
        TimeoutSeconds: 6 * 3600,
        HeartbeatSeconds: 300,
        Resource: expect.stringMatching(/ecs:runTask\.waitForTaskToken$/),
      });
    }
  });

  it("retries ECS tasks on transient ECS errors only, with backoff, and never the engines' failures", () => {
    for (const name of [STATE.backupDatabase, STATE.verifyBackup]) {
      const retry = item[name]!.Retry as AslState[];
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

  it("passes the task token, the item's database, run id and reason to the backup task, and the database and backup key to verify", () => {
    const env = (name: string) => item[name]!.Parameters.Overrides.ContainerOverrides[0].Environment;
    expect(env(STATE.backupDatabase)).toEqual([
      { Name: 'PGPROOF_TASK_TOKEN', 'Value.$': '$$.Task.Token' },
      { Name: 'PGPROOF_DATABASE', 'Value.$': '$.item.database' },
      { Name: 'PGPROOF_RUN_ID', 'Value.$': '$.runId' },
      { Name: 'PGPROOF_REASON', 'Value.$': '$.reason' },
    ]);
    expect(env(STATE.verifyBackup)).toEqual([
      { Name: 'PGPROOF_TASK_TOKEN', 'Value.$': '$$.Task.Token' },
      { Name: 'PGPROOF_DATABASE', 'Value.$': '$.item.database' },
      { Name: 'PGPROOF_BACKUP_KEY', 'Value.$': '$.backup.key' },
    ]);
    // The item's state has what those paths read: the list's entry at $.item, the run's id and reason
    expect(asl.States.ProveDatabases!.ItemSelector).toEqual({
      'item.$': '$$.Map.Item.Value',
      'database.$': '$.database',
      'runId.$': '$.runId',
      'reason.$': '$.reason',
    });
    expect(item.BackupDatabase!.ResultPath).toBe('$.backup');
    expect(item.VerifyBackup!.ResultPath).toBe('$.verify');
    expect(item.BackupDatabase!.Parameters.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp ?? 'DISABLED').toBe(
      'DISABLED',
    );
  });
});

describe('paths', () => {
  /** Entries of the run's own failure path (outside the Map). */
  const runFailureEntries = [
    'RejectInputReasonType',
    'RejectInputVerifyBackupType',
    'RejectUnknownInputField',
    'SnitchCheckInFailed',
    'SnitchCheckInTimedOut',
    'MarkRunFailed',
    'NotifyFailure',
  ];

  it('never reaches SnitchCheckIn from any failure of the run', () => {
    for (const entry of [...runFailureEntries, 'DatabasesFailed', 'ChatPostFailed'])
      expect([...reachable(asl.States, [entry])], entry).not.toContain(STATE.snitchCheckIn);
  });

  it("reaches SnitchCheckIn only through CheckAllVerified's SUCCEEDED branch", () => {
    // GIVEN every transition into SnitchCheckIn, at any depth
    const into = Object.entries(every).flatMap(([name, state]) =>
      edges(name, state).filter((e) => e.to === STATE.snitchCheckIn),
    );
    // THEN there is one: CheckAllVerified's Choice on $.status == SUCCEEDED; anything else is DatabasesFailed
    expect(into.map((e) => e.via)).toEqual(['CheckAllVerified.Choice']);
    expect(asl.States.CheckAllVerified).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.status', StringEquals: 'SUCCEEDED', Next: STATE.snitchCheckIn }],
      Default: STATE.databasesFailed,
    });
    expect(reachable(asl.States, [asl.StartAt]).has(STATE.snitchCheckIn)).toBe(true);
    expect(
      reachable(asl.States, [asl.StartAt], (via) => via === 'CheckAllVerified.Choice').has(STATE.snitchCheckIn),
    ).toBe(false);
  });

  it('sets $.status SUCCEEDED only when no outcome FAILED, and nothing between there and CheckAllVerified changes it', () => {
    // SummarizeRun → CheckOutcomes: any FAILED outcome → MarkDatabasesFailed (FAILED), else MarkRunVerified
    expect(asl.States.SummarizeRun).toMatchObject({
      Type: 'Pass',
      Parameters: { 'anyFailed.$': "States.ArrayContains($.outcomes[*].status, 'FAILED')" },
      ResultPath: '$.summary',
      Next: STATE.writeReports,
    });
    // WriteReports writes only $.reports (or $.reportsFailed) and always goes on to CheckOutcomes
    expect(asl.States.WriteReports).toMatchObject({ ResultPath: '$.reports', Next: STATE.checkOutcomes });
    expect(asl.States.WriteReportsFailed).toMatchObject({ ResultPath: '$.reportsFailed', Next: STATE.checkOutcomes });
    expect(asl.States.CheckOutcomes).toMatchObject({
      Choices: [{ Variable: '$.summary.anyFailed', BooleanEquals: true, Next: STATE.markDatabasesFailed }],
      Default: STATE.markRunVerified,
    });
    expect(asl.States.MarkDatabasesFailed).toMatchObject({
      Result: 'FAILED',
      ResultPath: '$.status',
      Next: 'NotifyRun',
    });
    expect(asl.States.MarkRunVerified).toMatchObject({
      Result: 'SUCCEEDED',
      ResultPath: '$.status',
      Next: 'NotifyRun',
    });
    // The only states that write $.status are the three Mark states
    const writers = Object.entries(every)
      .filter(([, s]) => s.ResultPath === '$.status')
      .map(([n]) => n);
    expect(writers.sort()).toEqual(['MarkDatabasesFailed', 'MarkRunFailed', 'MarkRunVerified']);
    // NotifyRun, between the Mark states and CheckAllVerified, writes only $.chat or $.chatError
    // (through CheckVerifyBackupRun, a Choice that writes nothing: a re-verification goes around the snitch)
    expect(asl.States.NotifyRun).toMatchObject({ ResultPath: '$.chat', Next: STATE.checkVerifyBackupRun });
    expect(asl.States.NotifyRun!.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.chatError', Next: STATE.checkVerifyBackupRun },
    ]);
    expect(asl.States.CheckVerifyBackupRun).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.verifyBackup', IsPresent: true, Next: STATE.checkBackupReverified }],
      Default: STATE.checkAllVerified,
    });
    expect(asl.States.NotifyRun!.OutputPath).toBeUndefined();
  });

  it('sends every failure of ValidateInput and SnitchCheckIn to NotifyFailure, then RunFailed', () => {
    const catches = asl.States.SnitchCheckIn!.Catch as AslState[];
    expect(catches.at(-1)!.ErrorEquals).toEqual(['States.ALL']);
    for (const c of catches) expect(reachable(asl.States, [c.Next]).has(STATE.notifyFailure)).toBe(true);
    for (const entry of runFailureEntries) {
      const after = reachable(asl.States, [entry]);
      expect(after.has(STATE.runFailed), entry).toBe(true);
      expect(after.has('BackupVerified'), entry).toBe(false);
    }
    expect(asl.States.NotifyFailure!.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.chatError', Next: STATE.runFailed },
    ]);
  });

  it("records a snitch failure at $.error as {state, name, message}: what RunFailed's ErrorPath and CausePath read", () => {
    // A wrapped {error: {…}} at $.error would leave $.error.name absent: RunFailed would fail with States.Runtime
    expect(asl.States.SnitchCheckInFailed).toMatchObject({
      ResultPath: '$.error',
      Parameters: { state: STATE.snitchCheckIn, 'name.$': '$.error.Error', 'message.$': '$.error.Cause' },
      Next: STATE.markRunFailed,
    });
    expect(asl.States.SnitchCheckInTimedOut).toMatchObject({
      ResultPath: '$.error',
      Parameters: { state: STATE.snitchCheckIn, 'name.$': '$.error.Error', message: expect.any(String) },
      Next: STATE.markRunFailed,
    });
  });

  it('ends every item failure in the item, with a FAILED outcome naming the step, and never leaves the Map', () => {
    const tasks = Object.entries(item).filter(([, s]) => s.Type === 'Task');
    expect(tasks.map(([n]) => n).sort()).toEqual([STATE.applyRetention, STATE.backupDatabase, STATE.verifyBackup]);
    for (const [name, task] of tasks) {
      // Timeouts first (their message is written by the definition), then everything else
      expect(task.Catch, name).toEqual([
        { ErrorEquals: ['States.Timeout', 'States.HeartbeatTimeout'], ResultPath: '$.error', Next: `${name}TimedOut` },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: `${name}Failed` },
      ]);
      for (const c of task.Catch as AslState[]) {
        const handler = item[c.Next]!;
        expect(handler, c.Next).toMatchObject({
          Type: 'Pass',
          End: true,
          Parameters: {
            'database.$': '$.item.database',
            status: 'FAILED',
            error: { state: name, 'name.$': '$.error.Error' },
          },
        });
        expect(handler.Next).toBeUndefined();
        expect(handler.ResultPath).toBeUndefined();
        // Its walk stays in the item (reachable refuses a transition out of the scope) and ends there
        expect([...reachable(item, [c.Next])]).toEqual([c.Next]);
      }
    }
    // No state of the item fails or succeeds the execution: each item ends in its outcome
    expect(Object.values(item).filter((s) => s.Type === 'Fail' || s.Type === 'Succeed')).toEqual([]);
    const ends = Object.entries(item)
      .filter(([, s]) => s.End)
      .map(([n]) => n)
      .sort();
    const passesOn: string[] = [
      STATE.backupDatabase,
      STATE.verifyBackup,
      STATE.applyRetention,
      STATE.checkBackupGiven,
      STATE.useGivenBackup,
    ];
    expect(ends).toEqual(ITEM.filter((n) => !passesOn.includes(n)));
    expect(item.DatabaseVerified).toMatchObject({
      Type: 'Pass',
      End: true,
      Parameters: { 'database.$': '$.item.database', status: 'SUCCEEDED' },
    });
    // The Map's only Catch is for its own runtime errors (every database's failure ends in its item): to the chat
    expect(asl.States.ProveDatabases!.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: STATE.proveDatabasesFailed },
    ]);
    expect(asl.States.ProveDatabasesFailed).toMatchObject({ Type: 'Pass', Next: STATE.markRunFailed });
  });

  it('catches a failed NotifyRun into CheckAllVerified, and ends an all-verified run in ChatPostFailed', () => {
    expect(asl.States.CheckChatPosted!.Choices[0]).toMatchObject({
      Variable: '$.chatError',
      IsPresent: true,
      Next: 'ChatPostFailed',
    });
    expect(asl.States.SnitchCheckIn!.Next).toBe(STATE.checkChatPosted);
    expect(asl.States.ChatPostFailed).toMatchObject({ Type: 'Fail', Error: CHAT_POST_FAILED });
    expect(asl.States.DatabasesFailed).toMatchObject({ Type: 'Fail', Error: DATABASES_FAILED });
  });
});

// ---- executed by the local runner (aws-local-stepfunctions), as `pgproof run --local` does ---------------------------

/** The backup engine's whole result (containers/backup/backup.ts BackupResult). */
const backupOf = (database: string) => ({
  runId: 'r',
  database,
  bucket: 'b',
  key: `pgproof/${database}/2026-01-01/r.dump.zst`,
  manifestKey: `pgproof/${database}/2026-01-01/r.manifest.json`,
  bytes: 1234,
  sha256: 'a'.repeat(64),
  seconds: 2,
  tables: 3,
  rows: 30,
  compression: { method: 'zstd', level: 1 },
  serverVersion: '17.2',
  pgDumpVersion: '17.2',
  previousBytes: null,
  isNew: false,
});
const BACKUP = backupOf('orders');
/** What an outcome keeps of the backup engine's result. */
const outcomeBackupOf = (b: {
  key: string;
  bytes: number;
  seconds: number;
  sha256: string;
  previousBytes: number | null;
}) => ({
  key: b.key,
  bytes: b.bytes,
  seconds: b.seconds,
  sha256: b.sha256,
  previousBytes: b.previousBytes,
});
const OUTCOME_BACKUP = outcomeBackupOf(BACKUP);
/** The verify engine's result: `previous` is always present (null when there is none). */
const VERIFY = {
  restoreSeconds: 3,
  checks: [
    { name: 'orders exist', passed: true },
    { name: 'tables restored', passed: true },
  ],
  skippedExtensions: [],
  previous: null,
};
/** What DatabaseVerified records of the verify result: the check count, not each check. */
const VERIFIED_OUTCOME_VERIFY = { restoreSeconds: 3, checks: 2, skippedExtensions: [], previous: null };

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

type Overrides = Partial<Record<string, TaskBinding>>;
/** The container environment an ECS task's input carries, by name. */
const envOf = (input: any): Record<string, string> =>
  Object.fromEntries(input.Overrides.ContainerOverrides[0].Environment.map((e: any) => [e.Name, e.Value]));

async function run(input: unknown, overrides: Overrides = {}, definition: AslDefinition = asl) {
  const calls: Record<string, any[]> = {};
  const record =
    (name: string, result: (input: any) => unknown): TaskBinding =>
    async (i) => {
      calls[name] ??= [];
      calls[name].push(i);
      return (await result(i)) as never;
    };
  const bindings: Record<string, TaskBinding> = {
    BackupDatabase: record('BackupDatabase', (i) => backupOf(envOf(i).PGPROOF_DATABASE!)),
    VerifyBackup: record('VerifyBackup', () => VERIFY),
    ApplyRetention: record('ApplyRetention', () => RETENTION_RESULT),
    WriteReport: record('WriteReport', (i) => ({ database: i.outcome.database, written: true, key: 'report.html' })),
    NotifyRun: record('NotifyRun', () => ({ posted: true })),
    SnitchCheckIn: record('SnitchCheckIn', () => ({ checkedIn: true })),
    NotifyFailure: record('NotifyFailure', () => ({ posted: true })),
  };
  for (const [name, binding] of Object.entries(overrides)) bindings[name] = record(name, (i) => binding!(i));
  const result = await executeLocally({
    definition: definition as never,
    input: input as never,
    bindings,
    executionName: 'test',
  });
  return { result, calls };
}

describe('local execution', () => {
  it('runs a scheduled input end to end: run id, reason, one verified outcome, one NotifyRun, snitch checked in', async () => {
    // WHEN
    const { result, calls } = await run({ reason: 'scheduled' });
    // THEN
    expect(result.status).toBe('SUCCEEDED');
    const env = envOf(calls.BackupDatabase![0]);
    expect(isRunId(env.PGPROOF_RUN_ID!)).toBe(true);
    expect(env).toMatchObject({
      PGPROOF_REASON: 'scheduled',
      PGPROOF_TASK_TOKEN: 'local-task-token',
      PGPROOF_DATABASE: 'orders',
    });
    expect(envOf(calls.VerifyBackup![0])).toMatchObject({ PGPROOF_BACKUP_KEY: BACKUP.key, PGPROOF_DATABASE: 'orders' });
    expect(calls.NotifyRun).toHaveLength(1);
    expect(calls.NotifyRun![0]).toMatchObject({
      database: 'orders',
      runId: env.PGPROOF_RUN_ID,
      status: 'SUCCEEDED',
      reason: 'scheduled',
      consoleUrl: expect.stringMatching(/^https:\/\/local\.console\.aws\.amazon\.com\/states\//),
      summary: { anyFailed: false },
    });
    expect(calls.NotifyRun![0].outcomes).toEqual([
      {
        database: 'orders',
        status: 'SUCCEEDED',
        isNew: false,
        backup: OUTCOME_BACKUP,
        verify: VERIFIED_OUTCOME_VERIFY,
        // The retention step ran after the verification, with the backup's key only; its counts are kept
        retention: { kept: 3, expired: 0 },
      },
    ]);
    expect(calls.ApplyRetention).toEqual([{ backupKey: OUTCOME_BACKUP.key }]);
    // The snitch gets the same run state, with whether the chat posted
    expect(calls.SnitchCheckIn).toHaveLength(1);
    expect(calls.SnitchCheckIn![0]).toEqual({ ...calls.NotifyRun![0], chat: { posted: true } });
    expect(calls.NotifyFailure).toBeUndefined();
    expect(result.output).toMatchObject({
      status: 'SUCCEEDED',
      outcomes: [{ database: 'orders', status: 'SUCCEEDED', backup: OUTCOME_BACKUP }],
      chat: { posted: true },
      snitch: { checkedIn: true },
    });
  });

  it('accepts an empty manual input with the default reason', async () => {
    const { result, calls } = await run({});
    expect(result.status).toBe('SUCCEEDED');
    expect(envOf(calls.BackupDatabase![0]).PGPROOF_REASON).toBe(DEFAULT_REASON);
  });

  it('rejects an unknown input field at once, naming it, without starting a task or the Map', async () => {
    const { result, calls } = await run({ reason: 'before migration', dryRun: true });
    expect(result).toMatchObject({ status: 'FAILED', error: INVALID_INPUT, cause: expect.stringContaining('dryRun') });
    expect(calls.BackupDatabase).toBeUndefined();
    expect(calls.NotifyRun).toBeUndefined();
    expect(calls.SnitchCheckIn).toBeUndefined();
    expect(calls.NotifyFailure![0]).toMatchObject({
      status: 'FAILED',
      database: 'orders',
      error: { state: 'ValidateInput', name: INVALID_INPUT, message: expect.stringContaining('"dryRun":true') },
    });
    expect(calls.NotifyFailure![0].outcomes).toBeUndefined();
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
    expect(calls.NotifyRun).toBeUndefined();
    expect(calls.SnitchCheckIn).toBeUndefined();
    expect(calls.NotifyFailure).toHaveLength(1);
  });

  it("reports a failed backup in the database's outcome, with its state, name and message, and never checks in", async () => {
    const { result, calls } = await run(
      {},
      {
        BackupDatabase: () => {
          throw named('DumpFailed', 'pg_dump: error: permission denied for table secrets');
        },
      },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: DATABASES_FAILED });
    expect(calls.NotifyRun).toHaveLength(1);
    expect(calls.NotifyRun![0]).toMatchObject({ status: 'FAILED', summary: { anyFailed: true } });
    expect(calls.NotifyRun![0].outcomes).toEqual([
      {
        database: 'orders',
        status: 'FAILED',
        isNew: null,
        error: {
          state: 'BackupDatabase',
          name: 'DumpFailed',
          message: 'pg_dump: error: permission denied for table secrets',
        },
      },
    ]);
    // The run-level error path is not taken: one message (NotifyRun), not two
    expect(calls.NotifyFailure).toBeUndefined();
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
    expect(result).toMatchObject({ status: 'FAILED', error: DATABASES_FAILED });
    expect(calls.NotifyRun![0].outcomes).toEqual([
      {
        database: 'orders',
        status: 'FAILED',
        isNew: false,
        backup: OUTCOME_BACKUP,
        error: { state: 'VerifyBackup', name: 'VerificationFailed', message: 'row count of public.orders: 10 != 11' },
      },
    ]);
    expect(calls.NotifyFailure).toBeUndefined();
    expect(calls.SnitchCheckIn).toBeUndefined();
  });

  it.each([
    ['BackupDatabase', 'States.HeartbeatTimeout', 'The backup task sent no heartbeat for 5 minutes'],
    ['VerifyBackup', 'States.Timeout', 'The verify task sent no heartbeat for 5 minutes'],
  ])('names a timed-out %s (%s, no Cause) in its outcome', async (state, error, message) => {
    const { result, calls } = await run(
      {},
      {
        [state]: () => {
          throw named(error, '');
        },
      },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: DATABASES_FAILED });
    expect(calls.NotifyRun![0].outcomes[0]).toMatchObject({
      database: 'orders',
      status: 'FAILED',
      error: { state, name: error, message: expect.stringContaining(message) },
    });
    expect(calls.NotifyRun![0].outcomes[0].error.message).toContain('or ran longer than 6 hours');
    expect(calls.SnitchCheckIn).toBeUndefined();
  });

  it('still checks in when every database verified but the chat post fails, then fails the run visibly', async () => {
    const { result, calls } = await run(
      {},
      {
        NotifyRun: () => {
          throw named('ChatPostError', 'webhook answered 500');
        },
      },
    );
    expect(calls.SnitchCheckIn).toHaveLength(1);
    expect(calls.SnitchCheckIn![0].chatError).toMatchObject({ Error: 'ChatPostError' });
    expect(calls.NotifyFailure).toBeUndefined();
    expect(result).toMatchObject({ status: 'FAILED', error: CHAT_POST_FAILED });
  });

  it('never checks in when a database failed, even if the chat post failed too', async () => {
    const { result, calls } = await run(
      {},
      {
        VerifyBackup: () => {
          throw named('VerificationFailed', 'x');
        },
        NotifyRun: () => {
          throw named('ChatPostError', 'webhook answered 500');
        },
      },
    );
    expect(calls.SnitchCheckIn).toBeUndefined();
    expect(calls.NotifyFailure).toBeUndefined();
    expect(result).toMatchObject({ status: 'FAILED', error: DATABASES_FAILED });
  });

  it('reports a failed snitch check-in through NotifyFailure, after the one NotifyRun', async () => {
    const { result, calls } = await run(
      {},
      {
        SnitchCheckIn: () => {
          throw named('SnitchError', 'snitch answered 404');
        },
      },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'SnitchError', cause: 'snitch answered 404' });
    expect(calls.NotifyRun).toHaveLength(1);
    expect(calls.NotifyFailure).toHaveLength(1);
    expect(calls.NotifyFailure![0]).toMatchObject({
      status: 'FAILED',
      outcomes: [{ database: 'orders', status: 'SUCCEEDED', backup: OUTCOME_BACKUP, verify: VERIFIED_OUTCOME_VERIFY }],
      error: { state: 'SnitchCheckIn', name: 'SnitchError', message: 'snitch answered 404' },
    });
  });

  it('names a timed-out snitch check-in (no Cause) in the failure message', async () => {
    const { result, calls } = await run(
      {},
      {
        SnitchCheckIn: () => {
          throw named('States.Timeout', '');
        },
      },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    expect(calls.NotifyFailure![0].error).toEqual({
      state: 'SnitchCheckIn',
      name: 'States.Timeout',
      message: 'The snitch check-in took longer than 120 seconds.',
    });
  });

  it('fails with the original error even when the failure message cannot be posted', async () => {
    const { result } = await run(
      {},
      {
        SnitchCheckIn: () => {
          throw named('SnitchError', 'connection refused');
        },
        NotifyFailure: () => {
          throw named('ChatPostError', 'webhook answered 500');
        },
      },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'SnitchError', cause: 'connection refused' });
  });
});

describe("the engines' results, as their types require them", () => {
  // Only the required fields: a Pass state reading an optional one (absent) would fail the item with States.Runtime,
  // uncaught inside the item, failing the Map and the run without a message.
  const minimalBackup = {
    runId: 'r',
    database: 'orders',
    bucket: 'b',
    key: 'pgproof/orders/2026-01-01/r.dump',
    manifestKey: 'pgproof/orders/2026-01-01/r.manifest.json',
    bytes: 1,
    sha256: 'a'.repeat(64),
    seconds: 1,
    tables: 0,
    rows: 0,
    compression: { method: 'none' },
    serverVersion: '17.2',
    pgDumpVersion: '17.2',
    previousBytes: null,
    isNew: true,
  } satisfies BackupResult;
  const minimalVerify = {
    runId: 'r',
    database: 'orders',
    key: minimalBackup.key,
    bytes: 1,
    downloadSeconds: 0,
    restoreSeconds: 1,
    serverMajor: 17,
    tables: 0,
    rows: 0,
    checks: [],
    deepProof: false,
    skippedExtensions: [],
    previous: null,
  } satisfies VerifyResult;

  it.each([
    ['verified', {}, 'SUCCEEDED'],
    [
      'verify failed',
      {
        VerifyBackup: () => {
          throw named('VerificationFailed', 'x');
        },
      },
      'FAILED',
    ],
  ] as const)(
    '%s: every state of the item reads only fields the engines always report',
    async (_t, overrides, status) => {
      const { calls } = await run(
        {},
        { BackupDatabase: async () => minimalBackup, VerifyBackup: async () => minimalVerify, ...overrides },
      );
      expect(calls.NotifyRun).toHaveLength(1);
      expect(calls.NotifyRun![0].outcomes).toEqual([
        expect.objectContaining({ database: 'orders', status, isNew: true, backup: outcomeBackupOf(minimalBackup) }),
      ]);
    },
  );
});

describe('local execution of three databases', () => {
  it('proves each database with its own id; one failure leaves the others verified, one NotifyRun, no check-in', async () => {
    // WHEN b's verification fails (and a finishes last: the outcomes keep the list's order)
    const { result, calls } = await run(
      { reason: 'fleet' },
      {
        BackupDatabase: async (i) => {
          const database = envOf(i).PGPROOF_DATABASE!;
          if (database === 'a') await new Promise((resolve) => setTimeout(resolve, 30));
          return backupOf(database);
        },
        VerifyBackup: async (i) => {
          if (envOf(i).PGPROOF_DATABASE === 'b') throw named('VerificationFailed', 'invoices: 0 (expected >= 1)');
          return VERIFY;
        },
      },
      fleetAsl,
    );

    // THEN each task worked on its own database, with the run's one id and reason
    expect(calls.BackupDatabase!.map((i) => envOf(i).PGPROOF_DATABASE).sort()).toEqual(['a', 'b', 'c']);
    expect(calls.VerifyBackup!.map((i) => envOf(i).PGPROOF_DATABASE).sort()).toEqual(['a', 'b', 'c']);
    for (const i of calls.VerifyBackup!)
      expect(envOf(i).PGPROOF_BACKUP_KEY).toBe(backupOf(envOf(i).PGPROOF_DATABASE!).key);
    const runIds = new Set(calls.BackupDatabase!.map((i) => envOf(i).PGPROOF_RUN_ID));
    expect(runIds.size).toBe(1);
    expect(isRunId([...runIds][0]!)).toBe(true);
    expect(calls.BackupDatabase!.map((i) => envOf(i).PGPROOF_REASON)).toEqual(['fleet', 'fleet', 'fleet']);

    // AND two verified, one failed, in the list's order, reported once
    expect(calls.NotifyRun).toHaveLength(1);
    const payload = calls.NotifyRun![0];
    expect(payload).toMatchObject({ database: 'orders', status: 'FAILED', runId: [...runIds][0] });
    expect(payload.outcomes).toHaveLength(3);
    expect(payload.outcomes.map((o: any) => [o.database, o.status])).toEqual([
      ['a', 'SUCCEEDED'],
      ['b', 'FAILED'],
      ['c', 'SUCCEEDED'],
    ]);
    expect(payload.outcomes[1]).toEqual({
      database: 'b',
      status: 'FAILED',
      isNew: false,
      backup: outcomeBackupOf(backupOf('b')),
      error: { state: 'VerifyBackup', name: 'VerificationFailed', message: 'invoices: 0 (expected >= 1)' },
    });
    expect(calls.SnitchCheckIn).toBeUndefined();
    expect(calls.NotifyFailure).toBeUndefined();
    expect(result).toMatchObject({ status: 'FAILED', error: DATABASES_FAILED });
  });

  it('checks in once when all three verified', async () => {
    const { result, calls } = await run({}, {}, fleetAsl);
    expect(result.status).toBe('SUCCEEDED');
    expect(calls.BackupDatabase).toHaveLength(3);
    expect(calls.NotifyRun).toHaveLength(1);
    expect(calls.NotifyRun![0].outcomes.map((o: any) => [o.database, o.status])).toEqual([
      ['a', 'SUCCEEDED'],
      ['b', 'SUCCEEDED'],
      ['c', 'SUCCEEDED'],
    ]);
    expect(calls.SnitchCheckIn).toHaveLength(1);
    expect(calls.SnitchCheckIn![0].outcomes).toHaveLength(3);
    expect(calls.NotifyFailure).toBeUndefined();
  });

  it('keeps proving the others when a database fails at its backup, each failure in its own outcome', async () => {
    const { result, calls } = await run(
      {},
      {
        BackupDatabase: async (i) => {
          const database = envOf(i).PGPROOF_DATABASE!;
          if (database !== 'b') throw named('DatabaseConnectionFailed', `cannot connect to ${database}`);
          return backupOf(database);
        },
      },
      fleetAsl,
    );
    expect(calls.VerifyBackup!.map((i) => envOf(i).PGPROOF_DATABASE)).toEqual(['b']);
    expect(calls.NotifyRun![0].outcomes.map((o: any) => [o.database, o.status, o.error?.message])).toEqual([
      ['a', 'FAILED', 'cannot connect to a'],
      ['b', 'SUCCEEDED', undefined],
      ['c', 'FAILED', 'cannot connect to c'],
    ]);
    expect(calls.SnitchCheckIn).toBeUndefined();
    expect(result).toMatchObject({ status: 'FAILED', error: DATABASES_FAILED });
  });
});

// ---- "databases": "all": DiscoverDatabases lists the server's databases before the Map ---------------------------

describe('databases "all"', () => {
  let all: AslDefinition & { States: AslStates };
  beforeAll(() => {
    // GIVEN a deployment proving every database of its server
    all = renderDefinition(buildFleetPgProof('all').pgProof.stateMachine) as typeof all;
  });

  it('discovers instead of listing: the same run otherwise, the same item', () => {
    expect(Object.keys(all.States).sort()).toEqual(
      [
        ...TOP_LEVEL.filter((n) => n !== STATE.listDatabases),
        STATE.discoverDatabases,
        STATE.discoverDatabasesFailed,
        STATE.discoverDatabasesTimedOut,
      ].sort(),
    );
    expect(Object.keys(itemStates(all)).sort()).toEqual(ITEM);
    expect(all.States.CheckInputFields!.Choices[1].Next).toBe(STATE.discoverDatabases);
  });

  it("runs the discover program in the backup task, for the run (no item's database), into $.discovered", () => {
    const discover = all.States.DiscoverDatabases!;
    expect(discover).toMatchObject({
      Type: 'Task',
      Resource: expect.stringMatching(/ecs:runTask\.waitForTaskToken$/),
      ResultPath: '$.discovered',
      Next: STATE.proveDatabases,
      HeartbeatSeconds: 300,
    });
    expect(discover.TimeoutSeconds).toBeGreaterThan(0);
    const [container] = discover.Parameters.Overrides.ContainerOverrides;
    expect(container.Command).toEqual([DISCOVER_PROGRAM]);
    expect(container.Environment).toEqual([
      { Name: 'PGPROOF_TASK_TOKEN', 'Value.$': '$$.Task.Token' },
      { Name: 'PGPROOF_RUN_ID', 'Value.$': '$.runId' },
    ]);
    expect(discover.Parameters.TaskDefinition).toEqual(itemStates(all).BackupDatabase!.Parameters.TaskDefinition);
    expect(discover.Retry).toEqual([expect.objectContaining({ ErrorEquals: TRANSIENT_ECS_ERRORS })]);
    expect(all.States.ProveDatabases!.ItemsPath).toBe('$.discovered.databases');
  });

  it('sends a failed discovery to NotifyFailure and RunFailed, never to the snitch, its error at $.error', () => {
    const catches = all.States.DiscoverDatabases!.Catch as AslState[];
    expect(catches.map((c) => c.Next)).toEqual([STATE.discoverDatabasesTimedOut, STATE.discoverDatabasesFailed]);
    expect(catches.at(-1)!.ErrorEquals).toEqual(['States.ALL']);
    for (const c of catches) {
      const after = reachable(all.States, [c.Next]);
      expect(after.has(STATE.notifyFailure)).toBe(true);
      expect(after.has(STATE.runFailed)).toBe(true);
      expect(after.has(STATE.snitchCheckIn)).toBe(false);
      expect(after.has(STATE.proveDatabases)).toBe(false);
    }
    // What RunFailed's ErrorPath and CausePath read: {state, name, message} directly at $.error
    expect(all.States.DiscoverDatabasesFailed).toMatchObject({
      ResultPath: '$.error',
      Parameters: { state: STATE.discoverDatabases, 'name.$': '$.error.Error', 'message.$': '$.error.Cause' },
    });
  });

  it('proves each discovered database, a new one that fails before its backup still marked new', async () => {
    const { result, calls } = await run(
      {},
      {
        DiscoverDatabases: async () => ({
          databases: [
            { database: 'created_yesterday', isNew: true },
            { database: 'orders', isNew: false },
          ],
        }),
        BackupDatabase: async (i) => {
          const database = envOf(i).PGPROOF_DATABASE!;
          if (database === 'created_yesterday') throw named('DatabaseConnectionFailed', 'permission denied');
          return backupOf(database);
        },
      },
      all,
    );
    expect(calls.DiscoverDatabases).toHaveLength(1);
    expect(calls.NotifyRun).toHaveLength(1);
    expect(calls.NotifyRun![0].outcomes.map((o: any) => [o.database, o.status, o.isNew])).toEqual([
      ['created_yesterday', 'FAILED', true],
      ['orders', 'SUCCEEDED', false],
    ]);
    expect(calls.SnitchCheckIn).toBeUndefined();
    expect(result).toMatchObject({ status: 'FAILED', error: DATABASES_FAILED });
  });

  it('fails the run with the discovery error, through NotifyFailure, without starting the Map', async () => {
    const { result, calls } = await run(
      {},
      {
        DiscoverDatabases: async () => {
          throw named('TooManyDatabases', 'the server has 250 databases; at most 200');
        },
      },
      all,
    );
    expect(calls.BackupDatabase).toBeUndefined();
    expect(calls.NotifyRun).toBeUndefined();
    expect(calls.NotifyFailure![0].error).toEqual({
      state: STATE.discoverDatabases,
      name: 'TooManyDatabases',
      message: 'the server has 250 databases; at most 200',
    });
    expect(result).toMatchObject({ status: 'FAILED', error: 'TooManyDatabases' });
  });
});
