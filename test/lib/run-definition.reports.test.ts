// WriteReports: each database's report after SummarizeRun; a report that cannot be written changes nothing else.
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_CONCURRENCY } from '../../lib/common/defaults';
import { STATE } from '../../lib/contracts/state-names';
import { executeLocally, type TaskBinding } from '../../lib/local/state-machine-runner';
import { renderDefinition, type AslDefinition } from '../../lib/render-definition';
import { type AslStates, reachable } from '../helpers/asl';
import { buildPgProof } from '../helpers/cdk';
import { buildFleetPgProof } from '../helpers/fleet';

let asl: AslDefinition & { States: AslStates };
let fleet: AslDefinition & { States: AslStates };

beforeAll(() => {
  asl = renderDefinition(buildPgProof().pgProof.stateMachine) as typeof asl;
  fleet = renderDefinition(
    buildFleetPgProof(['a', 'b', 'c'], () => ({ maxConcurrency: 7 })).pgProof.stateMachine,
  ) as typeof fleet;
});

const named = (name: string, message: string) => Object.assign(new Error(message), { name });
const envOf = (input: any): Record<string, string> =>
  Object.fromEntries(input.Overrides.ContainerOverrides[0].Environment.map((e: any) => [e.Name, e.Value]));
const backupOf = (database: string) => ({
  key: `pgproof/${database}/2026-01-01/20260101T030000Z-0123456789.dump.zst`,
  bytes: 1234,
  sha256: 'a'.repeat(64),
  seconds: 2,
  previousBytes: null,
  isNew: false,
});
const VERIFY = { restoreSeconds: 3, checks: [{ name: 'c', passed: true }], skippedExtensions: [], previous: null };

async function run(definition: AslDefinition, input: unknown, overrides: Record<string, (i: any) => unknown> = {}) {
  const calls: Record<string, any[]> = {};
  const record =
    (name: string, result: (input: any) => unknown): TaskBinding =>
    async (i) => {
      calls[name] ??= [];
      calls[name].push(i);
      return (await result(i)) as never;
    };
  const defaults: Record<string, (i: any) => unknown> = {
    BackupDatabase: (i) => backupOf(envOf(i).PGPROOF_DATABASE!),
    VerifyBackup: () => VERIFY,
    ApplyRetention: () => ({ kept: 1, expired: 0 }),
    WriteReport: (i) => ({ database: i.outcome.database, written: true, key: 'pgproof/x/report.html' }),
    NotifyRun: () => ({ posted: true }),
    SnitchCheckIn: () => ({ checkedIn: true }),
    NotifyFailure: () => ({ posted: true }),
  };
  const bindings: Record<string, TaskBinding> = {};
  for (const [name, fn] of Object.entries({ ...defaults, ...overrides }))
    bindings[name] = record(name, fn as (i: any) => unknown);
  const result = await executeLocally({
    definition: definition as never,
    input: input as never,
    bindings,
    executionName: 't',
  });
  return { result, calls };
}

describe('the WriteReports Map', () => {
  it('maps over the outcomes after SummarizeRun, at the run Map concurrency, into $.reports, then CheckOutcomes', () => {
    expect(asl.States.SummarizeRun!.Next).toBe(STATE.writeReports);
    for (const [definition, concurrency] of [
      [asl, DEFAULT_MAX_CONCURRENCY],
      [fleet, 7],
    ] as const) {
      expect(definition.States.WriteReports).toMatchObject({
        Type: 'Map',
        ItemsPath: '$.outcomes',
        ItemSelector: { 'outcome.$': '$$.Map.Item.Value', 'runId.$': '$.runId', 'reason.$': '$.reason' },
        MaxConcurrency: concurrency,
        ResultPath: '$.reports',
        Next: STATE.checkOutcomes,
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.reportsFailed', Next: STATE.writeReportsFailed }],
        ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: STATE.writeReport },
      });
      expect(definition.States.ProveDatabases!.MaxConcurrency).toBe(concurrency);
    }
    expect(asl.States.WriteReportsFailed).toMatchObject({
      Type: 'Pass',
      Parameters: { state: STATE.writeReports, 'name.$': '$.reportsFailed.Error' },
      ResultPath: '$.reportsFailed',
      Next: STATE.checkOutcomes,
    });
  });

  it('invokes WriteReport with the item (2 minutes, throttles retried), catching every error into an item end', () => {
    const item = asl.States.WriteReports!.ItemProcessor.States as AslStates;
    expect(Object.keys(item).sort()).toEqual([STATE.writeReport, STATE.writeReportFailed]);
    expect(item.WriteReport).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      TimeoutSeconds: 120,
      Parameters: { 'Payload.$': '$' },
      ResultSelector: { 'database.$': '$.Payload.database', 'written.$': '$.Payload.written' },
      End: true,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: STATE.writeReportFailed }],
    });
    expect(item.WriteReport!.ResultPath).toBeUndefined();
    expect(item.WriteReport!.Retry).toContainEqual(
      expect.objectContaining({ ErrorEquals: ['Lambda.TooManyRequestsException'] }),
    );
    expect(item.WriteReportFailed).toMatchObject({
      Type: 'Pass',
      End: true,
      Parameters: {
        'database.$': '$.outcome.database',
        written: false,
        error: { state: STATE.writeReport, 'name.$': '$.error.Error' },
      },
    });
    expect(item.WriteReportFailed!.ResultPath).toBeUndefined();
  });

  it("leaves the run's path as it was: every exit reaches CheckOutcomes, the snitch only through CheckAllVerified", () => {
    const exits = reachable(asl.States, [STATE.writeReports], (via) => via.startsWith(`${STATE.checkOutcomes}.`));
    expect([...exits].sort()).toEqual([STATE.checkOutcomes, STATE.writeReports, STATE.writeReportsFailed].sort());
    expect(
      reachable(asl.States, [STATE.writeReports], (via) => via === 'CheckAllVerified.Choice').has(STATE.snitchCheckIn),
    ).toBe(false);
    // Neither state writes $.status, $.error or $.outcomes
    for (const name of [STATE.writeReports, STATE.writeReportsFailed])
      expect(['$.status', '$.error', '$.outcomes', '$']).not.toContain(asl.States[name]!.ResultPath);
  });
});

describe('executed locally', () => {
  it('gives each database its outcome, run id and reason, and records whether each report was written', async () => {
    const { result, calls } = await run(fleet, { reason: 'nightly' });
    expect(result.status).toBe('SUCCEEDED');
    expect(calls.WriteReport).toHaveLength(3);
    const runId = calls.NotifyRun![0].runId;
    expect(calls.WriteReport!.map((i) => i.outcome.database).sort()).toEqual(['a', 'b', 'c']);
    expect(calls.WriteReport![0]).toEqual({
      outcome: expect.objectContaining({ status: 'SUCCEEDED', retention: { kept: 1, expired: 0 } }),
      runId,
      reason: 'nightly',
    });
    expect(calls.NotifyRun![0].reports).toEqual(['a', 'b', 'c'].map((database) => ({ database, written: true })));
  });

  it('a report that cannot be written changes neither the status nor the check-in; the chat gets its error name', async () => {
    const { result, calls } = await run(
      fleet,
      {},
      {
        WriteReport: (i: any) => {
          if (i.outcome.database === 'b') throw named('ReportNotWritten', 'writing the report failed: AccessDenied');
          return { database: i.outcome.database, written: true, key: 'k' };
        },
      },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(calls.SnitchCheckIn).toHaveLength(1);
    expect(calls.NotifyRun![0]).toMatchObject({ status: 'SUCCEEDED', summary: { anyFailed: false } });
    expect(calls.NotifyRun![0].reports).toEqual([
      { database: 'a', written: true },
      { database: 'b', written: false, error: { state: STATE.writeReport, name: 'ReportNotWritten' } },
      { database: 'c', written: true },
    ]);
  });

  it('writes the report of a failed database too, and a failed run stays failed without checking in', async () => {
    const { result, calls } = await run(
      fleet,
      {},
      {
        VerifyBackup: (i: any) => {
          if (envOf(i).PGPROOF_DATABASE === 'a') throw named('VerificationFailed', '1 of 1 checks failed');
          return VERIFY;
        },
        WriteReport: () => {
          throw named('ReportNotWritten', 'down');
        },
      },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'DatabasesFailed' });
    expect(calls.SnitchCheckIn).toBeUndefined();
    const written = calls.WriteReport!.map((i) => [i.outcome.database, i.outcome.status]).sort();
    expect(written).toEqual([
      ['a', 'FAILED'],
      ['b', 'SUCCEEDED'],
      ['c', 'SUCCEEDED'],
    ]);
    expect(calls.WriteReport!.find((i) => i.outcome.database === 'a').outcome.error).toMatchObject({
      state: STATE.verifyBackup,
      name: 'VerificationFailed',
    });
  });

  it('writes the report of a re-verification (its outcome names the key folder)', async () => {
    const key = 'pgproof/orders/2026-11-24/20261124T030000Z-9f2c41d0ab12.dump.zst';
    const { result, calls } = await run(asl, { verifyBackup: key });
    expect(result.status).toBe('SUCCEEDED');
    expect(calls.SnitchCheckIn).toBeUndefined();
    expect(calls.WriteReport).toEqual([
      {
        outcome: expect.objectContaining({ database: 'orders', status: 'SUCCEEDED' }),
        runId: expect.any(String),
        reason: 'started by hand',
      },
    ]);
  });
});
