import type pg from 'pg';
import type { CheckConfig, FreshnessConfig } from '../common/engine-config';
import { redact } from '../../lib/common/redact';
import { quoteIdent } from '../common/table-stats';
import { describeExpectation, formatValue, freshnessVerdict, meetsExpectation, type CheckOutcome } from './evaluate';

/** Runs one user check in a read-only transaction with a time limit; an SQL error fails the check, not the run. */
export async function runSqlCheck(client: pg.Client, check: CheckConfig, timeoutSeconds = 300): Promise<CheckOutcome> {
  const expectation = describeExpectation(check.expect);
  try {
    await client.query('begin read only');
    await client.query(`set local statement_timeout = ${Math.round(timeoutSeconds * 1000)}`);
    const result = await client.query({ text: check.sql, rowMode: 'array' });
    await client.query('commit');
    const rows = (Array.isArray(result) ? result[result.length - 1] : result).rows as unknown[][];
    if (rows.length !== 1 || rows[0]!.length !== 1) {
      return {
        name: check.name,
        kind: 'sql',
        passed: false,
        value: `${rows.length} rows × ${rows[0]?.length ?? 0} columns`,
        expectation,
        detail: 'a check must return exactly one value (one row, one column)',
      };
    }
    const value = rows[0]![0];
    return {
      name: check.name,
      kind: 'sql',
      passed: meetsExpectation(value, check.expect),
      value: formatValue(value),
      expectation,
    };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    return {
      name: check.name,
      kind: 'sql',
      passed: false,
      value: 'error',
      expectation,
      detail: redact((error as Error).message),
    };
  }
}

function tableRef(table: string): string {
  const dot = table.indexOf('.');
  return dot > 0 ? `${quoteIdent(table.slice(0, dot))}.${quoteIdent(table.slice(dot + 1))}` : quoteIdent(table);
}

/** Checks that the newest timestamp in a column is recent relative to the dump's snapshot (catches a frozen app). */
export async function runFreshnessCheck(
  client: pg.Client,
  check: FreshnessConfig,
  snapshotAt: Date,
): Promise<CheckOutcome> {
  const name = `freshness of ${check.table}.${check.column}`;
  const expectation = `newest within ${check.maxAgeHours} h of the snapshot`;
  try {
    const { rows } = await client.query<{ newest: Date | null }>(
      `select max(${quoteIdent(check.column)})::timestamptz as newest from ${tableRef(check.table)}`,
    );
    const newest = rows[0]?.newest ?? null;
    const verdict = freshnessVerdict(newest, snapshotAt, check.maxAgeHours);
    return {
      name,
      kind: 'freshness',
      passed: verdict.passed,
      value:
        verdict.ageHours === null
          ? 'no rows'
          : `${verdict.ageHours.toFixed(2)} h old (newest ${newest!.toISOString()})`,
      expectation,
    };
  } catch (error) {
    return {
      name,
      kind: 'freshness',
      passed: false,
      value: 'error',
      expectation,
      detail: redact((error as Error).message),
    };
  }
}
