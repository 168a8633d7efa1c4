import { asNamedError } from '../../containers/common/errors';
import type { RestoreResult } from '../restore/restore-backup';
import { isUserRefusal, targetStateOf } from '../restore/restore-errors';

/** The human lines of a successful restore: what was restored, what was left out and why, what needs a person. */
export function describeRestore(result: RestoreResult): string[] {
  return [
    `✅ restored ${result.key}`,
    `   from database ${result.sourceDatabase}, snapshot ${result.snapshotAt}${result.verified ? ' (a verified backup)' : ' (never verified!)'}`,
    `   into ${result.target}: ${result.tables} tables, ${result.rows} rows, row counts match the manifest`,
    ...(result.replaced
      ? [
          `   the previous database was replaced${result.replaced.previousDropped ? ' and dropped' : `; it could not be dropped and is kept as ${result.replaced.previousKeptAs}`}`,
        ]
      : []),
    ...(result.rolesCreated.length ? [`   roles created (NOLOGIN): ${result.rolesCreated.join(', ')}`] : []),
    ...result.leftOut.map((l) => `   ⚠ left out: ${l.object}: ${l.reason}`),
    ...result.notes.map((n) => `   ⚠ ${n}`),
    `   in ${result.seconds.toFixed(1)} s`,
  ];
}

/** A failed restore: the exit status (2 when the user must fix something first), the lines, the --json object. */
export function describeRestoreFailure(
  error: unknown,
  backup: string,
): { exitCode: number; lines: string[]; json: Record<string, unknown> } {
  const named = asNamedError(error);
  const state = targetStateOf(error);
  return {
    exitCode: isUserRefusal(error) ? 2 : 1,
    lines: [`pgproof: ${named.name}: ${named.message}`, ...(state ? [`   ${state.message}.`] : [])],
    json: { status: 'FAILED', backup, error: named, ...(state ? { targetState: state } : {}) },
  };
}
