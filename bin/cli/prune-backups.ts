// Deleting what the retention policy expires: `pgproof prune --local`, and `run --local` after a verified run.
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type CatalogLocation, listBackups } from '../../containers/common/backup-catalog';
import type { RetentionPolicy } from '../../lib/common/retention';
import { type PrunePlan, prunePlan } from './prune-plan';

export interface PruneOptions {
  /** Only this database's backups (every database's without it). */
  readonly database?: string;
  /** Decide, delete nothing. */
  readonly dryRun?: boolean;
  /** The instant the policy is applied at (default: now). */
  readonly now?: Date;
}

/** Lists the catalog, plans with `prunePlan`, and deletes the plan's objects (unless `dryRun`); returns the plan. */
export async function pruneBackups(
  s3: S3Client,
  storage: CatalogLocation,
  policy: RetentionPolicy,
  options: PruneOptions = {},
): Promise<PrunePlan> {
  const catalog = await listBackups(s3, storage, options.database);
  const plan = prunePlan(catalog, policy, options.now ?? new Date());
  if (!options.dryRun) {
    // One object at a time: a failure stops here, and what is left is still a valid catalog for the next run.
    for (const key of plan.deleted) await s3.send(new DeleteObjectCommand({ Bucket: storage.bucket, Key: key }));
  }
  return plan;
}
