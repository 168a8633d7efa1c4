import { beforeAll, describe, expect, it } from 'vitest';
import { summarizeExecution, databaseOutcomeSchema, DATABASES_FAILED } from '../../lib/contracts/run-record';
import { STATE } from '../../lib/contracts/state-names';
import { renderDefinition, type AslDefinition } from '../../lib/render-definition';
import { CHAT_POST_FAILED, INVALID_INPUT } from '../../lib/run-definition';
import { executeLocally, type TaskBinding } from '../../lib/local/state-machine-runner';
import { type AslStates, itemStates, reachable } from '../helpers/asl';
import { buildPgProof } from '../helpers/cdk';
import { buildFleetPgProof } from '../helpers/fleet';

/** What the retention step answers (the Lambda's result, trimmed by the state's ResultSelector). */
const RETENTION_RESULT = { kept: 3, expired: 0, tagged: 4, locked: 0 };

// Re-verifying an existing backup: the run input {"verifyBackup": KEY, "reason"?: TEXT} in the same definition.

let asl: AslDefinition & { States: AslStates };
let fleetAsl: AslDefinition & { States: AslStates };
let allAsl: AslDefinition & { States: AslStates };

beforeAll(() => {
  // GIVEN the definition of one database, of a fleet of three, and of "all"
  asl = renderDefinition(buildPgProof().pgProof.stateMachine) as typeof asl;
  fleetAsl = renderDefinition(buildFleetPgProof(['a', 'b', 'c']).pgProof.stateMachine) as typeof fleetAsl;
  allAsl = renderDefinition(buildFleetPgProof('all').pgProof.stateMachine) as typeof allAsl;
});

const KEY = 'pgproof/orders/2026-11-24/20261124T030000Z-9f2c41d0ab12.dump.zst';

const VERIFY = {
  restoreSeconds: 3,
  checks: [{ name: 'row counts', passed: true }],
  skippedExtensions: [],
  previous: { runId: '20261123T030000Z-0123456789ab', dumpBytes: 1000, restoreSeconds: 2 },
};

const envOf = (input: any): Record<string, string> =>
  Object.fromEntries(input.Overrides.ContainerOverrides[0].Environment.map((e: any) => [e.Name, e.Value]));

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

async function run(input: unknown, overrides: Partial<Record<string, TaskBinding>> = {}, definition = asl) {
  const calls: Record<string, any[]> = {};
  const record =
    (name: string, result: (input: any) => unknown): TaskBinding =>
    async (i) => {
      calls[name] ??= [];
      calls[name].push(i);
      return (await result(i)) as never;
    };
  const bindings: Record<string, TaskBinding> = {
    BackupDatabase: record('BackupDatabase', () => {
      throw new Error('a re-verification must not back up');
    }),
    DiscoverDatabases: record('DiscoverDatabases', () => {
      throw new Error('a re-verification must not discover');
    }),
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

describe('input validation', () => {
  it('rejects a verifyBackup that is not text, naming the field and how to list keys, before any task', async () => {
    const { result, calls } = await run({ verifyBackup: 42 });
    expect(result).toMatchObject({
      status: 'FAILED',
      error: INVALID_INPUT,
      cause: expect.stringContaining('verifyBackup must be text'),
    });
    expect(result.cause).toContain('pgproof backups');
    expect(calls.VerifyBackup).toBeUndefined();
    expect(calls.NotifyRun).toBeUndefined();
    expect(calls.NotifyFailure![0].error).toMatchObject({ state: STATE.validateInput, name: INVALID_INPUT });
  });

  it.each([[{ verifyBackup: null }], [{ verifyBackup: ['a'] }], [{ verifyBackup: { key: KEY } }]])(
    'rejects %j as not text',
    async (input) => {
      const { result } = await run(input);
      expect(result).toMatchObject({ status: 'FAILED', error: INVALID_INPUT });
    },
  );

  it('rejects a reason that is not text next to a verifyBackup', async () => {
    const { result, calls } = await run({ verifyBackup: KEY, reason: 7 });
    expect(result).toMatchObject({ status: 'FAILED', cause: expect.stringContaining('reason must be text') });
    expect(calls.VerifyBackup).toBeUndefined();
  });

  it('rejects an unknown field next to verifyBackup, naming it', async () => {
    const { result, calls } = await run({ verifyBackup: KEY, reason: 'x', dryRun: true });
    expect(result).toMatchObject({ status: 'FAILED', error: INVALID_INPUT, cause: expect.stringContaining('dryRun') });
    expect(result.cause).toContain('verifyBackup');
    expect(calls.VerifyBackup).toBeUndefined();
    expect(calls.SnitchCheckIn).toBeUndefined();
  });

  it.each([
    ['verifyBackup then reason', { verifyBackup: KEY, reason: 'before "migration" \\ 2' }],
    ['reason then verifyBackup', { reason: 'before "migration" \\ 2', verifyBackup: KEY }],
    ['verifyBackup alone', { verifyBackup: KEY }],
  ])('accepts %s', async (_t, input) => {
    const { result, calls } = await run(input);
    expect(result.status).toBe('SUCCEEDED');
    expect(calls.VerifyBackup).toHaveLength(1);
    expect(calls.NotifyRun![0].reason).toBe('reason' in input ? input.reason : 'started by hand');
  });
});

describe('the re-verification path', () => {
  it("verifies only the given backup, for the key's database, without backing up or checking the snitch in", async () => {
    // WHEN
    const { result, calls } = await run({ verifyBackup: KEY, reason: 'before migration' });

    // THEN VerifyBackup got the key, for the database of its folder; nothing made a backup
    expect(calls.BackupDatabase).toBeUndefined();
    expect(calls.VerifyBackup).toHaveLength(1);
    expect(envOf(calls.VerifyBackup![0])).toMatchObject({ PGPROOF_BACKUP_KEY: KEY, PGPROOF_DATABASE: 'orders' });
    // AND the chat gets one message saying which backup was verified again
    expect(calls.NotifyRun).toHaveLength(1);
    expect(calls.NotifyRun![0]).toMatchObject({
      status: 'SUCCEEDED',
      verifyBackup: KEY,
      reason: 'before migration',
      outcomes: [{ database: 'orders', status: 'SUCCEEDED', isNew: false, backup: { key: KEY, bytes: null } }],
    });
    // AND the dead-man's switch is left alone: the run made no backup
    expect(calls.SnitchCheckIn).toBeUndefined();
    expect(calls.NotifyFailure).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).not.toHaveProperty('snitch');

    // AND the outcome satisfies the outcome schema (its null figures leave the backup out) and the run record
    const outcome = databaseOutcomeSchema.parse((result.output as any).outcomes[0]);
    expect(outcome).toMatchObject({ database: 'orders', status: 'SUCCEEDED', isNew: false });
    expect(outcome.backup).toBeUndefined();
    const record = summarizeExecution({ status: 'SUCCEEDED', startedAt: '2026-12-01T00:00:00Z', state: result.output });
    expect(record).toMatchObject({
      status: 'SUCCEEDED',
      verifyBackup: KEY,
      databases: [{ database: 'orders', status: 'SUCCEEDED', verify: { restoreSeconds: 3, checks: 1 } }],
    });
    expect(record.snitch).toBeUndefined();
    expect(record.databases![0]!.backup).toBeUndefined();
  });

  it('fails as DatabasesFailed when the backup no longer verifies, with the error in its outcome, no check-in', async () => {
    const { result, calls } = await run(
      { verifyBackup: KEY },
      {
        VerifyBackup: () => {
          throw named('BackupNotFound', `no manifest at s3://b/${KEY}`);
        },
      },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: DATABASES_FAILED });
    expect(calls.NotifyRun![0].outcomes).toEqual([
      expect.objectContaining({
        database: 'orders',
        status: 'FAILED',
        error: { state: STATE.verifyBackup, name: 'BackupNotFound', message: `no manifest at s3://b/${KEY}` },
      }),
    ]);
    expect(calls.SnitchCheckIn).toBeUndefined();
    const record = summarizeExecution({
      status: 'FAILED',
      startedAt: '2026-12-01T00:00:00Z',
      state: calls.NotifyRun![0],
    });
    expect(record.verifyBackup).toBe(KEY);
    expect(record.error).toMatchObject({ state: STATE.verifyBackup, name: 'BackupNotFound' });
  });

  it('still fails visibly when the chat post fails, without checking in', async () => {
    const { result, calls } = await run(
      { verifyBackup: KEY },
      {
        NotifyRun: () => {
          throw named('ChatPostError', 'webhook answered 500');
        },
      },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: CHAT_POST_FAILED });
    expect(calls.SnitchCheckIn).toBeUndefined();
  });

  it('proves one item in a fleet (the listed databases are not backed up) and discovers nothing for "all"', async () => {
    for (const definition of [fleetAsl, allAsl]) {
      const { result, calls } = await run(
        { verifyBackup: 'pgproof/b/2026-11-24/20261124T030000Z-9f2c41d0ab12.dump' },
        {},
        definition,
      );
      expect(result.status).toBe('SUCCEEDED');
      expect(calls.DiscoverDatabases).toBeUndefined();
      expect(calls.BackupDatabase).toBeUndefined();
      expect(calls.VerifyBackup!.map((i) => envOf(i).PGPROOF_DATABASE)).toEqual(['b']);
      expect(calls.SnitchCheckIn).toBeUndefined();
    }
  });

  it.each([
    ['a key without folders', 'latest', '-'],
    ['a key under an empty prefix', 'orders/2026-11-24/20261124T030000Z-9f2c41d0ab12.dump.zst', 'orders'],
  ])('reaches VerifyBackup with %s (which judges the key), never failing the run state itself', async (_t, key, db) => {
    const { result, calls } = await run({ verifyBackup: key });
    expect(result.status).toBe('SUCCEEDED');
    expect(envOf(calls.VerifyBackup![0])).toMatchObject({ PGPROOF_BACKUP_KEY: key, PGPROOF_DATABASE: db });
  });

  it('backs up as before when no verifyBackup is given (the scheduled run)', async () => {
    const { result, calls } = await run(
      { reason: 'scheduled' },
      {
        BackupDatabase: async () => ({
          key: KEY,
          bytes: 1,
          seconds: 1,
          sha256: 'a'.repeat(64),
          previousBytes: null,
          isNew: false,
        }),
      },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(calls.BackupDatabase).toHaveLength(1);
    expect(calls.SnitchCheckIn).toHaveLength(1);
    expect(calls.NotifyRun![0]).not.toHaveProperty('verifyBackup');
  });
});

describe('the graph', () => {
  it("lists the key's one database after the input is accepted, with neither ListDatabases nor discovery", () => {
    for (const definition of [asl, fleetAsl, allAsl]) {
      const check = definition.States.CheckInputFields!;
      expect(check.Choices[0]).toMatchObject({ Next: STATE.prepareVerifyBackupItem });
      expect(JSON.stringify(check.Choices[0])).toContain('"Variable":"$.verifyBackup","IsPresent":true');
      const path = reachable(definition.States, [STATE.prepareVerifyBackupItem]);
      expect(path.has(STATE.listDatabases)).toBe(false);
      expect(path.has(STATE.discoverDatabases)).toBe(false);
      expect(definition.States.ListVerifyBackup).toMatchObject({
        Type: 'Pass',
        ResultPath: '$.discovered',
        Next: STATE.proveDatabases,
      });
    }
  });

  it("never reaches SnitchCheckIn on the re-verification path: CheckVerifyBackupRun's branch goes around it", () => {
    for (const definition of [asl, fleetAsl, allAsl]) {
      // GIVEN the walk from the re-verification's first state, taking at CheckVerifyBackupRun only the branch whose
      // condition holds on that path ($.verifyBackup present: set by the input's reading, rewritten by no state)
      const walk = reachable(
        definition.States,
        [STATE.prepareVerifyBackupItem],
        (via) => via === 'CheckVerifyBackupRun.Default',
      );
      // THEN it reaches the run's end, verified or failed, but never the snitch
      expect(walk.has(STATE.notifyRun)).toBe(true);
      expect(walk.has(STATE.backupVerified)).toBe(true);
      expect(walk.has(STATE.databasesFailed)).toBe(true);
      expect(walk.has(STATE.snitchCheckIn)).toBe(false);
      expect(walk.has(STATE.checkAllVerified)).toBe(false);
      expect(definition.States.CheckVerifyBackupRun).toMatchObject({
        Choices: [{ Variable: '$.verifyBackup', IsPresent: true, Next: STATE.checkBackupReverified }],
        Default: STATE.checkAllVerified,
      });
      // No state on the way drops $.verifyBackup: none writes it, none replaces the state through OutputPath
      for (const name of walk) {
        const state = definition.States[name]!;
        expect(state.ResultPath ?? '', name).not.toMatch(/^\$(\.verifyBackup)?$/);
        expect(state.OutputPath, name).toBeUndefined();
        expect(Boolean(state.Type === 'Pass' && state.Parameters && !state.ResultPath), name).toBe(false);
      }
    }
  });

  it('skips BackupDatabase in the item of a re-verification, and gives VerifyBackup the given key', () => {
    const item = itemStates(asl);
    expect(item.CheckBackupGiven).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.item.verifyBackup', IsPresent: true, Next: STATE.useGivenBackup }],
      Default: STATE.backupDatabase,
    });
    expect(item.UseGivenBackup).toMatchObject({
      Type: 'Pass',
      ResultPath: '$.backup',
      Parameters: { 'key.$': '$.item.verifyBackup', isNew: false },
      Next: STATE.verifyBackup,
    });
    const walk = reachable(item, [STATE.useGivenBackup]);
    expect(walk.has(STATE.backupDatabase)).toBe(false);
    expect(walk.has(STATE.databaseVerified)).toBe(true);
    // Every field DatabaseVerified reads of $.backup is set (null figures), so the item cannot fail on a missing path
    const read = Object.values(item.DatabaseVerified!.Parameters.backup as Record<string, string>).map((p) =>
      p.replace('$.backup.', ''),
    );
    for (const field of read) expect(Object.keys(item.UseGivenBackup!.Parameters)).toContain(`${field}.$`);
  });
});
