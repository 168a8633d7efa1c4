// What `pgproof prune` and a pruning `run --local` delete: every object of each backup (and failed run) the retention
// policy expires. Pure.
import type { BackupCatalog } from '../../containers/common/backup-catalog';
import { runIdOfKey } from '../../containers/common/keys';
import type { RetentionPolicy } from '../../lib/common/retention';
import { newestFirst, retentionPlan } from '../../containers/common/retention-plan';
import type { RunRecord } from '../../lib/contracts/run-record';

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

/** Pure: the databases a run may prune, those that verified in it; a failed database's backups are left alone. */
export function verifiedDatabases(result: Pick<RunRecord, 'databases'>): string[] {
  return (result.databases ?? []).filter((d) => d.status === 'SUCCEEDED').map((d) => d.database);
}

/** Pure: one line saying what pruning one database deleted (by run id) and how many backups it kept. */
export function prunedLine(database: string, plan: PrunePlan): string {
  const runs = [...new Set(plan.deleted.map((key) => runIdOfKey(key) ?? key))];
  const kept = `kept ${plan.kept.length} backup${plan.kept.length === 1 ? '' : 's'}`;
  if (runs.length === 0) return `pruned ${database}: nothing expired; ${kept}`;
  return `pruned ${database}: deleted ${runs.length} expired backup${runs.length === 1 ? '' : 's'} (${plan.deleted.length} object${plan.deleted.length === 1 ? '' : 's'}: run${runs.length === 1 ? '' : 's'} ${runs.join(', ')}); ${kept}`;
}
