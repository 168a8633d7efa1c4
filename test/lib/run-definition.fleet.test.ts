import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_CONCURRENCY } from '../../lib/common/defaults';
import { MAX_DATABASES, MAX_ERROR_MESSAGE_CHARS, MAX_REASON_CHARS } from '../../lib/common/rules';
import { STATE } from '../../lib/contracts/state-names';
import { executeLocally, type TaskBinding } from '../../lib/local/state-machine-runner';
import { renderDefinition, type AslDefinition } from '../../lib/render-definition';
import { allStates, type AslState, itemStates } from '../helpers/asl';
import { buildPgProof } from '../helpers/cdk';
import { buildFleetPgProof } from '../helpers/fleet';

/** What the retention step answers (the Lambda's result, trimmed by the state's ResultSelector). */
const RETENTION_RESULT = { kept: 3, expired: 0, tagged: 4, locked: 0 };

// Step Functions caps a state's input and output at 256 KiB (UTF-8 bytes of its JSON): after the Map, the run state
// holds one outcome per database, so 200 of them at their largest must fit (docs/fleet-design.md, "Limits").
const STATE_LIMIT_BYTES = 256 * 1024;
/** Step Functions' limit of intrinsic functions in one field. */
const MAX_INTRINSICS_PER_FIELD = 10;

/** A database id at PostgreSQL's longest name (63 bytes), distinct per index. */
const longId = (i: number) => `${'fleet_database_with_a_rather_long_descriptive_name_'}${String(i).padStart(12, '0')}`;
const FLEET = Array.from({ length: MAX_DATABASES }, (_, i) => longId(i));

let asl: AslDefinition;
let configured: AslDefinition;
let fleet: AslDefinition;

beforeAll(() => {
  // GIVEN today's single database, a fleet with its own concurrency, and the largest fleet
  asl = renderDefinition(buildPgProof().pgProof.stateMachine);
  configured = renderDefinition(
    buildFleetPgProof(['a', 'b', 'c'], () => ({ maxConcurrency: 12 })).pgProof.stateMachine,
  );
  fleet = renderDefinition(buildFleetPgProof(FLEET, () => ({ maxConcurrency: 40 })).pgProof.stateMachine);
});

describe('the Map', () => {
  it(`proves ${DEFAULT_MAX_CONCURRENCY} databases at once by default, and the configured number otherwise`, () => {
    expect(DEFAULT_MAX_CONCURRENCY).toBe(4);
    expect(asl.States.ProveDatabases).toMatchObject({ Type: 'Map', MaxConcurrency: DEFAULT_MAX_CONCURRENCY });
    expect(configured.States.ProveDatabases).toMatchObject({ Type: 'Map', MaxConcurrency: 12 });
    expect(fleet.States.ProveDatabases).toMatchObject({ MaxConcurrency: 40 });
    expect((fleet.States.ListDatabases!.Result as { databases: unknown[] }).databases).toHaveLength(MAX_DATABASES);
  });

  it("gives each item only the list's entry, the run's label, id and reason (ItemSelector)", () => {
    for (const definition of [asl, configured, fleet])
      expect(definition.States.ProveDatabases!.ItemSelector).toEqual({
        'item.$': '$$.Map.Item.Value',
        'database.$': '$.database',
        'runId.$': '$.runId',
        'reason.$': '$.reason',
      });
  });

  it('catches States.ALL on every Task inside the item, into a Pass that ends the item', () => {
    for (const definition of [asl, configured, fleet]) {
      const item = itemStates(definition);
      const tasks = Object.entries(item).filter(([, s]) => s.Type === 'Task');
      expect(tasks.length).toBeGreaterThan(0);
      for (const [name, task] of tasks) {
        const catches = task.Catch as AslState[];
        expect(catches.at(-1), name).toMatchObject({ ErrorEquals: ['States.ALL'], ResultPath: '$.error' });
        for (const c of catches) expect(item[c.Next], `${name} → ${c.Next}`).toMatchObject({ Type: 'Pass', End: true });
      }
    }
  });

  it("runs every item with its own entry, the run's label, id and reason, and no more of the run state", async () => {
    // WHEN five databases run locally at a concurrency of 2, each failing its backup
    const inFlight = { now: 0, most: 0 };
    const small = renderDefinition(
      buildFleetPgProof(['a', 'b', 'c', 'd', 'e'], () => ({ maxConcurrency: 2 })).pgProof.stateMachine,
    );
    const execution = await executeLocally({
      definition: small as never,
      input: { reason: 'fleet' },
      executionName: 'selector',
      bindings: {
        BackupDatabase: async () => {
          inFlight.now += 1;
          inFlight.most = Math.max(inFlight.most, inFlight.now);
          await new Promise((resolve) => setTimeout(resolve, 20));
          inFlight.now -= 1;
          throw Object.assign(new Error('refused'), { name: 'DatabaseConnectionFailed' });
        },
        VerifyBackup: async () => null,
        ApplyRetention: async () => RETENTION_RESULT,
        WriteReport: async (i: any) => ({ database: i.outcome.database, written: true, key: 'k' }),
        NotifyRun: async () => ({ posted: true }),
        SnitchCheckIn: async () => ({ checkedIn: true }),
        NotifyFailure: async () => ({ posted: true }),
      },
    });
    // THEN
    expect(inFlight.most).toBeLessThanOrEqual(2);
    const entered = execution.events.filter((e) => e.type === 'StateEntered' && e.state === STATE.backupDatabase);
    expect(entered).toHaveLength(5);
    const runId = (execution.events.find((e) => e.state === STATE.proveDatabases)!.input as any).runId;
    expect(
      entered.map((e) => e.input).sort((x: any, y: any) => x.item.database.localeCompare(y.item.database)),
    ).toEqual(
      ['a', 'b', 'c', 'd', 'e'].map((database) => ({
        item: { database, isNew: null },
        database: 'orders',
        runId,
        reason: 'fleet',
      })),
    );
  });
});

// ---- the run state after the Map, at its largest -------------------------------------------------------------------

/** A JSON-unfriendly but realistic error text: quotes and line breaks, escaped in the state's JSON. */
const errorText = (database: string) =>
  `pg_restore: error: could not execute query: ERROR:  relation "public.${database}" does not exist\nLINE 1: select count(*) from "public"."${database}"\n`
    .repeat(10)
    .slice(0, MAX_ERROR_MESSAGE_CHARS);
/** A long key: a two-level prefix, the 63-character id, the date and the run id. */
const keyOf = (database: string, suffix: string) =>
  `pgproof/production/${database}/2026-11-24/20261124T030000Z-0123456789ab${suffix}`;

/** The backup engine's whole result (containers/backup/backup.ts BackupResult), at its largest. */
const backupResult = (database: string) => ({
  runId: '20261124T030000Z-0123456789ab',
  database,
  bucket: 'a-bucket-name-at-the-longest-s3-allows-which-is-63-characters-x',
  key: keyOf(database, '.dump.zst'),
  manifestKey: keyOf(database, '.manifest.json'),
  bytes: 999_999_999_999,
  sha256: 'f'.repeat(64),
  seconds: 12_345.678,
  tables: 99_999,
  rows: 9_999_999_999,
  compression: { method: 'zstd', level: 19, threads: 16 },
  // The engine keeps the version number only (server_version up to its first space)
  serverVersion: '17.2',
  pgDumpVersion: '17.2',
  previousBytes: 999_999_999_998,
  isNew: false,
});
/** The verify engine's result, at its largest: many checks (the outcome keeps their count) and skipped extensions. */
const verifyResult = (database: string) => ({
  runId: '20261124T030000Z-0123456789ab',
  database,
  key: keyOf(database, '.dump.zst'),
  bytes: 999_999_999_999,
  downloadSeconds: 999.5,
  restoreSeconds: 12_345.678,
  serverMajor: 17,
  tables: 99_999,
  rows: 9_999_999_999,
  checks: Array.from({ length: 50 }, (_, i) => ({ name: `check ${i}`, passed: true, value: '1', expectation: '>= 1' })),
  deepProof: true,
  skippedExtensions: ['aws_commons', 'aws_s3', 'aws_lambda', 'rds_tools', 'pg_transport'],
  previous: { runId: '20261123T030000Z-0123456789ab', dumpBytes: 999_999_999_998, restoreSeconds: 12_345.678 },
});

/** A Lambda error's Cause as Step Functions records it: the function's error JSON, stack trace included. */
const LAMBDA_CAUSE = JSON.stringify({
  errorType: 'ChatPostFailed',
  errorMessage: `the webhook answered 500: ${'x'.repeat(MAX_ERROR_MESSAGE_CHARS)}`,
  trace: Array.from({ length: 20 }, (_, i) => `    at frame${i} (/var/task/index.js:${i}:${i})`),
});

const named = (name: string, message: string) => Object.assign(new Error(message), { name });

/** Runs the 200-database definition locally; returns the largest state any top-level state entered or left. */
async function largestRunState(bindings: Partial<Record<string, TaskBinding>>) {
  const env = (input: any): Record<string, string> =>
    Object.fromEntries(input.Overrides.ContainerOverrides[0].Environment.map((e: any) => [e.Name, e.Value]));
  const execution = await executeLocally({
    definition: fleet as never,
    // A reason at the cap, every character escaped in JSON: the state carries it three times (reason, input)
    input: { reason: '"'.repeat(MAX_REASON_CHARS) },
    executionName: 'largest',
    bindings: {
      BackupDatabase: async (i) => backupResult(env(i).PGPROOF_DATABASE!),
      VerifyBackup: async (i) => verifyResult(env(i).PGPROOF_DATABASE!),
      ApplyRetention: async () => RETENTION_RESULT,
      WriteReport: async (i: any) => ({ database: i.outcome.database, written: true, key: 'k' }),
      NotifyRun: async () => {
        throw named('ChatPostFailed', LAMBDA_CAUSE);
      },
      SnitchCheckIn: async () => ({ checkedIn: true }),
      NotifyFailure: async () => ({ posted: true }),
      ...(bindings as Record<string, TaskBinding>),
    },
  });
  const topLevel = new Set(Object.keys(fleet.States));
  const sizes = execution.events
    .filter((e) => e.state && topLevel.has(e.state))
    .flatMap((e) => [e.input, e.output])
    .filter((v) => v !== undefined)
    .map((v) => Buffer.byteLength(JSON.stringify(v), 'utf8'));
  const final = execution.events.find((e) => e.type === 'StateEntered' && e.state === STATE.checkAllVerified)
    ?.input as any;
  return { execution, bytes: Math.max(...sizes), outcomes: final?.outcomes as unknown[] };
}

describe(`the run state after the Map, ${MAX_DATABASES} databases at their largest`, () => {
  it('every database failed at verification with an error at the cap: under 256 KiB', async () => {
    // WHEN each verification fails after its backup (the outcome keeps the backup and the error)
    const { execution, bytes, outcomes } = await largestRunState({
      VerifyBackup: async (i: any) => {
        const database = i.Overrides.ContainerOverrides[0].Environment.find(
          (e: any) => e.Name === 'PGPROOF_DATABASE',
        ).Value;
        throw named('VerificationFailed', errorText(database));
      },
    });
    // THEN
    expect(execution, `${execution.error}: ${execution.cause}`).toMatchObject({
      status: 'FAILED',
      error: 'DatabasesFailed',
    });
    expect(outcomes).toHaveLength(MAX_DATABASES);
    expect(
      (outcomes[0] as any).error.message.length,
      'the error message is at the engines cap (the test is the worst case)',
    ).toBe(MAX_ERROR_MESSAGE_CHARS);
    expect(bytes, `largest run state: ${bytes} bytes`).toBeLessThan(STATE_LIMIT_BYTES);
  });

  it('every database verified, with many checks and skipped extensions: under 256 KiB', async () => {
    const { execution, bytes, outcomes } = await largestRunState({ NotifyRun: async () => ({ posted: true }) });
    expect(execution.status).toBe('SUCCEEDED');
    expect(outcomes).toHaveLength(MAX_DATABASES);
    // The outcome keeps the checks' count, not each check
    expect((outcomes[0] as any).verify.checks).toBe(50);
    expect(bytes, `largest run state: ${bytes} bytes`).toBeLessThan(STATE_LIMIT_BYTES);
  });

  it('every database failed at verification and every report failed too: under 256 KiB', async () => {
    const { execution, bytes } = await largestRunState({
      VerifyBackup: async (i: any) => {
        const database = i.Overrides.ContainerOverrides[0].Environment.find(
          (e: any) => e.Name === 'PGPROOF_DATABASE',
        ).Value;
        throw named('VerificationFailed', errorText(database));
      },
      // The Lambda's Cause (message and trace) stays out of the state: only the error's name is kept
      WriteReport: async () => {
        throw named('ReportNotWritten', LAMBDA_CAUSE);
      },
    });
    const entered = execution.events.find((e) => e.type === 'StateEntered' && e.state === STATE.checkOutcomes);
    const reports = (entered!.input as { reports: unknown[] }).reports;
    expect(reports).toHaveLength(MAX_DATABASES);
    expect(reports[0]).toEqual({
      database: longId(0),
      written: false,
      error: { state: STATE.writeReport, name: 'ReportNotWritten' },
    });
    expect(bytes, `largest run state: ${bytes} bytes`).toBeLessThan(STATE_LIMIT_BYTES);
  });

  it('one outcome stays near 1 KiB, the budget the 200-database cap is computed from', async () => {
    const { outcomes } = await largestRunState({
      VerifyBackup: async () => {
        throw named('VerificationFailed', errorText(longId(0)));
      },
    });
    const largest = Math.max(...outcomes.map((o) => Buffer.byteLength(JSON.stringify(o), 'utf8')));
    expect(largest, `largest outcome: ${largest} bytes`).toBeLessThan(STATE_LIMIT_BYTES / MAX_DATABASES);
  });
});

// ---- intrinsic functions -----------------------------------------------------------------------------------------

/** Every string in the definition with its JSON path, nested states included. */
function strings(value: unknown, at: string, out: Array<{ path: string; text: string }> = []): typeof out {
  if (typeof value === 'string') out.push({ path: at, text: value });
  else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) strings(v, `${at}[${i}]`, out);
  } else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) strings(v, `${at}.${k}`, out);
  return out;
}
const intrinsicCalls = (text: string) => (text.match(/\bStates\.[A-Za-z]+\s*\(/g) ?? []).length;

describe('intrinsic functions', () => {
  it(`uses at most ${MAX_INTRINSICS_PER_FIELD} in any field, inside the Map too`, () => {
    for (const definition of [asl, fleet]) {
      const counts = strings(definition, '$').map((s) => ({ path: s.path, calls: intrinsicCalls(s.text) }));
      expect(counts.filter((c) => c.calls > MAX_INTRINSICS_PER_FIELD)).toEqual([]);
      // The fields the Map added are among those counted
      expect(counts.find((c) => c.path === '$.States.SummarizeRun.Parameters.anyFailed.$')?.calls).toBe(1);
      expect(
        counts.find(
          (c) => c.path === '$.States.ProveDatabases.ItemProcessor.States.DatabaseVerified.Parameters.verify.checks.$',
        )?.calls,
      ).toBe(1);
    }
    // And every state was walked, the item's included
    expect(Object.keys(allStates(fleet))).toContain(STATE.databaseVerified);
  });
});
