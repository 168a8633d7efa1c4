/**
 * The engines' JSON log lines that others read: the CloudWatch metric filters (lib/run-monitoring.ts) take figures
 * from them, the local progress display (lib/local/progress.ts) shows them. Each line is one JSON object holding
 * `level`, `timestamp`, `message`, `service` and the fields below.
 */
export const ENGINE_LOG = {
  /** Backup task: the dump is stored and its manifest written (`BackupCompleteFields`). */
  backupComplete: 'backup complete',
  /** Verify task: every check passed and the backup is marked verified (`BackupVerifiedFields`). */
  backupVerified: 'backup verified',
  /** Verify task: one line per check outcome (`CheckFields`). */
  check: 'check',
  /** Backup task: bytes dumped so far, at most every 2 s (`DumpProgressFields`). */
  dumpProgress: 'dump progress',
} as const;

/** The field of every line that holds its message. */
export const MESSAGE_FIELD = 'message';

/**
 * The field every line a metric filter matches carries: the database the line is about (its id; today its name).
 * Each metric filter publishes it as the `Database` dimension (lib/run-monitoring.ts), one series per database.
 */
export const DATABASE_FIELD = 'database';

/** The database a line is about. */
export interface DatabaseFields {
  /** The database's id (today its name). */
  readonly database: string;
}

/** Fields of the `backup complete` line. */
export interface BackupCompleteFields extends DatabaseFields {
  readonly key: string;
  /** Stored size of the dump. */
  readonly bytes: number;
  /** How long the dump and upload took. */
  readonly seconds: number;
  readonly tables: number;
  readonly rows: number;
}

/** Fields of the `backup verified` line. */
export interface BackupVerifiedFields extends DatabaseFields {
  readonly key: string;
  /** The measured recovery time. */
  readonly restoreSeconds: number;
  /** How many checks passed. */
  readonly checks: number;
}

/** Fields of a `check` line. */
export interface CheckFields extends DatabaseFields {
  readonly name: string;
  readonly passed: boolean;
  readonly value: string;
  readonly expectation: string;
  readonly detail?: string;
}

/** Fields of the `dump progress` line. */
export interface DumpProgressFields {
  readonly bytes: number;
  /** Since the task started. */
  readonly seconds: number;
}

/** Ends the message of a verify phase's progress line, e.g. `restore progress` (with a `detail` field). */
export const PROGRESS_SUFFIX = ' progress';

/** The message of a verify phase's progress line. */
export function phaseProgressMessage(phase: string): string {
  return `${phase}${PROGRESS_SUFFIX}`;
}

/** A field's JSON selector in a metric filter or metric value, e.g. `$.bytes` for `fieldSelector<BackupCompleteFields>('bytes')`. */
export function fieldSelector<Fields>(field: Extract<keyof Fields, string> | typeof MESSAGE_FIELD): string {
  return `$.${field}`;
}
