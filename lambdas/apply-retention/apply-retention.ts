import type { S3Client } from '@aws-sdk/client-s3';
import { listBackups } from '../../containers/common/backup-catalog';
import { databasePrefix, parseBackupKey } from '../../containers/common/keys';
import { retentionMarks, retentionPlan, type RetentionMark } from '../../containers/common/retention-plan';
import { joinKey } from '../../containers/common/s3';
import { InvalidInput, NotVerified } from '../common/errors';
import type { LambdaLogger } from '../common/logger';
import { extendObjectLock, setRetentionTag } from './object-marks';
import type { RetentionSettings } from './retention-settings';

/** The event: the dump key of the backup this run just verified. */
export interface ApplyRetentionInput {
  readonly backupKey: string;
}

/** What goes back into the state machine's state (kept small). */
export interface ApplyRetentionOutput {
  /** Backups (and runs that never made one) the policy keeps, in the database's folder. */
  readonly kept: number;
  /** … it expires: their objects are now tagged `expired`. */
  readonly expired: number;
  /** Objects whose retention tag was written (it was missing or different). */
  readonly tagged: number;
  /** Objects whose Object Lock retention was extended. */
  readonly locked: number;
}

/** Parses the event, or throws `InvalidInput` saying what is wrong. */
export function parseApplyRetentionInput(event: unknown): ApplyRetentionInput {
  const backupKey = (event as { backupKey?: unknown } | null | undefined)?.backupKey;
  if (typeof backupKey !== 'string' || !backupKey)
    throw new InvalidInput('the event must be { "backupKey": "<the dump key of the backup this run verified>" }');
  return { backupKey };
}

/** Object calls in flight at once: a folder holds about a hundred objects; S3 takes far more per prefix. */
const CALLS_IN_FLIGHT = 8;

/** Runs `fn` over `items`, `limit` at a time; after a failure starts no more and rejects with the first error. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export interface ApplyRetentionDeps {
  readonly s3: S3Client;
  readonly logger: LambdaLogger;
  readonly now: Date;
}

/**
 * Applies the policy to the folder of the backup just verified: refuses with `NotVerified` (marking nothing) unless
 * the catalog shows that backup verified, then tags every object of every backup and incomplete run in the folder
 * with the rules that keep it or `expired`, and with a lock mode extends the Object Lock of kept verified backups.
 * Objects outside the backup layout are never touched; nothing is ever deleted.
 */
export async function applyRetentionInBucket(
  input: ApplyRetentionInput,
  settings: RetentionSettings,
  deps: ApplyRetentionDeps,
): Promise<ApplyRetentionOutput> {
  const { bucket, prefix, policy, lockMode } = settings;
  const parsed = parseBackupKey(input.backupKey);
  if (parsed?.kind !== 'dump' || !input.backupKey.startsWith(databasePrefix(prefix, parsed.folder)))
    throw new InvalidInput(
      `backupKey ${input.backupKey} is not a dump key under the prefix "${prefix}" (expected ${prefix}/<database>/<YYYY-MM-DD>/<run id>.dump.zst)`,
    );
  // The whole key folder: every database name sharing it is decided separately by the plan.
  const folder = databasePrefix(prefix, parsed.folder);
  const listed = await listBackups(deps.s3, { bucket, prefix: joinKey(prefix, parsed.folder) });
  // Only `<folder>/<day>/<file>`: deeper keys that happen to look like backups belong to some other layout.
  const ours = (key: string | undefined) => key !== undefined && /^[^/]+\/[^/]+$/.test(key.slice(folder.length));
  const catalog = {
    backups: listed.backups.filter((b) => ours(b.dumpKey)),
    incomplete: listed.incomplete.filter((r) => ours(r.keys[0])),
    foreign: listed.foreign,
  };
  const proven = catalog.backups.find((b) => b.dumpKey === input.backupKey);
  if (!proven?.verified)
    throw new NotVerified(
      proven
        ? `s3://${bucket}/${input.backupKey} has no valid verified marker: retention is applied only after a verified backup, so nothing was marked`
        : `s3://${bucket}/${input.backupKey} is not a complete backup in the catalog: retention is applied only after a verified backup, so nothing was marked`,
    );
  const plan = retentionPlan(catalog, policy, deps.now);
  const marks = retentionMarks(plan, policy, deps.now);
  let tagged = 0;
  let locked = 0;
  let gone = 0;
  await forEachLimited(marks, CALLS_IN_FLIGHT, async (mark: RetentionMark) => {
    const object = { bucket, key: mark.key };
    const tag = await setRetentionTag(deps.s3, object, mark.tag);
    const lock =
      tag !== 'gone' && lockMode && mark.lockUntil
        ? await extendObjectLock(deps.s3, object, mark.lockUntil, lockMode, deps.now)
        : undefined;
    if (tag === 'written') {
      tagged++;
      deps.logger.debug('retention tag set', { key: mark.key, tag: mark.tag });
    }
    if (lock === 'written') {
      locked++;
      deps.logger.debug('object lock extended', { key: mark.key, until: mark.lockUntil?.toISOString() });
    }
    if (tag === 'gone' || lock === 'gone') {
      // Deleted since the listing (the lifecycle rules acting on an earlier tag): nothing left to mark.
      gone++;
      deps.logger.warn('object gone before it was marked', { key: mark.key });
    }
  });
  const output = {
    kept: plan.filter((b) => !b.expired).length,
    expired: plan.filter((b) => b.expired).length,
    tagged,
    locked,
  };
  deps.logger.info('retention applied', {
    backupKey: input.backupKey,
    objects: marks.length,
    foreign: listed.foreign.length,
    gone,
    locking: lockMode ?? 'off',
    ...output,
  });
  return output;
}
