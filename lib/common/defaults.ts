/**
 * pgproof's defaults as plain data, each written once: the configuration file's schema, the `PgProof` construct,
 * the engines' environment readers, the local runner and the CLI all take them from here. No aws-cdk-lib or SDK
 * imports, so the engines' image and the Lambdas can import it too.
 */

/** The key prefix of every object pgproof writes to the backup bucket. */
export const DEFAULT_KEY_PREFIX = 'pgproof';

/**
 * Days an overwritten or expired object version stays in the versioned bucket before the lifecycle rule deletes it
 * for good: the window in which a backup expired by mistake (or by a compromised credential) can still be restored.
 */
export const DEFAULT_NONCURRENT_DAYS = 30;

/** Object Lock mode when a lock is configured: privileged users may still lift a governance lock. */
export const DEFAULT_OBJECT_LOCK_MODE = 'GOVERNANCE';

/** PostgreSQL's port. */
export const DEFAULT_DATABASE_PORT = 5432;

/** The libpq sslmode of a deployed backup's connection (a local run follows libpq's own default, `prefer`). */
export const DEFAULT_DEPLOYED_SSL_MODE = 'require';

/** The database discovery connects to when listing a server's databases (`"databases": "all"`): always there. */
export const DEFAULT_DISCOVERY_DATABASE = 'postgres';

/** The JSON field of the database secret holding the password (what RDS-managed secrets use). */
export const DEFAULT_PASSWORD_JSON_FIELD = 'password';

/** The backup task's size and time limit: pg_dump and a zstd filter need little memory. */
export const DEFAULT_BACKUP_TASK = { cpu: 1024, memoryMiB: 2048, timeoutMinutes: 360 } as const;

/** The verify task's size, time limit and disk: the decompressed dump plus the restored cluster must fit. */
export const DEFAULT_VERIFY_TASK = {
  cpu: 2048,
  memoryMiB: 8192,
  timeoutMinutes: 360,
  ephemeralStorageGiB: 100,
} as const;

/** A task that sends no heartbeat for this long is considered dead (the engines beat every minute). */
export const DEFAULT_HEARTBEAT_SECONDS = 300;

/** When scheduled runs start: an EventBridge cron expression, 03:00 UTC daily. */
export const DEFAULT_SCHEDULE_CRON = '0 3 * * ? *';

/** Days the tasks' and state machine's log groups keep their events. */
export const DEFAULT_LOG_RETENTION_DAYS = 90;

/** How dumps are compressed: multi-threaded zstd at its fastest level, one thread per core (`threads: 0`). */
export const DEFAULT_COMPRESSION = { method: 'zstd', level: 1, threads: 0 } as const;

/** How many databases of a fleet are proven at once (each runs its own backup and verify tasks). */
export const DEFAULT_MAX_CONCURRENCY = 4;

/** The key prefix to use: the given one trimmed, or the default when it is absent or blank. */
export function keyPrefixOrDefault(prefix: string | undefined): string {
  return prefix?.trim() || DEFAULT_KEY_PREFIX;
}

/**
 * Grandfather-father-son retention over verified backups (issue 13): the newest verified backup of each of the last
 * 7 days, 4 ISO weeks and 12 months that have one; the newest 3 verified backups whatever their age; unverified and
 * failed backups for 7 days.
 */
export const DEFAULT_RETENTION_POLICY = {
  keepDaily: 7,
  keepWeekly: 4,
  keepMonthly: 12,
  keepYearly: 0,
  keepVerifiedMin: 3,
  unverifiedDays: 7,
} as const;

/** `retention.pruneLocal`: `run --local` deletes what the policy expires only when the configuration asks for it. */
export const DEFAULT_PRUNE_LOCAL = false;
