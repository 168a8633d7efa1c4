import { PgProofError } from '../../lib/common/errors';

export { ConfigError, PgProofError } from '../../lib/common/errors';

/**
 * Typed errors of the backup and verify engines. The `name` is what Step Functions matches in `Catch`/`Retry`
 * and what a person reads in the run history, so each one names a cause; the message says what to do.
 */

/** The database could not be reached or refused the login. */
export class DatabaseConnectionFailed extends PgProofError {
  override readonly name = 'DatabaseConnectionFailed';
}

/** No pg_dump (or server binaries) of a major version that can handle the server's major. */
export class PgVersionMismatch extends PgProofError {
  override readonly name = 'PgVersionMismatch';
}

/** A required program (pg_dump, zstd, initdb…) is missing or failed to start. */
export class ToolMissing extends PgProofError {
  override readonly name = 'ToolMissing';
}

/** pg_dump exited non-zero, was killed, or wrote ERROR/FATAL on stderr. */
export class DumpFailed extends PgProofError {
  override readonly name = 'DumpFailed';
}

/** Writing to or reading from the object store failed. */
export class StorageError extends PgProofError {
  override readonly name = 'StorageError';
}

/** The dump is much smaller than the last verified one (a near-empty backup). */
export class SizeGuardTripped extends PgProofError {
  override readonly name = 'SizeGuardTripped';
}

/** The backup object or its manifest does not exist or cannot be parsed. */
export class BackupNotFound extends PgProofError {
  override readonly name = 'BackupNotFound';
}

/** The downloaded bytes do not hash to the manifest's SHA-256. */
export class ChecksumMismatch extends PgProofError {
  override readonly name = 'ChecksumMismatch';
}

/** The local disk is full (or too small for the dump). */
export class DiskFull extends PgProofError {
  override readonly name = 'DiskFull';
}

/** The throwaway PostgreSQL cluster could not be created or started. */
export class ClusterStartFailed extends PgProofError {
  override readonly name = 'ClusterStartFailed';
}

/** pg_restore failed. */
export class RestoreFailed extends PgProofError {
  override readonly name = 'RestoreFailed';
}

/** The restored database differs from what the manifest promises, or a user check failed. */
export class VerificationFailed extends PgProofError {
  override readonly name = 'VerificationFailed';
}

/** Discovery (`"databases": "all"`) found no database to prove: none connectable, or every one excluded. */
export class NoDatabasesFound extends PgProofError {
  override readonly name = 'NoDatabasesFound';
}

/** Discovery found more databases than one stack proves in a run (`MAX_DATABASES`). */
export class TooManyDatabases extends PgProofError {
  override readonly name = 'TooManyDatabases';
}

/** The task was stopped by a signal (SIGTERM from ECS, Ctrl-C locally). */
export class TaskInterrupted extends PgProofError {
  override readonly name = 'TaskInterrupted';

  constructor(signal: string) {
    super(`stopped by ${signal} before finishing; nothing was marked complete`);
  }
}

/** Turns anything thrown into a named error, for reporting. */
export function asNamedError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) {
    const name = error.name && error.name !== 'Error' ? error.name : 'InternalError';
    return { name, message: error.message };
  }
  return { name: 'InternalError', message: String(error) };
}
