import * as logs from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  logBackupComplete,
  logBackupVerified,
  logCheck,
  logDumpProgress,
  logPhaseProgress,
} from '../../../containers/common/engine-log';
import { createLogger } from '../../../containers/common/log';
import { type CheckFields, DATABASE_FIELD, ENGINE_LOG, fieldSelector } from '../../../lib/contracts/engine-log';
import { ProgressDisplay } from '../../../lib/local/progress';
import { buildPgProof } from '../../helpers/cdk';
import { matchesFilterPattern, metricValueOf, select } from '../../helpers/metric-filter';

interface Filter {
  readonly metricName: string;
  readonly pattern: string;
  readonly metricValue: string;
  /** The dimensions the filter publishes: name → the selector of the line's field holding the value. */
  readonly dimensions: Record<string, string>;
  readonly logGroup: 'backup' | 'verify';
}

let filters: Filter[];
let backupLines: string[];
let verifyLines: string[];

const KEY = 'pgproof/orders/2026-11-24/20261124T030000Z-0123456789ab.dump.zst';

beforeAll(() => {
  // GIVEN the synthesized metric filters, with the log group each reads
  const { stack, pgProof } = buildPgProof();
  const groupOf = (ref: unknown) => {
    const text = JSON.stringify(ref);
    if (text === JSON.stringify(stack.resolve(pgProof.engineTasks.backupLogGroup.logGroupName))) return 'backup';
    if (text === JSON.stringify(stack.resolve(pgProof.engineTasks.verifyLogGroup.logGroupName))) return 'verify';
    throw new Error(`a metric filter reads an unexpected log group: ${text}`);
  };
  filters = pgProof.monitoring.node
    .findAll()
    .filter((c): c is logs.CfnMetricFilter => c instanceof logs.CfnMetricFilter)
    .map((f) => {
      const transformation = (
        stack.resolve(f.metricTransformations) as Array<{
          metricName: string;
          metricValue: string;
          dimensions?: Array<{ key: string; value: string }>;
        }>
      )[0]!;
      return {
        metricName: transformation.metricName,
        pattern: f.filterPattern,
        metricValue: transformation.metricValue,
        dimensions: Object.fromEntries((transformation.dimensions ?? []).map((d) => [d.key, d.value])),
        logGroup: groupOf(stack.resolve(f.logGroupName)),
      };
    });

  // AND the lines the engines' logger writes, through the functions the engines write them with
  backupLines = [];
  const backup = createLogger({ service: 'pgproof-backup', write: (line) => backupLines.push(line) });
  backup.info('backup starting', { runId: '20261124T030000Z-0123456789ab' });
  logDumpProgress(backup, { bytes: 5_000_000, seconds: 2 });
  logBackupComplete(backup, { database: 'orders', key: KEY, bytes: 1_300_000, seconds: 12.5, tables: 42, rows: 1000 });
  backup.info('task succeeded');
  verifyLines = [];
  const verify = createLogger({ service: 'pgproof-verify', write: (line) => verifyLines.push(line) });
  logPhaseProgress(verify, 'restore', '3 of 42 tables');
  logCheck(verify, {
    database: 'orders',
    name: 'row counts',
    passed: true,
    value: '42 tables',
    expectation: '42 tables as in the dump',
  });
  logCheck(verify, {
    database: 'orders',
    name: 'users exist',
    passed: false,
    value: '0',
    expectation: '>= 1',
    detail: 'no rows',
  });
  logBackupVerified(verify, { database: 'orders', key: KEY, restoreSeconds: 33.3, checks: 2 });
  verify.info('task succeeded');
});

/** What one filter publishes for the lines of its log group: the value of each matching line. */
function published(name: string): number[] {
  const filter = filters.find((f) => f.metricName === name);
  expect(filter, name).toBeDefined();
  const lines = filter!.logGroup === 'backup' ? backupLines : verifyLines;
  return lines
    .filter((line) => matchesFilterPattern(filter!.pattern, line))
    .map((line) => metricValueOf(filter!.metricValue, line)!);
}

describe("log contract: metric filters ↔ the engines' real log lines", () => {
  it('has the five metric filters, each on the log group of the engine that writes its line', () => {
    expect(filters.map((f) => `${f.metricName}@${f.logGroup}`).sort()).toEqual([
      'ChecksFailed@verify',
      'ChecksPassed@verify',
      'DumpBytes@backup',
      'DumpSeconds@backup',
      'RestoreSeconds@verify',
    ]);
  });

  it('takes the dump size and time from the backup complete line only', () => {
    expect(published('DumpBytes')).toEqual([1_300_000]);
    expect(published('DumpSeconds')).toEqual([12.5]);
  });

  it('takes the restore time from the backup verified line only', () => {
    expect(published('RestoreSeconds')).toEqual([33.3]);
  });

  it('counts passed and failed check lines apart', () => {
    expect(published('ChecksPassed')).toEqual([1]);
    expect(published('ChecksFailed')).toEqual([1]);
  });

  it("publishes each figure under the Database dimension, whose value the real line's database field gives", () => {
    for (const filter of filters) {
      // THEN the filter's only dimension is Database, selected by the contract's field
      expect(filter.dimensions, filter.metricName).toEqual({ Database: fieldSelector<CheckFields>(DATABASE_FIELD) });
      expect(filter.dimensions.Database).toBe('$.database');
      // AND on every line it matches, the selector picks the database the engine wrote, as a non-empty string
      const lines = (filter.logGroup === 'backup' ? backupLines : verifyLines).filter((line) =>
        matchesFilterPattern(filter.pattern, line),
      );
      expect(lines.length, filter.metricName).toBeGreaterThan(0);
      for (const line of lines) {
        expect(JSON.parse(line)[DATABASE_FIELD], filter.metricName).toBe('orders');
        expect(select(JSON.parse(line), filter.dimensions.Database!), filter.metricName).toBe('orders');
      }
    }
  });

  it('matches no other line: a progress line with bytes, a line of another message, a line that is not JSON', () => {
    const dumpBytes = filters.find((f) => f.metricName === 'DumpBytes')!;
    const progress = backupLines.find((l) => JSON.parse(l).message === ENGINE_LOG.dumpProgress)!;
    expect(JSON.parse(progress).bytes).toBe(5_000_000);
    expect(matchesFilterPattern(dumpBytes.pattern, progress)).toBe(false);
    expect(matchesFilterPattern(dumpBytes.pattern, backupLines[0]!)).toBe(false);
    expect(matchesFilterPattern(dumpBytes.pattern, `backup complete ${KEY}`)).toBe(false);
  });
});

describe("log contract: local progress display ↔ the engines' real log lines", () => {
  it("shows the dump's progress and a verify phase's progress", () => {
    // GIVEN a display writing plain lines
    const written: string[] = [];
    const display = new ProgressDisplay(
      { write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream,
      false,
    );
    // WHEN
    for (const line of backupLines) display.onTaskLog('BackupDatabase', line);
    for (const line of verifyLines) display.onTaskLog('VerifyBackup', line);
    // THEN
    expect(written.join('')).toContain('  BackupDatabase: 5.0 MB dumped (2.5 MB/s)\n');
    expect(written.join('')).toContain('  VerifyBackup: restore 3 of 42 tables\n');
  });
});

describe("the test's filter pattern evaluator", () => {
  const line = JSON.stringify({
    message: 'backup complete',
    bytes: 10,
    passed: false,
    nested: { a: 'x' },
    nothing: null,
  });
  it('reads the forms CloudFormation holds', () => {
    expect(matchesFilterPattern('{ $.message = "backup complete" }', line)).toBe(true);
    expect(matchesFilterPattern('{ $.message = "backup*" }', line)).toBe(true);
    expect(matchesFilterPattern('{ $.message != "backup complete" }', line)).toBe(false);
    expect(matchesFilterPattern('{ ($.message = "check") && ($.passed IS FALSE) }', line)).toBe(false);
    expect(matchesFilterPattern('{ ($.message = "check") || ($.passed IS FALSE) }', line)).toBe(true);
    expect(matchesFilterPattern('{ $.bytes > 9 && $.bytes <= 10 }', line)).toBe(true);
    expect(matchesFilterPattern('{ $.bytes = "10" }', line)).toBe(false);
    expect(matchesFilterPattern('{ $.nested.a = "x" }', line)).toBe(true);
    expect(matchesFilterPattern('{ $.nothing IS NULL && $.missing NOT EXISTS }', line)).toBe(true);
  });

  it('refuses what it does not understand instead of guessing', () => {
    expect(() => matchesFilterPattern('backup complete', line)).toThrow(/not a JSON filter pattern/);
    expect(() => matchesFilterPattern('{ $.message %= "x" }', line)).toThrow();
    expect(() => matchesFilterPattern('{ $.bytes > "x" }', line)).toThrow(/compares numbers/);
  });
});
