// What `pgproof backups` prints: every backup of the catalog with what the retention policy does with it. Pure.
import type { BackupCatalog } from '../../containers/common/backup-catalog';
import { runIdTime } from '../../containers/common/keys';
import { formatBytes } from '../../lambdas/common/format';
import { applyRetention, type KeepRule, type RetentionPolicy } from '../../lib/common/retention';
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

// The run id's time has one home beside the key format; re-exported for the CLI's callers.
export { runIdTime };

/**
 * Pure: the catalog's backups, newest first, each with the policy's decision for its database at `now`. Runs that
 * never made a backup (no dump or manifest) are listed as unverified: the policy expires them like failed runs.
 */
export function backupRows(catalog: BackupCatalog, policy: RetentionPolicy, now: Date): BackupRow[] {
  const entries = [
    ...catalog.backups.map((b) => ({
      key: b.dumpKey,
      database: b.database,
      runId: b.runId,
      bytes: b.totalBytes,
      verified: b.verified !== undefined,
      restoreSeconds: b.verified?.restoreSeconds,
    })),
    ...catalog.incomplete.map((r) => ({
      key: r.keys[0] ?? `${r.folder}/${r.runId}`,
      database: r.folder.split('/').at(-1) ?? r.folder,
      runId: r.runId,
      bytes: r.totalBytes,
      verified: false,
      restoreSeconds: undefined,
    })),
  ].flatMap((e) => {
    const createdAt = runIdTime(e.runId);
    return createdAt ? [{ ...e, createdAt }] : [];
  });
  const decisions = new Map<string, ReturnType<typeof applyRetention>[number]>();
  for (const database of new Set(entries.map((e) => e.database))) {
    const mine = entries.filter((e) => e.database === database);
    for (const d of applyRetention(mine, policy, now)) decisions.set(d.key, d);
  }
  return entries
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.key < b.key ? 1 : -1))
    .map((e) => {
      const d = decisions.get(e.key)!;
      return {
        key: e.key,
        database: e.database,
        createdAt: e.createdAt.toISOString(),
        bytes: e.bytes,
        verified: e.verified,
        ...(e.restoreSeconds !== undefined ? { restoreSeconds: e.restoreSeconds } : {}),
        keptBy: d.keptBy,
        expiresAt: d.expiresAt ? d.expiresAt.toISOString() : null,
      };
    });
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
