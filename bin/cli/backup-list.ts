// What `pgproof backups` prints: every backup of the catalog with what the retention policy does with it. Pure.
import type { BackupCatalog } from '../../containers/common/backup-catalog';
import { formatBytes } from '../../lambdas/common/format';
import { newestFirst, retentionPlan } from '../../containers/common/retention-plan';
import type { KeepRule, RetentionPolicy } from '../../lib/common/retention';
import { plainTable } from '../../lib/local/run-result';

/** One backup, as `--json` prints it. */
export interface BackupRow {
  readonly key: string;
  readonly database: string;
  /** When its run started (the run id's time), ISO 8601. */
  readonly createdAt: string;
  /** Every object of the backup together (dump, manifest, marker, sidecars). */
  readonly bytes: number;
  readonly verified: boolean;
  /** The measured recovery time of its verification. */
  readonly restoreSeconds?: number;
  /** The rules that keep it (empty: the policy expires it). */
  readonly keptBy: readonly KeepRule[];
  /** When an unverified backup expires; null for a verified one (kept until newer ones take its place). */
  readonly expiresAt: string | null;
}

export { runIdTime } from '../../containers/common/retention-plan';

/**
 * Pure: the catalog's backups, newest first, each with the policy's decision for its database at `now`. Runs that
 * never made a backup (no dump or manifest) are listed as unverified: the policy expires them like failed runs.
 */
export function backupRows(catalog: BackupCatalog, policy: RetentionPolicy, now: Date): BackupRow[] {
  return retentionPlan(catalog, policy, now)
    .sort(newestFirst)
    .map((b) => ({
      key: b.key,
      database: b.database,
      createdAt: b.createdAt.toISOString(),
      bytes: b.bytes,
      verified: b.verified,
      ...(b.restoreSeconds !== undefined ? { restoreSeconds: b.restoreSeconds } : {}),
      keptBy: b.keptBy,
      expiresAt: b.expiresAt ? b.expiresAt.toISOString() : null,
    }));
}

/** The rows as a plain table: date, database, size, verified, restore seconds, and what keeps it or when it expires. */
export function backupTable(rows: readonly BackupRow[], now: Date): string {
  const header = ['created (UTC)', 'database', 'size', 'verified', 'restore s', 'kept by / expires'];
  const cells = rows.map((r) => [
    r.createdAt.replace('T', ' ').slice(0, 19),
    r.database,
    formatBytes(r.bytes),
    r.verified ? 'yes' : 'no',
    r.restoreSeconds !== undefined ? r.restoreSeconds.toFixed(1) : '-',
    r.verified
      ? r.keptBy.length
        ? r.keptBy.join(', ')
        : 'expired'
      : r.keptBy.length && r.expiresAt
        ? `expires ${r.expiresAt.replace('T', ' ').slice(0, 16)} (in ${Math.max(0, Math.ceil((Date.parse(r.expiresAt) - now.getTime()) / 86_400_000))} d)`
        : 'expired',
  ]);
  return plainTable(header, cells);
}
