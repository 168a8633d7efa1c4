// What `pgproof prune` deletes: every object of each backup (and failed run) the retention policy expires. Pure.
import type { BackupCatalog } from '../../containers/common/backup-catalog';
import type { RetentionPolicy } from '../../lib/common/retention';
import { newestFirst, retentionPlan } from '../../containers/common/retention-plan';

export interface PrunePlan {
  /** Every object to delete: dumps, manifests, markers, sidecars of the expired backups, and expired runs' objects. */
  readonly deleted: readonly string[];
  /** The dump keys of the backups the policy keeps. */
  readonly kept: readonly string[];
}

/** Pure: the objects the policy expires at `now`, by the same decisions `pgproof backups` shows. */
export function prunePlan(catalog: BackupCatalog, policy: RetentionPolicy, now: Date): PrunePlan {
  const plan = retentionPlan(catalog, policy, now);
  return {
    deleted: plan.filter((b) => b.expired).flatMap((b) => b.objects),
    kept: plan
      .filter((b) => !b.expired)
      .sort(newestFirst)
      .map((b) => b.key),
  };
}
