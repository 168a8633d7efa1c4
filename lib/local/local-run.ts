import type { BackupResult } from '../../containers/backup/backup';
import type { EngineConfig } from '../../containers/common/engine-config';
import { libpqEnv, type ConnectionParams } from '../../containers/common/pg-connection';
import { newRunId } from '../../containers/common/keys';
import type { VerifyResult } from '../../containers/verify/verify';
import { runContainerTask } from './container-task';
import type { RunResult } from './run-result';

export interface LocalRunOptions {
  readonly connection: ConnectionParams;
  readonly config: EngineConfig;
  readonly s3: { endpoint?: string; bucket: string; prefix?: string; credentials?: Record<string, string> };
  readonly reason?: string;
  readonly signal?: AbortSignal;
  /** Called when a state starts (progress display). */
  readonly onState?: (state: string) => void;
  readonly onLogLine?: (state: string, line: string) => void;
}

/** The environment the Fargate tasks get, for the local child processes. */
function taskEnv(options: LocalRunOptions): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR };
  return {
    ...libpqEnv(options.connection, base),
    ...options.s3.credentials,
    PGPROOF_BUCKET: options.s3.bucket,
    PGPROOF_PREFIX: options.s3.prefix ?? 'pgproof',
    ...(options.s3.endpoint ? { PGPROOF_S3_ENDPOINT: options.s3.endpoint } : {}),
    PGPROOF_CONFIG: JSON.stringify(options.config),
  };
}

function failure(state: string, error: unknown): RunResult['error'] {
  const e = error as { name?: string; message?: string };
  return { state, name: e.name ?? 'Error', message: e.message ?? String(error) };
}

/**
 * Runs one backup-and-verify on this machine with the same task programs the Fargate tasks run (child processes,
 * same environment). The states are named as in the state machine.
 */
export async function runLocally(options: LocalRunOptions): Promise<RunResult> {
  const runId = newRunId();
  const startedAt = new Date().toISOString();
  const env = taskEnv(options);
  const base = { runId, database: options.connection.database, startedAt, ...(options.reason ? { reason: options.reason } : {}) };
  const log = (state: string) => (line: string) => options.onLogLine?.(state, line);

  options.onState?.('BackupDatabase');
  let backup: BackupResult;
  try {
    backup = (await runContainerTask('backup', {
      env: { ...env, PGPROOF_RUN_ID: runId, ...(options.reason ? { PGPROOF_REASON: options.reason } : {}) },
      ...(options.signal ? { signal: options.signal } : {}),
      onLogLine: log('BackupDatabase'),
    })) as BackupResult;
  } catch (error) {
    return { ...base, status: 'FAILED', finishedAt: new Date().toISOString(), error: failure('BackupDatabase', error) };
  }
  const backupPart = { key: backup.key, bytes: backup.bytes, sha256: backup.sha256, seconds: backup.seconds, tables: backup.tables, rows: backup.rows };

  options.onState?.('VerifyBackup');
  let verify: VerifyResult;
  try {
    verify = (await runContainerTask('verify', {
      env: { ...env, PGPROOF_BACKUP_KEY: backup.key },
      ...(options.signal ? { signal: options.signal } : {}),
      onLogLine: log('VerifyBackup'),
    })) as VerifyResult;
  } catch (error) {
    return { ...base, status: 'FAILED', finishedAt: new Date().toISOString(), backup: backupPart, error: failure('VerifyBackup', error) };
  }
  return {
    ...base,
    status: 'SUCCEEDED',
    finishedAt: new Date().toISOString(),
    backup: backupPart,
    verify: {
      restoreSeconds: verify.restoreSeconds,
      checks: verify.checks.map((c) => ({ name: c.name, passed: c.passed, value: c.value, expectation: c.expectation, ...(c.detail ? { detail: c.detail } : {}) })),
    },
  };
}
