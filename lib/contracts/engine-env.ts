/**
 * The environment variables of the backup and verify tasks. Set by the task definitions (lib/engine-tasks.ts), the
 * state machine's container overrides (lib/run-definition.ts) and the local runner (lib/local/local-run.ts); read by
 * the engines (containers/) and, from a stopped task's overrides, by the task-stopped Lambda.
 */
export const ENGINE_ENV = {
  /** The engine configuration as JSON (checks, size guard, compression); it holds no secrets. */
  config: 'PGPROOF_CONFIG',
  /** The backup bucket's name. Required. */
  bucket: 'PGPROOF_BUCKET',
  /** The key prefix of this pipeline's objects. */
  prefix: 'PGPROOF_PREFIX',
  /** The KMS key that encrypts uploads (SSE-KMS); unset: the bucket's default encryption. */
  kmsKeyId: 'PGPROOF_KMS_KEY_ID',
  /** An S3-compatible endpoint (local runs); unset: AWS S3. */
  s3Endpoint: 'PGPROOF_S3_ENDPOINT',
  /** The Secrets Manager secret holding the database password, read by the backup task with its role. */
  dbSecret: 'PGPROOF_DB_SECRET',
  /** The secret's JSON field holding the password. */
  dbSecretJsonField: 'PGPROOF_DB_SECRET_JSON_FIELD',
  /** Where verify decompresses the archive and runs its throwaway cluster. */
  workDir: 'PGPROOF_WORK_DIR',
  /** The Step Functions task token (container override); unset: the result is printed as a JSON line (local runs). */
  taskToken: 'PGPROOF_TASK_TOKEN',
  /** The run id (backup container override). Only the backup task gets it. */
  runId: 'PGPROOF_RUN_ID',
  /** Why the run was started (backup container override). */
  reason: 'PGPROOF_REASON',
  /**
   * The id of the database this task works on (backup and verify container override): a key of PGPROOF_CONFIG's
   * `databases`. Unset: the configuration's only database.
   */
  database: 'PGPROOF_DATABASE',
  /** The key of the dump to verify (verify container override). Only the verify task gets it. */
  backupKey: 'PGPROOF_BACKUP_KEY',
  /** pg_dump's --lock-wait-timeout in seconds. */
  lockWaitTimeoutSeconds: 'PGPROOF_LOCK_WAIT_TIMEOUT_SECONDS',
  /** Seconds without a dumped byte before the dump counts as hung. */
  stallTimeoutSeconds: 'PGPROOF_STALL_TIMEOUT_SECONDS',
  /** Colon-separated folders holding PostgreSQL installations (replaces the defaults). */
  pgRoots: 'PGPROOF_PG_ROOTS',
  /** The PATH searched for PostgreSQL programs outside those folders. */
  pgSearchPath: 'PGPROOF_PG_SEARCH_PATH',
  /** The unprivileged account that runs the throwaway cluster when the engine runs as root. */
  clusterUser: 'PGPROOF_CLUSTER_USER',
  /** DEBUG | INFO | WARN | ERROR. */
  logLevel: 'PGPROOF_LOG_LEVEL',
} as const;

/** The name of one of pgproof's own task variables. */
export type EngineEnvName = (typeof ENGINE_ENV)[keyof typeof ENGINE_ENV];

/** libpq's own variables (not pgproof's names) that the task definition sets and the backup task reads. */
export const LIBPQ_ENV = {
  host: 'PGHOST',
  port: 'PGPORT',
  user: 'PGUSER',
  database: 'PGDATABASE',
  password: 'PGPASSWORD',
  sslMode: 'PGSSLMODE',
  sslRootCert: 'PGSSLROOTCERT',
} as const;
