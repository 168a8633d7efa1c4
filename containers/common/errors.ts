/**
 * Typed errors of the backup and verify engines. The `name` is what Step Functions matches in `Catch`/`Retry`
 * and what a person reads in the run history, so each one names a cause; the message says what to do.
 */
export class PgProofError extends Error {
  constructor(name: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
}

/** The configuration or environment of a task is missing or invalid. */
export class ConfigError extends PgProofError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ConfigError', message, options);
  }
}

/** The database could not be reached or refused the login. */
export class DatabaseConnectionFailed extends PgProofError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DatabaseConnectionFailed', message, options);
  }
}

/** No pg_dump (or server binaries) of a major version that can handle the server's major. */
export class PgVersionMismatch extends PgProofError {
  constructor(message: string) {
    super('PgVersionMismatch', message);
  }
}

/** A required program (pg_dump, zstd, initdb…) is missing or failed to start. */
export class ToolMissing extends PgProofError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ToolMissing', message, options);
  }
}

/** pg_dump exited non-zero, was killed, or wrote ERROR/FATAL on stderr. */
export class DumpFailed extends PgProofError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DumpFailed', message, options);
  }
}

/** Writing to or reading from the object store failed. */
export class StorageError extends PgProofError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('StorageError', message, options);
  }
}

/** The dump is much smaller than the last verified one (a near-empty backup). */
export class SizeGuardTripped extends PgProofError {
  constructor(message: string) {
    super('SizeGuardTripped', message);
  }
}

/** The backup object or its manifest does not exist or cannot be parsed. */
export class BackupNotFound extends PgProofError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BackupNotFound', message, options);
  }
}

/** The downloaded bytes do not hash to the manifest's SHA-256. */
export class ChecksumMismatch extends PgProofError {
  constructor(message: string) {
    super('ChecksumMismatch', message);
  }
}

/** The local disk is full (or too small for the dump). */
export class DiskFull extends PgProofError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DiskFull', message, options);
  }
}

/** The throwaway PostgreSQL cluster could not be created or started. */
export class ClusterStartFailed extends PgProofError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ClusterStartFailed', message, options);
  }
}

/** pg_restore failed. */
export class RestoreFailed extends PgProofError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RestoreFailed', message, options);
  }
}

/** The restored database differs from what the manifest promises, or a user check failed. */
export class VerificationFailed extends PgProofError {
  constructor(message: string) {
    super('VerificationFailed', message);
  }
}

/** The task was stopped by a signal (SIGTERM from ECS, Ctrl-C locally). */
export class TaskInterrupted extends PgProofError {
  constructor(signal: string) {
    super('TaskInterrupted', `stopped by ${signal} before finishing; nothing was marked complete`);
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
