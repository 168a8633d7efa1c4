// What `pgproof prune` deletes: every object of each backup (and failed run) the retention policy expires. Pure.
import type { BackupCatalog } from '../../containers/common/backup-catalog';
import type { RetentionPolicy } from '../../lib/common/retention';
import { backupRows } from './backup-list';

export interface PrunePlan {
  /** Every object to delete: dumps, manifests, markers, sidecars of the expired backups, and expired runs' objects. */
  readonly deleted: readonly string[];
  /** The dump keys of the backups the policy keeps. */
  readonly kept: readonly string[];
}

/** Pure: the objects the policy expires at `now`, by the same decisions `pgproof backups` shows. */
export function prunePlan(catalog: BackupCatalog, policy: RetentionPolicy, now: Date): PrunePlan {
  const rows = backupRows(catalog, policy, now);
  const expired = new Set(rows.filter((r) => r.keptBy.length === 0).map((r) => r.key));
  const deleted: string[] = [];
  for (const b of catalog.backups) {
    if (!expired.has(b.dumpKey)) continue;
    deleted.push(b.dumpKey, b.manifestKey, ...(b.verifiedKey ? [b.verifiedKey] : []), ...b.sidecarKeys);
  }
  for (const r of catalog.incomplete) if (r.keys[0] !== undefined && expired.has(r.keys[0])) deleted.push(...r.keys);
  return { deleted, kept: rows.filter((r) => r.keptBy.length > 0).map((r) => r.key) };
}
