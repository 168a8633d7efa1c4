// Which objects each retention decision covers, and how each is marked in AWS. Pure: `pgproof backups`, `pgproof
// prune` and the apply-retention Lambda all read the catalog through it, so they cannot disagree.
import { applyRetention, lockUntil, type KeepRule, type RetentionPolicy } from '../../lib/common/retention';
import { RETENTION_TAG } from '../../lib/contracts/retention-marking';
import type { BackupCatalog } from './backup-catalog';

/** One backup (or run that never made one) of the catalog, with every object it owns and the policy's decision. */
export interface PlannedBackup {
  /** The dump's key; for a run that never made a backup, its first object's. */
  readonly key: string;
  /** The manifest's database; for a run without one, its key folder's name. */
  readonly database: string;
  readonly runId: string;
  /** When its run started (the run id's time). */
  readonly createdAt: Date;
  readonly verified: boolean;
  /** Every object: dump, manifest, verified marker, sidecars; or every object of an incomplete run. */
  readonly objects: readonly string[];
  /** The objects' bytes together. */
  readonly bytes: number;
  /** The measured recovery time of its verification. */
  readonly restoreSeconds?: number;
  /** The rules that keep it; empty when it expires. */
  readonly keptBy: readonly KeepRule[];
  /** When an unverified backup expires. */
  readonly expiresAt?: Date;
  readonly expired: boolean;
}

/** How one object is marked: its tag value, and until when it is locked (kept verified backups only). */
export interface RetentionMark {
  readonly key: string;
  /** The dump key of the backup (or the first key of the run) the object belongs to. */
  readonly backupKey: string;
  /** The `pgproof-retention` tag: the rules that keep it joined with `+`, or `expired`. */
  readonly tag: string;
  /** Object Lock's retain-until date; undefined: no lock (expired, unverified, kept by `min` alone, or already past). */
  readonly lockUntil?: Date;
}

const RUN_TIME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-/;

/** The time a run id was made: `20261124T031500Z-…` → 2026-11-24T03:15:00Z. */
export function runIdTime(runId: string): Date | undefined {
  const m = RUN_TIME.exec(runId);
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
}

/** Newest first; ties in time by key, descending. */
export function newestFirst(a: Pick<PlannedBackup, 'createdAt' | 'key'>, b: Pick<PlannedBackup, 'createdAt' | 'key'>) {
  return b.createdAt.getTime() - a.createdAt.getTime() || (a.key < b.key ? 1 : -1);
}

/**
 * Pure: every backup of the catalog, then every incomplete run (in the catalog's order), with the policy's decision
 * for its database at `now`. An incomplete run counts as an unverified backup: it expires after `unverifiedDays`.
 */
export function retentionPlan(catalog: BackupCatalog, policy: RetentionPolicy, now: Date): PlannedBackup[] {
  const entries = [
    ...catalog.backups.map((b) => ({
      key: b.dumpKey,
      database: b.database,
      runId: b.runId,
      verified: b.verified !== undefined,
      objects: [b.dumpKey, b.manifestKey, ...(b.verifiedKey ? [b.verifiedKey] : []), ...b.sidecarKeys],
      bytes: b.totalBytes,
      restoreSeconds: b.verified?.restoreSeconds,
    })),
    ...catalog.incomplete.map((r) => ({
      key: r.keys[0] ?? `${r.folder}/${r.runId}`,
      database: r.folder.split('/').at(-1) ?? r.folder,
      runId: r.runId,
      verified: false,
      objects: r.keys,
      bytes: r.totalBytes,
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
  return entries.map(({ restoreSeconds, ...e }) => {
    const d = decisions.get(e.key)!;
    return {
      ...e,
      ...(restoreSeconds !== undefined ? { restoreSeconds } : {}),
      keptBy: d.keptBy,
      ...(d.expiresAt ? { expiresAt: d.expiresAt } : {}),
      expired: d.expired,
    };
  });
}

/** The tag value for a decision: `daily+weekly+min`, `unverified`, or `expired`. */
export function retentionTagValue(keptBy: readonly KeepRule[]): string {
  return keptBy.length ? keptBy.join('+') : RETENTION_TAG.expired;
}

/**
 * Pure: how every object of the plan is marked at `now`: the tag of its backup's decision, and for a kept verified
 * backup the lock `lockUntil` gives, when that is still in the future. Foreign objects are not in the plan, so never
 * marked.
 */
export function retentionMarks(plan: readonly PlannedBackup[], policy: RetentionPolicy, now: Date): RetentionMark[] {
  return plan.flatMap((backup) => {
    const until = backup.verified && !backup.expired ? lockUntil(backup.createdAt, backup.keptBy, policy) : undefined;
    const lock = until && until.getTime() > now.getTime() ? { lockUntil: until } : {};
    const tag = retentionTagValue(backup.keptBy);
    return backup.objects.map((key) => ({ key, backupKey: backup.key, tag, ...lock }));
  });
}
