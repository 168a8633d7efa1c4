import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { executionHistory } from '../../../bin/cli/execution-history';
import { parseRunResult } from '../../../lambdas/common/run-result';
import { buildChatMessage } from '../../../lambdas/notify-chat/chat-message';
import {
  CHAT_POST_FAILED,
  DATABASES_FAILED,
  databaseOutcomeSchema,
  databaseRows,
  type DatabaseRunRecord,
  EXECUTION_ABORTED,
  EXECUTION_TIMED_OUT,
  finalRunState,
  summarizeDatabases,
  summarizeExecution,
  type ExecutionOutcome,
  type RunRecord,
} from '../../../lib/contracts/run-record';
import { localRunRecord } from '../../../lib/local/local-run';
import { renderLocalDefinition } from '../../../lib/local/local-definition';
import { executeLocally, type LocalExecution, type TaskBinding } from '../../../lib/local/state-machine-runner';
import type { AslDefinition } from '../../../lib/render-definition';

/** What the retention step answers (the Lambda's result, trimmed by the state's ResultSelector). */
const RETENTION_RESULT = { kept: 3, expired: 0, tagged: 4, locked: 0 };

const SHA = 'ab'.repeat(32);
const RUN_ID = '20261124T030000Z-0123456789ab';
const CONSOLE = 'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/x';
const STARTED = '2026-11-24T03:00:00.000Z';
const STOPPED = '2026-11-24T03:05:00.000Z';

/** The backup task's whole result, as the engine reports it: the record keeps its figures only. */
const BACKUP_RESULT = {
  runId: RUN_ID,
  database: 'orders',
  bucket: 'b',
  key: `pgproof/orders/2026-11-24/${RUN_ID}.dump.zst`,
  manifestKey: 'm',
  bytes: 2_500_000,
  sha256: SHA,
  seconds: 12.5,
  tables: 4,
  rows: 400,
  compression: { method: 'zstd' },
  serverVersion: '17.2',
  pgDumpVersion: '17.2',
  previousBytes: 2_400_000,
  isNew: false,
};
const BACKUP = {
  key: BACKUP_RESULT.key,
  bytes: 2_500_000,
  sha256: SHA,
  seconds: 12.5,
  tables: 4,
  rows: 400,
  previousBytes: 2_400_000,
};
const VERIFY_RESULT = {
  runId: RUN_ID,
  database: 'orders',
  key: BACKUP_RESULT.key,
  bytes: 2_500_000,
  downloadSeconds: 1,
  restoreSeconds: 30.25,
  serverMajor: 17,
  tables: 4,
  rows: 400,
  checks: [{ name: 'customers exist', passed: true, value: '400', expectation: '>= 1' }],
  deepProof: false,
  skippedExtensions: [],
  previous: { runId: '20261123T030000Z-0123456789ab', dumpBytes: 2_400_000, restoreSeconds: 29 },
};
const VERIFY = {
  restoreSeconds: 30.25,
  checks: [{ name: 'customers exist', passed: true, value: '400', expectation: '>= 1' }],
  skippedExtensions: [],
  previous: { runId: '20261123T030000Z-0123456789ab', dumpBytes: 2_400_000, restoreSeconds: 29 },
};

/** The run state as the definition builds it before the first task (ReadInputReason / UseDefaultReason). */
const base = {
  database: 'orders',
  runId: RUN_ID,
  consoleUrl: CONSOLE,
  reason: 'nightly',
  input: { given: '{"reason":"nightly"}', known: { reason: 'nightly' }, expected: { json: '{"reason":"nightly"}' } },
};
/** What RunFailed receives: the run state with the recorded error, MarkRunFailed's status and NotifyFailure's result. */
const failedAt = (error: { state: string; name: string; message: string }, extra: Record<string, unknown> = {}) => ({
  ...base,
  ...extra,
  error,
  status: 'FAILED',
  chat: { posted: true },
});
const times = {
  startedAt: STARTED,
  stoppedAt: STOPPED,
  executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:pgproof:x',
};
const common = {
  runId: RUN_ID,
  database: 'orders',
  startedAt: STARTED,
  finishedAt: STOPPED,
  seconds: 300,
  reason: 'nightly',
  consoleUrl: CONSOLE,
  executionArn: times.executionArn,
};

const cases: Array<[string, ExecutionOutcome, RunRecord]> = [
  [
    'success: the figures of both tasks, the chat posted, the switch checked in',
    {
      ...times,
      status: 'SUCCEEDED',
      state: {
        ...base,
        backup: BACKUP_RESULT,
        verify: VERIFY_RESULT,
        chat: { posted: true },
        snitch: { checkedIn: true },
      },
    },
    {
      ...common,
      status: 'SUCCEEDED',
      backup: BACKUP,
      verify: VERIFY,
      chat: { posted: true },
      snitch: { checkedIn: true },
    },
  ],
  [
    'backup failed: the step, error and message the definition recorded, no figures',
    {
      ...times,
      status: 'FAILED',
      error: 'DumpFailed',
      cause: 'pg_dump exited with status 1',
      state: failedAt({ state: 'BackupDatabase', name: 'DumpFailed', message: 'pg_dump exited with status 1' }),
    },
    {
      ...common,
      status: 'FAILED',
      error: { state: 'BackupDatabase', name: 'DumpFailed', message: 'pg_dump exited with status 1' },
      chat: { posted: true },
    },
  ],
  [
    'verify failed: the backup it was verifying, and the verify error',
    {
      ...times,
      status: 'FAILED',
      error: 'VerificationFailed',
      cause: 'customers exist: 0',
      state: failedAt(
        { state: 'VerifyBackup', name: 'VerificationFailed', message: 'customers exist: 0' },
        { backup: BACKUP_RESULT },
      ),
    },
    {
      ...common,
      status: 'FAILED',
      backup: BACKUP,
      error: { state: 'VerifyBackup', name: 'VerificationFailed', message: 'customers exist: 0' },
      chat: { posted: true },
    },
  ],
  [
    'a task timed out: the definition writes the message (a timeout carries no cause)',
    {
      ...times,
      status: 'FAILED',
      error: 'States.HeartbeatTimeout',
      state: failedAt({
        state: 'BackupDatabase',
        name: 'States.HeartbeatTimeout',
        message: 'The backup task sent no heartbeat for 5 minutes (it died or hung) or ran longer than 6 hours.',
      }),
    },
    {
      ...common,
      status: 'FAILED',
      error: {
        state: 'BackupDatabase',
        name: 'States.HeartbeatTimeout',
        message: 'The backup task sent no heartbeat for 5 minutes (it died or hung) or ran longer than 6 hours.',
      },
      chat: { posted: true },
    },
  ],
  [
    'the execution timed out: the run state it was in, the execution named as what failed',
    { ...times, status: 'TIMED_OUT', state: { ...base, backup: BACKUP_RESULT } },
    {
      ...common,
      status: 'FAILED',
      backup: BACKUP,
      error: {
        state: 'Execution',
        name: EXECUTION_TIMED_OUT,
        message: 'the execution ran longer than the state machine allows',
      },
    },
  ],
  [
    'aborted: the run state it was in, and the cause given',
    { ...times, status: 'ABORTED', cause: 'stopped by an operator', state: { ...base, backup: BACKUP_RESULT } },
    {
      ...common,
      status: 'FAILED',
      backup: BACKUP,
      error: { state: 'Execution', name: EXECUTION_ABORTED, message: 'stopped by an operator' },
    },
  ],
  [
    'chat post failed after a verified backup: NotifySuccess named, with the chat error the state caught',
    {
      ...times,
      status: 'FAILED',
      error: CHAT_POST_FAILED,
      cause: 'The backup was verified and the snitch checked in, but NotifySuccess could not post to chat.',
      state: {
        ...base,
        backup: BACKUP_RESULT,
        verify: VERIFY_RESULT,
        chatError: {
          Error: 'ChatPostFailed',
          Cause: JSON.stringify({ errorType: 'ChatPostFailed', errorMessage: 'the webhook answered 500' }),
        },
        snitch: { checkedIn: true },
      },
    },
    {
      ...common,
      status: 'FAILED',
      backup: BACKUP,
      verify: VERIFY,
      snitch: { checkedIn: true },
      error: {
        state: 'NotifySuccess',
        name: CHAT_POST_FAILED,
        message:
          'The backup was verified and the snitch checked in, but NotifySuccess could not post to chat. The chat post failed with ChatPostFailed: the webhook answered 500',
      },
    },
  ],
  [
    'still running: no end, no error',
    { status: 'RUNNING', startedAt: STARTED, state: { ...base } },
    {
      runId: RUN_ID,
      database: 'orders',
      startedAt: STARTED,
      reason: 'nightly',
      consoleUrl: CONSOLE,
      status: 'RUNNING',
    },
  ],
  [
    'output that is not a run state: the execution name, status and error still show',
    { status: 'FAILED', startedAt: STARTED, name: 'exec-1', error: 'States.Runtime', cause: 'boom', state: 'not json' },
    {
      runId: 'exec-1',
      database: '',
      startedAt: STARTED,
      status: 'FAILED',
      error: { state: 'Execution', name: 'States.Runtime', message: 'boom' },
    },
  ],
];

describe('summarizeExecution', () => {
  it.each(cases)('%s', (_title, execution, record) => {
    expect(summarizeExecution(execution)).toEqual(record);
  });

  it('keeps a malformed part out without losing the others', () => {
    const record = summarizeExecution({
      status: 'SUCCEEDED',
      startedAt: STARTED,
      state: { ...base, backup: { ...BACKUP_RESULT, sha256: 'nothex' }, verify: VERIFY_RESULT },
    });
    expect(record.backup).toBeUndefined();
    expect(record.verify).toEqual(VERIFY);
  });

  it('gives the notify functions the previous verified backup where the state machine carries it (verify.previous)', () => {
    // Prepare: the record of a verified run, read back as the notify functions read the run state
    const record = summarizeExecution(cases[0]![1]);
    // Act
    const message = buildChatMessage(parseRunResult(record));
    // Assess: +4.2% against 2 400 000 bytes, +4.3% against 29 s
    expect(message.text).toMatch(/^Size: 2\.38 MiB \(\+4\.2% vs previous run\)$/m);
    expect(message.text).toMatch(/^Restore: 30 s \(today's measured recovery time; \+4\.3% vs previous run\)$/m);
  });

  it("takes a succeeded execution's output, else the input of the last state entered", () => {
    const entered = [
      { state: 'BackupDatabase', input: { a: 1 } },
      { state: 'RunFailed', input: { b: 2 } },
    ];
    expect(finalRunState({ out: true }, entered)).toEqual({ out: true });
    expect(finalRunState(undefined, entered)).toEqual({ b: 2 });
    expect(finalRunState(undefined, [])).toBeUndefined();
  });
});

// ---- pairing: one execution of the real definition, summarised by the local path and by the AWS path -------------

const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:pgproof-orders';
const EXEC = 'arn:aws:states:eu-west-1:123456789012:execution:pgproof-orders:e1';

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** The execution's history as GetExecutionHistory returns it (newest first): the states entered, with their input. */
function historyEventsOf(execution: LocalExecution): HistoryEvent[] {
  return execution.events
    .filter((e) => e.type === 'StateEntered')
    .map((e, i) => ({
      id: i + 2,
      timestamp: new Date(e.timestamp),
      type: 'PassStateEntered' as const,
      stateEnteredEventDetails: { name: e.state!, input: JSON.stringify(e.input) },
    }))
    .reverse();
}

/** What DescribeExecution returns for the same execution: output only when it succeeded. */
function describeOf(execution: LocalExecution) {
  return {
    executionArn: EXEC,
    stateMachineArn: ARN,
    name: 'e1',
    status: execution.status,
    startDate: new Date(STARTED),
    stopDate: new Date(STOPPED),
    ...(execution.status === 'SUCCEEDED' ? { output: JSON.stringify(execution.output) } : {}),
    ...(execution.error ? { error: execution.error } : {}),
    ...(execution.cause ? { cause: execution.cause } : {}),
  };
}

const OUTCOME_BACKUP = { key: BACKUP.key, bytes: BACKUP.bytes, seconds: BACKUP.seconds, previousBytes: 2_400_000 };
const OUTCOME_VERIFY = { restoreSeconds: 30.25, checks: 1, previous: { dumpBytes: 2_400_000, restoreSeconds: 29 } };
const CHECK_FAILED = { state: 'VerifyBackup', name: 'VerificationFailed', message: 'invoices: 0 (expected >= 1)' };
/** The run fields every database's record repeats. */
const runFields = {
  runId: RUN_ID,
  startedAt: STARTED,
  finishedAt: STOPPED,
  seconds: 300,
  reason: 'nightly',
  consoleUrl: CONSOLE,
  executionArn: times.executionArn,
};

const databaseCases: Array<[string, ExecutionOutcome, DatabaseRunRecord[]]> = [
  [
    'all verified: one record per database, run fields repeated, a new database marked',
    {
      ...times,
      status: 'SUCCEEDED',
      state: {
        ...base,
        outcomes: [
          { database: 'orders', status: 'SUCCEEDED', isNew: false, backup: OUTCOME_BACKUP, verify: OUTCOME_VERIFY },
          { database: 'billing', status: 'SUCCEEDED', isNew: true, backup: OUTCOME_BACKUP, verify: OUTCOME_VERIFY },
        ],
        chat: { posted: true },
        snitch: { checkedIn: true },
      },
    },
    [
      {
        ...runFields,
        database: 'orders',
        status: 'SUCCEEDED',
        isNew: false,
        backup: OUTCOME_BACKUP,
        verify: OUTCOME_VERIFY,
        chat: { posted: true },
        snitch: { checkedIn: true },
      },
      {
        ...runFields,
        database: 'billing',
        status: 'SUCCEEDED',
        isNew: true,
        backup: OUTCOME_BACKUP,
        verify: OUTCOME_VERIFY,
        chat: { posted: true },
        snitch: { checkedIn: true },
      },
    ],
  ],
  [
    "one failed: each database keeps its own status and error, never the run's",
    {
      ...times,
      status: 'FAILED',
      error: 'DatabasesFailed',
      cause: '1 of 2 databases failed',
      state: {
        ...base,
        status: 'FAILED',
        outcomes: [
          { database: 'orders', status: 'SUCCEEDED', backup: OUTCOME_BACKUP, verify: OUTCOME_VERIFY },
          { database: 'billing', status: 'FAILED', isNew: null, backup: OUTCOME_BACKUP, error: CHECK_FAILED },
        ],
        chat: { posted: true },
      },
    },
    [
      {
        ...runFields,
        database: 'orders',
        status: 'SUCCEEDED',
        backup: OUTCOME_BACKUP,
        verify: OUTCOME_VERIFY,
        chat: { posted: true },
      },
      {
        ...runFields,
        database: 'billing',
        status: 'FAILED',
        backup: OUTCOME_BACKUP,
        error: CHECK_FAILED,
        chat: { posted: true },
      },
    ],
  ],
  [
    'a malformed outcome is left out, the others kept',
    {
      ...times,
      status: 'SUCCEEDED',
      state: {
        ...base,
        outcomes: [
          { database: 'orders', status: 'SUCCEEDED' },
          { database: '', status: 'SUCCEEDED' },
          { database: 'billing', status: 'MAYBE' },
        ],
      },
    },
    [{ ...runFields, database: 'orders', status: 'SUCCEEDED' }],
  ],
  [
    "no outcomes (failed before the Map, or today's definition): summarizeExecution's one record, figures trimmed",
    cases[0]![1],
    [
      {
        ...runFields,
        database: 'orders',
        status: 'SUCCEEDED',
        backup: OUTCOME_BACKUP,
        verify: OUTCOME_VERIFY,
        chat: { posted: true },
        snitch: { checkedIn: true },
      },
    ],
  ],
  [
    'no outcomes and a failure: the one record keeps the error the definition recorded',
    {
      ...times,
      status: 'FAILED',
      error: 'InvalidInput',
      cause: 'x',
      state: { ...failedAt({ state: 'ValidateInput', name: 'InvalidInput', message: 'x' }), outcomes: [] },
    },
    [
      {
        ...runFields,
        database: 'orders',
        status: 'FAILED',
        error: { state: 'ValidateInput', name: 'InvalidInput', message: 'x' },
        chat: { posted: true },
      },
    ],
  ],
];

describe('summarizeDatabases', () => {
  it.each(databaseCases)('%s', (_title, execution, records) => {
    expect(summarizeDatabases(execution)).toEqual(records);
  });

  it('a running execution lists each database as RUNNING until it ends', () => {
    const records = summarizeDatabases({
      status: 'RUNNING',
      startedAt: STARTED,
      state: { ...base, outcomes: [{ database: 'orders', status: 'FAILED', error: CHECK_FAILED }] },
    });
    expect(records.map((r) => [r.database, r.status])).toEqual([['orders', 'RUNNING']]);
  });

  it('databaseOutcomeSchema reads nulls as absent and refuses an unknown status', () => {
    expect(databaseOutcomeSchema.parse({ database: 'a', status: 'FAILED', isNew: null, backup: null })).toEqual({
      database: 'a',
      status: 'FAILED',
      isNew: undefined,
      backup: undefined,
    });
    expect(databaseOutcomeSchema.safeParse({ database: 'a', status: 'RUNNING' }).success).toBe(false);
  });
});

describe('the local and the AWS history paths give the same record for the same execution', () => {
  let definition: AslDefinition;
  let fleetDefinition: AslDefinition;
  beforeAll(() => {
    definition = renderLocalDefinition('orders');
    fleetDefinition = renderLocalDefinition('prod', { databases: ['orders', 'billing', 'events'] });
  });
  beforeEach(() => sfn.reset());

  /** The backup task's input names its database (PGPROOF_DATABASE): each database gets its own result. */
  const databaseOf = (input: unknown): string =>
    (input as any).Overrides.ContainerOverrides[0].Environment.find((e: any) => e.Name === 'PGPROOF_DATABASE').Value;

  const scenarios: Array<[string, Partial<Record<string, TaskBinding>>, input?: unknown]> = [
    ['verified', {}],
    [
      'backup failed',
      {
        BackupDatabase: async () => {
          throw named('DumpFailed', 'pg_dump: error: permission denied for table payroll');
        },
      },
    ],
    [
      'verify failed',
      {
        VerifyBackup: async () => {
          throw named('VerificationFailed', 'customers exist: 0 (expected >= 1)');
        },
      },
    ],
    [
      'backup timed out',
      {
        BackupDatabase: async () => {
          throw named('States.HeartbeatTimeout', '');
        },
      },
    ],
    [
      'chat post failed after a verified backup',
      {
        ApplyRetention: async () => RETENTION_RESULT,
        NotifyRun: async () => {
          throw named('ChatPostFailed', 'the webhook answered 500');
        },
      },
    ],
    [
      'snitch check-in failed',
      {
        SnitchCheckIn: async () => {
          throw named('SnitchError', 'the snitch answered 404');
        },
      },
    ],
    ['unknown input field', {}, { reason: 'nightly', dryRun: true }],
  ];

  /** One execution of the definition a deployment gets, with the tasks answering as the engines do. */
  const execute = (overrides: Partial<Record<string, TaskBinding>>, input: unknown = {}, asl = definition) =>
    executeLocally({
      definition: asl as never,
      input: input as never,
      bindings: {
        BackupDatabase: async (i) => ({ ...BACKUP_RESULT, database: databaseOf(i) }),
        VerifyBackup: async () => VERIFY_RESULT,
        ApplyRetention: async () => RETENTION_RESULT,
        WriteReport: async (i: any) => ({ database: i.outcome.database, written: true, key: 'k' }),
        NotifyRun: async () => ({ posted: true, text: 'message' }),
        SnitchCheckIn: async () => ({ checkedIn: true }),
        NotifyFailure: async () => ({ posted: true, text: 'message' }),
        ...(overrides as Record<string, TaskBinding>),
      },
      executionName: 'e1',
    });

  /** The record the AWS path (DescribeExecution, GetExecutionHistory) makes of the same execution. */
  async function awsRecord(execution: LocalExecution): Promise<RunRecord> {
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        {
          executionArn: EXEC,
          stateMachineArn: ARN,
          name: 'e1',
          status: execution.status as 'SUCCEEDED',
          startDate: new Date(STARTED),
        },
      ],
    });
    sfn.on(DescribeExecutionCommand, { executionArn: EXEC }).resolves(describeOf(execution) as never);
    sfn.on(GetExecutionHistoryCommand, { executionArn: EXEC }).resolves({ events: historyEventsOf(execution) });
    const [aws] = await executionHistory(new SFNClient({}), ARN);
    return aws!;
  }

  /** Both records, the AWS one without the links that exist only in AWS. */
  async function bothRecords(execution: LocalExecution, database = 'orders') {
    const local = localRunRecord(execution, { database, startedAt: STARTED, finishedAt: STOPPED });
    const { consoleUrl, executionArn, ...aws } = await awsRecord(execution);
    expect(consoleUrl).toMatch(/^https:\/\//);
    expect(executionArn).toBe(EXEC);
    return { local, aws };
  }

  it.each(scenarios)('%s', async (_title, overrides, input = { reason: 'nightly' }) => {
    // Prepare
    const execution = await execute(overrides, input);
    // Act
    const { local, aws } = await bothRecords(execution);
    // Assess: the same record, per database too
    expect(local).toEqual(aws);
    expect(databaseRows(local)).toEqual(databaseRows(aws));
    expect(local.runId).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{12}$/);
    expect(local.status).toBe(execution.status);
  });

  it.each([
    ['one of three databases failed', { VerifyBackup: VERIFY_FAILS_FOR('billing') }],
    ['all three verified', {}],
  ])('three databases, %s: the same record and the same rows', async (_title, overrides) => {
    const execution = await execute(overrides as Partial<Record<string, TaskBinding>>, {}, fleetDefinition);
    const { local, aws } = await bothRecords(execution, 'prod');
    expect(local).toEqual(aws);
    expect(local.databases?.map((d) => d.database)).toEqual(['orders', 'billing', 'events']);
    expect(databaseRows(local)).toEqual(databaseRows(aws));
    expect(databaseRows(local)).toHaveLength(3);
  });

  it("records the failed step of each failure, and the verified run's figures per database", async () => {
    const record = async (overrides: Partial<Record<string, TaskBinding>>, input: unknown = {}) =>
      localRunRecord(await execute(overrides, input), { database: 'orders', startedAt: STARTED, finishedAt: STOPPED });
    const verified = await record({});
    expect(verified).toMatchObject({
      status: 'SUCCEEDED',
      database: 'orders',
      reason: 'started by hand',
      chat: { posted: true },
      snitch: { checkedIn: true },
    });
    // A Map execution carries its figures per database, trimmed as the outcome holds them
    expect(verified.databases).toEqual([
      {
        database: 'orders',
        status: 'SUCCEEDED',
        isNew: false,
        backup: { ...OUTCOME_BACKUP, sha256: SHA },
        verify: OUTCOME_VERIFY,
      },
    ]);
    expect(verified.backup).toBeUndefined();
    expect(verified.verify).toBeUndefined();
    expect(verified.error).toBeUndefined();
    // One failed database of one: the run's error is that database's own
    const backupFailed = await record(scenarios[1]![1]);
    expect(backupFailed).toMatchObject({
      status: 'FAILED',
      error: { state: 'BackupDatabase', name: 'DumpFailed', message: expect.stringContaining('permission denied') },
      chat: { posted: true },
    });
    expect(backupFailed.databases).toEqual([{ database: 'orders', status: 'FAILED', error: backupFailed.error }]);
    expect(backupFailed.snitch).toBeUndefined();
    const verifyFailed = await record(scenarios[2]![1]);
    expect(verifyFailed).toMatchObject({
      status: 'FAILED',
      error: { state: 'VerifyBackup', name: 'VerificationFailed' },
    });
    expect(verifyFailed.databases?.[0]).toMatchObject({ status: 'FAILED', isNew: false, backup: { key: BACKUP.key } });
    expect(await record(scenarios[3]![1])).toMatchObject({
      status: 'FAILED',
      error: {
        state: 'BackupDatabase',
        name: 'States.HeartbeatTimeout',
        message: expect.stringContaining('no heartbeat for 5 minutes'),
      },
    });
    expect(await record(scenarios[4]![1])).toMatchObject({
      status: 'FAILED',
      snitch: { checkedIn: true },
      error: {
        state: 'NotifyRun',
        name: CHAT_POST_FAILED,
        message: expect.stringMatching(
          /could not post to chat.* The chat post failed with ChatPostFailed: the webhook answered 500$/,
        ),
      },
    });
    const rejected = await record({}, { reason: 'nightly', dryRun: true });
    expect(rejected).toMatchObject({ status: 'FAILED', error: { state: 'ValidateInput', name: 'InvalidInput' } });
    expect(rejected.databases).toBeUndefined();
  });

  it('records a failed snitch check-in as the run error, and fails every database row with it', async () => {
    const record = localRunRecord(await execute(scenarios[5]![1]), {
      database: 'orders',
      startedAt: STARTED,
      finishedAt: STOPPED,
    });
    expect(record).toMatchObject({
      status: 'FAILED',
      error: { state: 'SnitchCheckIn', name: 'SnitchError', message: 'the snitch answered 404' },
    });
    expect(databaseRows(record).map((r) => [r.database, r.status, r.error?.name])).toEqual([
      ['orders', 'FAILED', 'SnitchError'],
    ]);
  });

  it('records one failed database of three: DatabasesFailed naming it, each database its own status', async () => {
    const record = localRunRecord(await execute({ VerifyBackup: VERIFY_FAILS_FOR('billing') }, {}, fleetDefinition), {
      database: 'prod',
      startedAt: STARTED,
      finishedAt: STOPPED,
    });
    expect(record).toMatchObject({
      status: 'FAILED',
      database: 'prod',
      error: {
        state: 'ProveDatabases',
        name: DATABASES_FAILED,
        message: '1 of 3 databases failed: billing (VerificationFailed in VerifyBackup)',
      },
      chat: { posted: true },
    });
    expect(record.databases?.map((d) => [d.database, d.status])).toEqual([
      ['orders', 'SUCCEEDED'],
      ['billing', 'FAILED'],
      ['events', 'SUCCEEDED'],
    ]);
    expect(record.snitch).toBeUndefined();
  });

  it('prints the message a run without a webhook did not post, as the notify function built it', async () => {
    const unposted = async (payload: unknown) => ({
      posted: false,
      text: buildChatMessage(parseRunResult(payload)).text,
    });
    const execution = await execute({
      BackupDatabase: async () => {
        throw named('DumpFailed', 'pg_dump exited with status 1');
      },
      NotifyRun: unposted as TaskBinding,
      SnitchCheckIn: async () => ({ checkedIn: false }),
      NotifyFailure: unposted as TaskBinding,
    });
    const record = localRunRecord(execution, { database: 'orders', startedAt: STARTED, finishedAt: STOPPED });
    expect(record.chat?.posted).toBe(false);
    expect(record.chat?.text).toMatch(/^❌ Backup FAILED: orders \(failed in BackupDatabase\)$/m);
    expect(record.consoleUrl).toBeUndefined();
  });
});

/** A VerifyBackup binding that fails one database's verification, as a failing check does. */
function VERIFY_FAILS_FOR(database: string): TaskBinding {
  return async (input) => {
    const env = (input as any).Overrides.ContainerOverrides[0].Environment as Array<{ Name: string; Value: string }>;
    if (env.find((e) => e.Name === 'PGPROOF_DATABASE')?.Value === database)
      throw named('VerificationFailed', `invoices: 0 (expected >= 1) in ${database}`);
    return VERIFY_RESULT;
  };
}

describe("summarizeExecution of a Map execution: databases and the run's error", () => {
  const outcome = (database: string, error?: { state: string; name: string; message: string }) =>
    error
      ? { database, status: 'FAILED', isNew: null, error }
      : { database, status: 'SUCCEEDED', isNew: false, backup: OUTCOME_BACKUP, verify: OUTCOME_VERIFY };
  const DUMP_FAILED = { state: 'BackupDatabase', name: 'DumpFailed', message: 'pg_dump exited with status 1' };
  /** What DatabasesFailed (the Fail state after the Map) receives: the state with outcomes, status and chat. */
  const databasesFailed = (outcomes: unknown[]): ExecutionOutcome => ({
    ...times,
    status: 'FAILED',
    error: DATABASES_FAILED,
    cause: 'At least one database was not verified',
    state: { ...base, outcomes, summary: { anyFailed: true }, status: 'FAILED', chat: { posted: true } },
  });

  it("lists every database in the run's order, trimmed as the outcome holds it", () => {
    const record = summarizeExecution({
      ...times,
      status: 'SUCCEEDED',
      state: {
        ...base,
        outcomes: [outcome('orders'), { ...outcome('billing'), isNew: true }],
        status: 'SUCCEEDED',
        chat: { posted: true },
        snitch: { checkedIn: true },
      },
    });
    expect(record).toEqual({
      ...common,
      status: 'SUCCEEDED',
      databases: [
        { database: 'orders', status: 'SUCCEEDED', isNew: false, backup: OUTCOME_BACKUP, verify: OUTCOME_VERIFY },
        { database: 'billing', status: 'SUCCEEDED', isNew: true, backup: OUTCOME_BACKUP, verify: OUTCOME_VERIFY },
      ],
      chat: { posted: true },
      snitch: { checkedIn: true },
    });
  });

  it("one failed database of one: the run's error is that database's own", () => {
    expect(summarizeExecution(databasesFailed([outcome('orders', DUMP_FAILED)])).error).toEqual(DUMP_FAILED);
  });

  it('two failed of three: DatabasesFailed, naming both with their error and state', () => {
    const record = summarizeExecution(
      databasesFailed([outcome('orders'), outcome('billing', CHECK_FAILED), outcome('events', DUMP_FAILED)]),
    );
    expect(record.error).toEqual({
      state: 'ProveDatabases',
      name: DATABASES_FAILED,
      message:
        '2 of 3 databases failed: billing (VerificationFailed in VerifyBackup), events (DumpFailed in BackupDatabase)',
    });
    expect(record.databases?.map((d) => [d.database, d.status, d.error?.name])).toEqual([
      ['orders', 'SUCCEEDED', undefined],
      ['billing', 'FAILED', 'VerificationFailed'],
      ['events', 'FAILED', 'DumpFailed'],
    ]);
  });

  it('more than ten failed: the first ten named, then "and N more"', () => {
    const failed = Array.from({ length: 13 }, (_, i) => outcome(`db${i}`, DUMP_FAILED));
    const { error } = summarizeExecution(databasesFailed([outcome('orders'), ...failed]));
    expect(error?.name).toBe(DATABASES_FAILED);
    expect(error?.message).toMatch(/^13 of 14 databases failed: db0 \(DumpFailed in BackupDatabase\), /);
    expect(error?.message).toContain('db9 (DumpFailed in BackupDatabase), and 3 more');
    expect(error?.message).not.toContain('db10');
  });

  it('a failed database without its error is named as such, never dropped', () => {
    const { error } = summarizeExecution(databasesFailed([{ database: 'orders', status: 'FAILED' }]));
    expect(error).toEqual({
      state: 'ProveDatabases',
      name: DATABASES_FAILED,
      message: '1 of 1 databases failed: orders (no error recorded)',
    });
  });

  it("a failure outside the Map keeps the step's own error, the databases all verified", () => {
    const snitch = { state: 'SnitchCheckIn', name: 'SnitchError', message: 'the snitch answered 404' };
    const record = summarizeExecution({
      ...times,
      status: 'FAILED',
      error: 'SnitchError',
      cause: 'the snitch answered 404',
      state: { ...base, outcomes: [outcome('orders'), outcome('billing')], status: 'FAILED', error: snitch },
    });
    expect(record.error).toEqual(snitch);
    expect(record.databases?.map((d) => d.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  });
});

describe('databaseRows', () => {
  const run: RunRecord = {
    ...common,
    status: 'SUCCEEDED',
    chat: { posted: true },
    databases: [
      { database: 'orders', status: 'SUCCEEDED', backup: OUTCOME_BACKUP, verify: OUTCOME_VERIFY },
      { database: 'billing', status: 'SUCCEEDED', isNew: true, backup: OUTCOME_BACKUP, verify: OUTCOME_VERIFY },
    ],
  };

  it('a run that failed outside the Map with every database verified: every row FAILED with the run error', () => {
    const error = { state: 'SnitchCheckIn', name: 'SnitchError', message: 'the snitch answered 404' };
    const rows = databaseRows({ ...run, status: 'FAILED', error });
    expect(rows.map((r) => [r.database, r.status, r.error])).toEqual([
      ['orders', 'FAILED', error],
      ['billing', 'FAILED', error],
    ]);
    // Each keeps its own figures and the run's fields
    expect(rows[1]).toMatchObject({ isNew: true, backup: OUTCOME_BACKUP, runId: RUN_ID, chat: { posted: true } });
  });

  it('a running run: every row RUNNING, whatever its outcome says', () => {
    const rows = databaseRows({
      ...run,
      status: 'RUNNING',
      databases: [run.databases![0]!, { database: 'billing', status: 'FAILED', error: CHECK_FAILED }],
    });
    expect(rows.map((r) => [r.database, r.status])).toEqual([
      ['orders', 'RUNNING'],
      ['billing', 'RUNNING'],
    ]);
  });

  it("a run whose databases failed: each row its own status and error, never the run's", () => {
    const rows = databaseRows({
      ...run,
      status: 'FAILED',
      error: { state: 'ProveDatabases', name: DATABASES_FAILED, message: '1 of 2 databases failed' },
      databases: [run.databases![0]!, { database: 'billing', status: 'FAILED', error: CHECK_FAILED }],
    });
    expect(rows.map((r) => [r.database, r.status, r.error])).toEqual([
      ['orders', 'SUCCEEDED', undefined],
      ['billing', 'FAILED', CHECK_FAILED],
    ]);
    expect(rows.every((r) => !('databases' in r))).toBe(true);
  });
});

describe('a run that ended inside a Map item (stopped, timed out)', () => {
  /** The item's state where the execution ended: ItemSelector's fields and what the item's tasks added. */
  const itemState = {
    item: { database: 'billing', isNew: null },
    database: 'prod',
    runId: RUN_ID,
    reason: 'nightly',
    backup: BACKUP_RESULT,
  };

  it('aborted: that database failed, with the execution error; the run labelled as the run', () => {
    const record = summarizeExecution({
      ...times,
      status: 'ABORTED',
      cause: 'stopped by an operator',
      state: itemState,
    });
    const aborted = { state: 'Execution', name: EXECUTION_ABORTED, message: 'stopped by an operator' };
    // The item's state has no console link: the record has none
    const { consoleUrl: _none, ...runCommon } = common;
    expect(record).toEqual({
      ...runCommon,
      database: 'prod',
      status: 'FAILED',
      error: aborted,
      databases: [
        {
          database: 'billing',
          status: 'FAILED',
          backup: {
            key: BACKUP.key,
            bytes: BACKUP.bytes,
            seconds: BACKUP.seconds,
            sha256: SHA,
            previousBytes: 2_400_000,
          },
          error: aborted,
        },
      ],
    });
    // The item's whole backup result is not the run's
    expect(record.backup).toBeUndefined();
  });

  it('timed out before its backup: that database failed with ExecutionTimedOut, one row for it', () => {
    const { backup: _none, ...beforeBackup } = itemState;
    const rows = summarizeDatabases({ ...times, status: 'TIMED_OUT', state: beforeBackup });
    expect(rows.map((r) => [r.database, r.status, r.error?.name, r.backup])).toEqual([
      ['billing', 'FAILED', EXECUTION_TIMED_OUT, undefined],
    ]);
  });

  it('a local run stopped during a backup: the same record by the local and the AWS path', async () => {
    // GIVEN a run aborted while its one database's backup runs
    const definition = renderLocalDefinition('orders');
    const controller = new AbortController();
    const execution = await executeLocally({
      definition: definition as never,
      input: {},
      executionName: 'e1',
      signal: controller.signal,
      bindings: {
        BackupDatabase: () => {
          setImmediate(() => controller.abort());
          return new Promise(() => undefined);
        },
        VerifyBackup: async () => VERIFY_RESULT,
        ApplyRetention: async () => RETENTION_RESULT,
        WriteReport: async (i: any) => ({ database: i.outcome.database, written: true, key: 'k' }),
        NotifyRun: async () => ({ posted: true }),
        SnitchCheckIn: async () => ({ checkedIn: true }),
        NotifyFailure: async () => ({ posted: true }),
      },
    });
    expect(execution.status).toBe('ABORTED');
    sfn.reset();
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        { executionArn: EXEC, stateMachineArn: ARN, name: 'e1', status: 'ABORTED', startDate: new Date(STARTED) },
      ],
    });
    sfn.on(DescribeExecutionCommand, { executionArn: EXEC }).resolves(describeOf(execution) as never);
    sfn.on(GetExecutionHistoryCommand, { executionArn: EXEC }).resolves({ events: historyEventsOf(execution) });
    // WHEN
    const local = localRunRecord(execution, { database: 'orders', startedAt: STARTED, finishedAt: STOPPED });
    const [aws] = await executionHistory(new SFNClient({}), ARN);
    // THEN the same record but for the stop's message (a local stop says Ctrl-C; AWS gives StopExecution's cause)
    const { consoleUrl: _c, executionArn: _e, ...sameAsLocal } = aws!;
    const shape = (r: RunRecord) => ({
      ...r,
      error: r.error && { state: r.error.state, name: r.error.name },
      databases: r.databases?.map((d) => ({ ...d, error: d.error && { state: d.error.state, name: d.error.name } })),
    });
    expect(shape(local)).toEqual(shape(sameAsLocal));
    expect(local).toMatchObject({ status: 'FAILED', database: 'orders', error: { name: EXECUTION_ABORTED } });
    expect(local.databases).toEqual([
      { database: 'orders', status: 'FAILED', error: expect.objectContaining({ name: EXECUTION_ABORTED }) },
    ]);
  });
});
