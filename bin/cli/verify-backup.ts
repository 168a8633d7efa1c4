// What `pgproof verify` does once its flags are parsed: resolve the backup, then re-verify it locally or in AWS.
// Loaded only when it runs (the AWS SDK, the catalog).
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { keySegment, parseBackupKey } from '../../containers/common/keys';
import { reasonProblem } from '../../lib/common/rules';
import { latestVerifiedBackup } from '../restore/restore-backup';
import { executionRecord } from './execution-history';
import { print, say } from './output';
import { startExecution, waitForExecution, type StartedExecution } from './start-execution';
import { usageError } from './usage-error';

/** `--backup latest`: the newest verified backup, the one `restore --backup latest` takes. */
export const LATEST = 'latest';

/** The run input that re-verifies an existing backup (the state machine's `verifyBackup`). */
export interface VerifyRunInput {
  readonly verifyBackup: string;
  readonly reason?: string;
}

/** The backup to verify again: its key, and the database it belongs to (its manifest's name, or its key folder). */
export interface BackupToVerify {
  readonly key: string;
  readonly database: string;
}

/** The run input for `key`, refusing an empty key or reason and a reason too long for the ECS overrides. */
export function verifyRunInput(key: string, reason: string | undefined): VerifyRunInput {
  if (key.trim() === '') throw usageError('--backup needs `latest` or a backup key, as `pgproof backups` lists them');
  const problem = reason === undefined ? undefined : reasonProblem('--reason', reason);
  if (problem) throw usageError(problem);
  return { verifyBackup: key, ...(reason !== undefined ? { reason } : {}) };
}

/**
 * The backup `--backup` names: `latest` is looked up in the bucket (`store`, needed only then); a key is taken as
 * given (the run itself fails with BackupNotFound when it is not a complete backup), after checking that it belongs
 * to `--database` when both are given.
 */
export async function resolveBackupToVerify(
  backup: string,
  database: string | undefined,
  store:
    | (() => Promise<{ s3: S3Client; storage: { bucket: string; prefix: string }; stop(): Promise<void> }>)
    | undefined,
): Promise<BackupToVerify> {
  if (backup === LATEST) {
    if (!store)
      throw usageError(
        '--backup latest needs the bucket to look in: add --bucket NAME (the stack output BucketName), or pass a backup key (`pgproof backups --bucket NAME` lists them)',
      );
    const { s3, storage, stop } = await store();
    try {
      const newest = await latestVerifiedBackup(s3, storage, database);
      return { key: newest.dumpKey, database: newest.database };
    } finally {
      await stop();
    }
  }
  const folder = parseBackupKey(backup)?.folder;
  if (database !== undefined && folder !== undefined && folder !== keySegment(database))
    throw usageError(
      `--backup ${backup} is a backup of the database folder "${folder}", not of --database ${database}: leave --database out, or pass a key of ${database} (\`pgproof backups --database ${database}\`)`,
    );
  return { key: backup, database: database ?? folder ?? backup };
}

export interface VerifyInAwsOptions {
  readonly sfn: SFNClient;
  readonly stateMachineArn: string;
  readonly input: VerifyRunInput;
  readonly json: boolean;
  readonly signal?: AbortSignal;
  /** Between two DescribeExecution calls. @default 5000 */
  readonly intervalMs?: number;
}

/**
 * Starts the re-verification in AWS as `pgproof start` does, follows it to its end and prints the result the same
 * way; returns the exit status (0 only if the backup verified).
 */
export async function verifyInAws(options: VerifyInAwsOptions): Promise<number> {
  const { sfn } = options;
  const started: StartedExecution = await startExecution(sfn, options.stateMachineArn, { ...options.input });
  say(`started execution ${started.name} to verify ${options.input.verifyBackup} again: ${started.consoleUrl}`);
  const done = await waitForExecution(sfn, started.executionArn, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
    onPoll: (status) => say(`… ${status}`),
  });
  const summary = await executionRecord(sfn, done);
  say(
    `${summary.status === 'SUCCEEDED' ? '✅ verified again' : `❌ ${summary.status}`}: ${options.input.verifyBackup}${summary.error ? ` (${summary.error.state}: ${summary.error.name}: ${summary.error.message})` : ''}`,
  );
  if (options.json) print(JSON.stringify({ ...started, ...summary }));
  return summary.status === 'SUCCEEDED' ? 0 : 1;
}
