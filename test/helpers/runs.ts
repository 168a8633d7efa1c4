import type { RunResultInput } from '../../lambdas/common/run-result';

export const SHA = 'ab'.repeat(32);

/** A verified run as the state machine passes it, with an extra field it may carry. */
export function succeededRun(overrides: Partial<RunResultInput> = {}): RunResultInput {
  return {
    database: 'app',
    runId: '20261124T030000Z-0123456789',
    status: 'SUCCEEDED',
    backup: {
      key: 'pgproof/app/2026-11-24/20261124T030000Z-0123456789.dump.zst',
      bytes: 1_300_000_000,
      sha256: SHA,
      seconds: 125.4,
      tables: 42,
      rows: 1_000_000,
    },
    verify: {
      restoreSeconds: 100,
      checks: [
        { name: 'row counts', passed: true, value: '42 tables', expectation: "42 tables as in the dump's snapshot" },
        { name: 'users exist', passed: true, value: '10', expectation: '>= 1' },
        { name: 'orders fresh', passed: true, value: '2 h', expectation: 'newest within 26 h of the snapshot' },
      ],
      previous: { runId: '20261123T030000Z-0123456789', dumpBytes: 1_250_000_000, restoreSeconds: 110 },
    },
    consoleUrl:
      'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn:aws:states:eu-west-1:123456789012:execution:pgproof-app:20261124T030000Z-0123456789',
    stateMachineExtra: { anything: true },
    ...overrides,
  } as RunResultInput;
}

/** A run whose backup failed: Step Functions' Cause is a Lambda-style JSON with a stack trace. */
export function failedRun(overrides: Partial<RunResultInput> = {}): RunResultInput {
  return {
    database: 'app',
    runId: '20261124T030000Z-fedcba9876',
    status: 'FAILED',
    error: {
      state: 'BackupDatabase',
      name: 'DumpFailed',
      message: JSON.stringify({
        errorType: 'DumpFailed',
        errorMessage:
          'pg_dump exited with status 1\npg_dump: error: query failed: ERROR:  permission denied for table payroll\n\npg_dump: detail: Query was: LOCK TABLE public.payroll IN ACCESS SHARE MODE',
        trace: [
          'DumpFailed: pg_dump exited with status 1',
          '    at runBackup (/app/containers/backup/backup.ts:120:11)',
        ],
      }),
    },
    consoleUrl: 'https://eu-west-1.console.aws.amazon.com/states/home#/v2/executions/details/failed',
    ...overrides,
  } as RunResultInput;
}

/** Every text an error carries, down its cause chain: what could end up in a log or the run history. */
export function errorTexts(error: unknown, depth = 0): string {
  if (!(error instanceof Error) || depth > 6) return String(error);
  const own = JSON.stringify(Object.fromEntries(Object.entries(error)));
  return [
    error.name,
    error.message,
    error.stack ?? '',
    own,
    error.cause === undefined ? '' : errorTexts(error.cause, depth + 1),
  ].join('\n');
}

/** Catches what `fn` throws (and fails the test if it does not throw). */
export async function thrown(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`threw a non-Error: ${String(error)}`);
  }
  throw new Error('expected a rejection, but it resolved');
}
