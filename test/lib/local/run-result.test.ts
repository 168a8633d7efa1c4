import { describe, expect, it } from 'vitest';
import type { DatabaseResult, RunRecord } from '../../../lib/contracts/run-record';
import { describeResult, runTable } from '../../../lib/local/run-result';

const RUN_ID = '20261124T030000Z-0123456789ab';
const SHA = 'ab'.repeat(32);
const KEY = (database: string) => `pgproof/${database}/2026-11-24/${RUN_ID}.dump.zst`;
const run = {
  runId: RUN_ID,
  startedAt: '2026-11-24T03:00:00.000Z',
  finishedAt: '2026-11-24T03:05:00.000Z',
  seconds: 300,
  reason: 'nightly',
};
const verified = (database: string, extra: Partial<DatabaseResult> = {}): DatabaseResult => ({
  database,
  status: 'SUCCEEDED',
  isNew: false,
  backup: { key: KEY(database), bytes: 2_500_000, seconds: 12.5, sha256: SHA },
  verify: { restoreSeconds: 30.25, checks: 7 },
  ...extra,
});
const CHECK_FAILED = {
  state: 'VerifyBackup',
  name: 'VerificationFailed',
  message: 'invoices: 0 (expected >= 1)\nthe table is empty',
};
const failed = (database: string, error = CHECK_FAILED, extra: Partial<DatabaseResult> = {}): DatabaseResult => ({
  database,
  status: 'FAILED',
  backup: { key: KEY(database), bytes: 1_024, seconds: 1 },
  error,
  ...extra,
});

describe('describeResult', () => {
  it('a re-verification names the existing backup it proved, not a backup of the day', () => {
    const { backup: _none, ...database } = verified('orders');
    const lines = describeResult({
      ...run,
      status: 'SUCCEEDED',
      database: 'orders',
      verifyBackup: KEY('orders'),
      databases: [database],
    });
    expect(lines[0]).toBe(`✅ existing backup re-verified: ${KEY('orders')}, run ${RUN_ID}`);
    expect(lines.join('\n')).not.toContain('backup verified');
    const failedLines = describeResult({
      ...run,
      status: 'FAILED',
      database: 'orders',
      verifyBackup: KEY('orders'),
      databases: [{ database: 'orders', status: 'FAILED', error: CHECK_FAILED }],
    });
    expect(failedLines[0]).toBe(`❌ re-verification failed: ${KEY('orders')}, run ${RUN_ID}`);
  });

  it('one database verified: the headline names it, then its figures', () => {
    const lines = describeResult({ ...run, status: 'SUCCEEDED', database: 'orders', databases: [verified('orders')] });
    expect(lines).toEqual([
      `✅ backup verified: database orders, run ${RUN_ID}`,
      '   backup: 2.38 MiB in 12.5 s',
      `   key:    ${KEY('orders')}`,
      `   sha256: ${SHA}`,
      "   restore: 30.3 s (today's measured recovery time); checks 7/7 passed",
    ]);
  });

  it('one database failed: its error once, as the run error', () => {
    const lines = describeResult({
      ...run,
      status: 'FAILED',
      database: 'orders',
      error: CHECK_FAILED,
      databases: [failed('orders')],
    });
    expect(lines).toEqual([
      `❌ run failed: database orders, run ${RUN_ID}`,
      '   backup: 1.00 KiB in 1.0 s',
      `   key:    ${KEY('orders')}`,
      '   failed in VerifyBackup: VerificationFailed',
      '     invoices: 0 (expected >= 1)',
      '     the table is empty',
    ]);
  });

  it('several databases, one failed: how many failed, then each database, the failed one with its error', () => {
    const lines = describeResult({
      ...run,
      status: 'FAILED',
      database: 'prod',
      error: { state: 'ProveDatabases', name: 'DatabasesFailed', message: '1 of 3 databases failed: billing' },
      databases: [
        verified('orders'),
        failed('billing', CHECK_FAILED, { isNew: true }),
        verified('events', { verify: { restoreSeconds: 2, checks: 3, skippedExtensions: ['aws_s3'] } }),
      ],
    });
    expect(lines[0]).toBe(`❌ run failed: 1 of 3 databases failed, run ${RUN_ID}`);
    expect(lines).toContain('  ✅ orders');
    expect(lines).toContain('  ❌ billing (new)');
    expect(lines).toContain('  ✅ events');
    expect(lines).toContain('     failed in VerifyBackup: VerificationFailed');
    expect(lines).toContain('     extensions: not restorable outside RDS: skipped: aws_s3');
    // The failed database's lines come right after its own headline, before the next database
    const billing = lines.indexOf('  ❌ billing (new)');
    expect(lines.indexOf('     failed in VerifyBackup: VerificationFailed')).toBeGreaterThan(billing);
    expect(lines.indexOf('     failed in VerifyBackup: VerificationFailed')).toBeLessThan(lines.indexOf('  ✅ events'));
    // The run's DatabasesFailed error repeats nothing: each database shows its own
    expect(lines.join('\n')).not.toContain('DatabasesFailed');
  });

  it('several databases, all verified', () => {
    const lines = describeResult({
      ...run,
      status: 'SUCCEEDED',
      database: 'prod',
      databases: [verified('orders'), verified('billing', { isNew: true })],
    });
    expect(lines[0]).toBe(`✅ 2 databases verified, run ${RUN_ID}`);
    expect(lines).toContain('  ✅ billing (new)');
    expect(lines.filter((l) => l.includes('checks 7/7 passed'))).toHaveLength(2);
  });

  it("several databases verified but the run failed outside the Map: the run's own error is shown", () => {
    const lines = describeResult({
      ...run,
      status: 'FAILED',
      database: 'prod',
      error: { state: 'SnitchCheckIn', name: 'SnitchError', message: 'the snitch answered 404' },
      databases: [verified('orders'), verified('billing')],
    });
    expect(lines[0]).toBe(`❌ run failed: 0 of 2 databases failed, run ${RUN_ID}`);
    expect(lines.slice(-2)).toEqual(['   failed in SnitchCheckIn: SnitchError', '     the snitch answered 404']);
  });

  it('an execution without databases (before the Map or failed before it): the figures it recorded', () => {
    const lines = describeResult({
      ...run,
      status: 'SUCCEEDED',
      database: 'orders',
      backup: { key: KEY('orders'), bytes: 2_500_000, sha256: SHA, seconds: 12.5, tables: 4, rows: 400 },
      verify: {
        restoreSeconds: 30.25,
        checks: [{ name: 'customers exist', passed: true, value: '400' }],
        skippedExtensions: [],
      },
    });
    expect(lines).toEqual([
      `✅ backup verified: database orders, run ${RUN_ID}`,
      '   backup: 2.38 MiB in 12.5 s, 4 tables, 400 rows',
      `   key:    ${KEY('orders')}`,
      `   sha256: ${SHA}`,
      "   restore: 30.3 s (today's measured recovery time); checks 1/1 passed",
      '     ✓ customers exist: 400',
    ]);
    const rejected = describeResult({
      ...run,
      status: 'FAILED',
      database: 'orders',
      error: { state: 'ValidateInput', name: 'InvalidInput', message: 'got {"dryRun":true}' },
    });
    expect(rejected).toEqual([
      `❌ run failed: database orders, run ${RUN_ID}`,
      '   failed in ValidateInput: InvalidInput',
      '     got {"dryRun":true}',
    ]);
  });
});

describe('runTable', () => {
  const fleetRun: RunRecord = {
    ...run,
    status: 'FAILED',
    database: 'prod',
    error: { state: 'ProveDatabases', name: 'DatabasesFailed', message: '1 of 2 databases failed' },
    databases: [verified('orders'), failed('billing', CHECK_FAILED, { isNew: true })],
  };
  const singleRun: RunRecord = {
    ...run,
    startedAt: '2026-11-23T03:00:00.000Z',
    status: 'SUCCEEDED',
    database: 'orders',
    databases: [verified('orders')],
  };
  const rowsOf = (table: string) => table.split('\n').map((l) => l.split(/\s{2,}/));

  it('one row per database per run, with the database column as soon as a run has several', () => {
    const table = runTable([fleetRun, singleRun], { showDatabase: false });
    const [header, rule, ...rows] = rowsOf(table);
    expect(header).toEqual([
      'started (UTC)',
      'database',
      'status',
      'duration',
      'size',
      'dump s',
      'restore s',
      'checks / error',
    ]);
    expect(rule!.every((c) => /^-+$/.test(c))).toBe(true);
    expect(rows).toEqual([
      // A database that verified in a run whose other database failed is listed as verified
      ['2026-11-24 03:00:00', 'orders', 'SUCCEEDED', '300 s', '2.38 MiB', '12.5', '30.3', '7/7'],
      [
        '2026-11-24 03:00:00',
        'billing (new)',
        'FAILED',
        '300 s',
        '1.00 KiB',
        '1.0',
        '-',
        'VerificationFailed in VerifyBackup',
      ],
      ['2026-11-23 03:00:00', 'orders', 'SUCCEEDED', '300 s', '2.38 MiB', '12.5', '30.3', '7/7'],
    ]);
  });

  it('runs of one database each: no database column unless asked for', () => {
    const [header, , row] = rowsOf(runTable([singleRun], { showDatabase: false }));
    expect(header).not.toContain('database');
    expect(row).toEqual(['2026-11-23 03:00:00', 'SUCCEEDED', '300 s', '2.38 MiB', '12.5', '30.3', '7/7']);
    expect(rowsOf(runTable([singleRun], { showDatabase: true }))[0]).toContain('database');
  });

  it('a run failed outside the Map: each database row shows the run error; a run still going shows RUNNING', () => {
    const table = runTable(
      [
        {
          ...run,
          status: 'FAILED',
          database: 'prod',
          error: { state: 'SnitchCheckIn', name: 'SnitchError', message: 'x' },
          databases: [failed('orders', CHECK_FAILED, { status: 'SUCCEEDED', error: undefined, backup: undefined })],
        },
        { ...run, status: 'RUNNING', database: 'orders', finishedAt: undefined, seconds: undefined },
      ],
      { showDatabase: true },
    );
    const [, , outside, running] = rowsOf(table);
    expect(outside).toEqual([
      '2026-11-24 03:00:00',
      'orders',
      'FAILED',
      '300 s',
      '-',
      '-',
      '-',
      'SnitchError in SnitchCheckIn',
    ]);
    expect(running).toEqual(['2026-11-24 03:00:00', 'orders', 'RUNNING', '-', '-', '-', '-', '-']);
  });
});
