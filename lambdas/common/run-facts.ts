import { formatBytes, formatChange, formatDuration } from './format';
import type { SingleRun } from './run-outcomes';
import type { CheckResult } from './run-result';

/** The figures of a run, as short texts; each is absent when the run did not get that far (or has no baseline). */
export interface RunFacts {
  /** `1.21 GiB` */
  readonly size?: string;
  /** `+3.4%` against the previous verified backup's size. */
  readonly sizeChange?: string;
  /** `2 min 05 s` */
  readonly dump?: string;
  /** `1 min 40 s`: the day's measured recovery time. */
  readonly restore?: string;
  /** `−2.0%` against the previous verified backup's restore time. */
  readonly restoreChange?: string;
  /** `12/12 passed`; `7 passed` for a failed outcome's count (its total is not known). */
  readonly checks?: string;
  /** The checks that failed, `name: value (expected …)`. */
  readonly failedChecks: readonly string[];
  /** `not restorable outside RDS: skipped: aws_s3, aws_commons` when verify left RDS-only extensions out. */
  readonly skippedExtensions?: string;
}

/**
 * Pure: the run's figures, compared with the previous verified backup: `verify.previous` (the verify task's), else
 * for the size the backup task's `previousBytes` (a run that failed in verify still shows its size change). Takes
 * a run state or one database's outcome (`SingleRun`), whose checks are a count.
 */
export function runFacts(run: Pick<SingleRun, 'status' | 'backup' | 'verify'>): RunFacts {
  const { backup, verify } = run;
  const previousBytes = verify?.previous?.dumpBytes ?? backup?.previousBytes;
  return {
    size: backup ? formatBytes(backup.bytes) : undefined,
    sizeChange: backup ? formatChange(backup.bytes, previousBytes) : undefined,
    dump: backup ? formatDuration(backup.seconds) : undefined,
    restore: verify ? formatDuration(verify.restoreSeconds) : undefined,
    restoreChange: verify ? formatChange(verify.restoreSeconds, verify.previous?.restoreSeconds) : undefined,
    checks: verify ? describeChecks(verify.checks, run.status) : undefined,
    failedChecks:
      verify && typeof verify.checks !== 'number'
        ? verify.checks.filter((c) => !c.passed).map(describeFailedCheck)
        : [],
    ...(verify?.skippedExtensions?.length
      ? { skippedExtensions: describeSkippedExtensions(verify.skippedExtensions) }
      : {}),
  };
}

/** The words every output uses for RDS-only extensions verify left out. */
export function describeSkippedExtensions(names: readonly string[]): string {
  return `not restorable outside RDS: skipped: ${names.join(', ')}`;
}

/** `1.21 GiB` + `+3.4%` → `1.21 GiB (+3.4% vs previous run)`. */
export function withChange(text: string, change: string | undefined): string {
  return change ? `${text} (${change} vs previous run)` : text;
}

/** `3/3 passed` from the checks; from a count, `7/7 passed` when verified (it passed all), else `7 passed`. */
function describeChecks(checks: readonly CheckResult[] | number, status: SingleRun['status']): string {
  if (typeof checks !== 'number') return `${checks.filter((c) => c.passed).length}/${checks.length} passed`;
  return status === 'SUCCEEDED' ? `${checks}/${checks} passed` : `${checks} passed`;
}

function describeFailedCheck(check: CheckResult): string {
  const value = check.value !== undefined ? `: ${check.value}` : '';
  const expected = check.expectation ? ` (expected ${check.expectation})` : '';
  const detail = check.detail ? ` — ${check.detail}` : '';
  return `${check.name}${value}${expected}${detail}`;
}
