// Pure: the catalog (and, locally, the run history) → one report model per database: every run of the period with
// its figures and status, the restore-time trend, the newest verified backup and what retention does with each.
import { redact } from '../../lib/common/redact';
import { applyRetention, type KeepRule, type RetentionPolicy } from '../../lib/common/retention';
import type { DatabaseRunRecord, RunError } from '../../lib/contracts/run-record';
import type { BackupCatalog } from '../common/backup-catalog';
import { runIdTime } from '../common/retention-plan';

const DAY_MS = 86_400_000;

/**
 * How a run ended, as far as the sources tell: `verified` (restored and checked), `failed` (the run history says so),
 * `unverified` (a backup without a verified marker: its verification failed or has not run; the bucket alone does
 * not say which), `incomplete` (objects of a backup that never completed), `running`.
 */
export type ReportRunStatus = 'verified' | 'failed' | 'unverified' | 'incomplete' | 'running';

/** What the retention policy does with a run's backup today. */
export interface RunRetention {
  readonly keptBy: readonly KeepRule[];
  readonly expired: boolean;
  /** When an unverified backup expires. */
  readonly expiresAt?: string;
}

/** One run of one database. */
export interface ReportRun {
  readonly runId: string;
  /** When the run started (ISO 8601). */
  readonly at: string;
  readonly status: ReportRunStatus;
  /** A verified marker proves its backup (a run can fail after that, e.g. at the chat post). */
  readonly verified: boolean;
  /** The dump object's size. */
  readonly bytes?: number;
  readonly dumpSeconds?: number;
  /** The measured recovery time: cluster start to restore end. */
  readonly restoreSeconds?: number;
  readonly checksPassed?: number;
  readonly checksFailed?: number;
  /** The failed state, error name and (already redacted) message, from the run history. */
  readonly error?: RunError;
  /** Why the bucket's objects of this run are not a verified backup (bucket-only runs). */
  readonly note?: string;
  readonly key?: string;
  /** Whether the backup is still in the bucket (a run in the history whose backup was pruned is not). */
  readonly inBucket: boolean;
  readonly retention?: RunRetention;
}

/** The trend of the measured recovery time over the period. */
export interface RestoreTrend {
  readonly latestSeconds: number;
  readonly latestAt: string;
  /** The median of the period's earlier measurements (absent with one measurement). */
  readonly medianSeconds?: number;
  /** Latest against that median, in percent. */
  readonly changePercent?: number;
  /** Least-squares slope over the period, in seconds per 30 days (absent unless the measurements span two days). */
  readonly slopePer30Days?: number;
  readonly measurements: number;
}

export interface NewestVerified {
  readonly runId: string;
  readonly at: string;
  readonly key: string;
  readonly bytes: number;
  readonly restoreSeconds: number;
  /** Now minus the run's start, in seconds. */
  readonly ageSeconds: number;
}

export interface DatabaseReport {
  readonly database: string;
  /** Every run of the period, oldest first. */
  readonly runs: readonly ReportRun[];
  readonly counts: Readonly<Record<ReportRunStatus, number>>;
  readonly restoreTrend?: RestoreTrend;
  /** From the whole catalog, not only the period: the backup a restore would take today. */
  readonly newestVerified?: NewestVerified;
  /** Backups of the database in the bucket (whole catalog) the policy keeps and expires; absent without a policy. */
  readonly retention?: { readonly kept: number; readonly expired: number };
}

/** A run that failed before it reached any database the sources know (e.g. discovery failed). */
export interface RunFailure {
  readonly runId: string;
  readonly at: string;
  /** The run's label (the database part of its connection, or the deployment's name). */
  readonly label: string;
  readonly error?: RunError;
}

export interface ReportModel {
  readonly generatedAt: string;
  readonly from: string;
  readonly to: string;
  readonly days: number;
  /** Whether a run history was read (locally, or the bucket's run logs) or only the bucket. */
  readonly withHistory: boolean;
  /** What the history was, as the page names it. @default the local run history */
  readonly historySource?: string;
  readonly databases: readonly DatabaseReport[];
  /** Runs of the period that failed before reaching any known database, oldest first. */
  readonly runFailures: readonly RunFailure[];
}

export interface ReportInput {
  readonly catalog: BackupCatalog;
  /** The run history's rows, one per database per run (`databaseRows`); absent when only the bucket is known. */
  readonly runs?: readonly DatabaseRunRecord[];
  /**
   * Records of runs without per-database results (they failed before the databases' Map, or predate it): their
   * `database` is the run's own label. Shown with that database when the sources know it, else as failures of the run.
   */
  readonly runLevelRuns?: readonly DatabaseRunRecord[];
  /** The retention policy to show the status of; absent: no retention status. */
  readonly policy?: RetentionPolicy;
  readonly now: Date;
  /** The period: the last `days` days up to `now`. */
  readonly days: number;
  /** Only these databases (all of the sources' otherwise). */
  readonly databases?: readonly string[];
  /** What `runs` come from, as the page names it. @default the local run history */
  readonly historySource?: string;
}

/** `3 of 5 checks failed for …`: verify's message when checks fail, the only place a failed check is counted. */
const CHECKS_FAILED = /^(\d+) of (\d+) checks failed/;

/** Pure: the median of non-empty `values`. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Pure: least-squares slope of y over x; undefined with fewer than two distinct x. */
export function slope(points: readonly { x: number; y: number }[]): number | undefined {
  if (points.length < 2) return undefined;
  const mx = points.reduce((s, p) => s + p.x, 0) / points.length;
  const my = points.reduce((s, p) => s + p.y, 0) / points.length;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  if (sxx === 0) return undefined;
  return points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx;
}

/** Pure: the restore-time trend of runs (oldest first); undefined when none measured one. */
export function restoreTrend(runs: readonly ReportRun[]): RestoreTrend | undefined {
  const measured = runs.filter((r) => r.restoreSeconds !== undefined);
  const latest = measured.at(-1);
  if (!latest) return undefined;
  const earlier = measured.slice(0, -1).map((r) => r.restoreSeconds!);
  const med = earlier.length ? median(earlier) : undefined;
  // A slope over minutes or hours extrapolated to a month says nothing: measurements must span two days.
  const spanMs = Date.parse(latest.at) - Date.parse(measured[0]!.at);
  const perMs =
    spanMs >= 2 * DAY_MS ? slope(measured.map((r) => ({ x: Date.parse(r.at), y: r.restoreSeconds! }))) : undefined;
  return {
    latestSeconds: latest.restoreSeconds!,
    latestAt: latest.at,
    ...(med !== undefined ? { medianSeconds: med } : {}),
    ...(med !== undefined && med > 0 ? { changePercent: ((latest.restoreSeconds! - med) / med) * 100 } : {}),
    ...(perMs !== undefined ? { slopePer30Days: perMs * 30 * DAY_MS } : {}),
    measurements: measured.length,
  };
}

interface Merged {
  runId: string;
  database: string;
  at?: Date;
  record?: DatabaseRunRecord;
  backup?: BackupCatalog['backups'][number];
  incomplete?: BackupCatalog['incomplete'][number];
}

/** A run's key in the retention plan: its dump's, or its first object's (as `retentionPlan` keys them). */
const catalogKey = (m: Merged) => m.backup?.dumpKey ?? m.incomplete?.keys[0] ?? `${m.incomplete?.folder}/${m.runId}`;

/** The database name of an incomplete run: its key folder (no manifest names it). */
const folderName = (folder: string) => folder.split('/').at(-1) ?? folder;

/** Pure: one run from what the history and the bucket know of it. */
function reportRun(m: Merged, retention: RunRetention | undefined): ReportRun {
  const { record, backup, incomplete } = m;
  const marker = backup?.verified;
  const fromMessage =
    record?.error?.name === 'VerificationFailed' ? CHECKS_FAILED.exec(record.error.message) : undefined;
  const checksPassed = marker
    ? marker.checks.filter((c) => c.passed).length
    : (record?.verify?.checks ?? (fromMessage ? Number(fromMessage[2]) - Number(fromMessage[1]) : undefined));
  const checksFailed = marker
    ? marker.checks.filter((c) => !c.passed).length
    : record?.verify
      ? 0
      : fromMessage
        ? Number(fromMessage[1])
        : undefined;
  const status: ReportRunStatus = record
    ? record.status === 'SUCCEEDED'
      ? 'verified'
      : record.status === 'RUNNING'
        ? 'running'
        : 'failed'
    : marker
      ? 'verified'
      : backup
        ? 'unverified'
        : 'incomplete';
  const bytes = backup?.manifest.bytes ?? record?.backup?.bytes;
  const dumpSeconds = backup?.manifest.dumpSeconds ?? record?.backup?.seconds;
  const restoreSeconds = marker?.restoreSeconds ?? record?.verify?.restoreSeconds;
  const key = backup?.dumpKey ?? incomplete?.keys[0] ?? record?.backup?.key;
  const note = record
    ? undefined
    : backup && !marker
      ? 'no verified marker: the verification failed or has not run (the bucket does not say which)'
      : incomplete
        ? `incomplete backup: ${incomplete.reason}`
        : undefined;
  // Built field by field, not with spreads: two years of twenty databases make tens of thousands of these.
  const run: { -readonly [K in keyof ReportRun]: ReportRun[K] } = {
    runId: m.runId,
    at: (m.at ?? new Date(0)).toISOString(),
    status,
    verified: marker !== undefined || record?.status === 'SUCCEEDED',
    inBucket: backup !== undefined || incomplete !== undefined,
  };
  if (bytes !== undefined) run.bytes = bytes;
  if (dumpSeconds !== undefined) run.dumpSeconds = dumpSeconds;
  if (restoreSeconds !== undefined) run.restoreSeconds = restoreSeconds;
  if (checksPassed !== undefined) run.checksPassed = checksPassed;
  if (checksFailed !== undefined) run.checksFailed = checksFailed;
  // Records hold no secret; masking again costs nothing and keeps one that slipped through out of a shared file.
  if (record?.error)
    run.error = { state: record.error.state, name: record.error.name, message: redact(record.error.message) };
  if (note) run.note = redact(note);
  if (key) run.key = key;
  if (retention) run.retention = retention;
  return run;
}

/** Pure: the report of every database the sources know (or of `input.databases`), names sorted. */
export function buildReportModel(input: ReportInput): ReportModel {
  const { catalog, now, days } = input;
  const from = new Date(now.getTime() - days * DAY_MS);
  const merged = new Map<string, Merged>();
  const entry = (database: string, runId: string): Merged => {
    const id = `${database}\u0000${runId}`;
    let m = merged.get(id);
    if (!m) {
      m = { runId, database };
      merged.set(id, m);
    }
    return m;
  };
  for (const b of catalog.backups) {
    const m = entry(b.database, b.runId);
    m.backup = b;
    m.at ??= runIdTime(b.runId) ?? new Date(b.manifest.startedAt);
  }
  for (const r of catalog.incomplete) {
    const m = entry(folderName(r.folder), r.runId);
    m.incomplete = r;
    m.at ??= runIdTime(r.runId);
  }
  for (const record of input.runs ?? []) {
    if (!record.database) continue;
    const m = entry(record.database, record.runId);
    m.record = record;
    // The history's start time is the run's own; a run id's time is the same to the second.
    const started = new Date(record.startedAt);
    if (Number.isFinite(started.getTime())) m.at = started;
  }

  // A run-level record joins a database only when the sources know that name; otherwise it is the run's failure.
  const runFailures: RunFailure[] = [];
  const known = new Set([...merged.values()].map((m) => m.database));
  for (const record of input.runLevelRuns ?? []) {
    if (record.database && known.has(record.database)) {
      const m = entry(record.database, record.runId);
      m.record = record;
      const started = new Date(record.startedAt);
      if (Number.isFinite(started.getTime())) m.at = started;
      continue;
    }
    const at = Date.parse(record.startedAt);
    if (record.status !== 'FAILED' || !Number.isFinite(at) || at < from.getTime() || at > now.getTime()) continue;
    runFailures.push({
      runId: record.runId,
      at: new Date(at).toISOString(),
      label: record.database,
      ...(record.error
        ? { error: { state: record.error.state, name: record.error.name, message: redact(record.error.message) } }
        : {}),
    });
  }
  runFailures.sort((a, b) => a.at.localeCompare(b.at));

  const byDatabase = new Map<string, Merged[]>();
  for (const m of merged.values()) {
    const list = byDatabase.get(m.database);
    if (list) list.push(m);
    else byDatabase.set(m.database, [m]);
  }
  const wanted = input.databases ? new Set(input.databases) : undefined;
  const names = [...byDatabase.keys()].filter((name) => !wanted || wanted.has(name)).sort();
  // Asked-for databases the sources do not know still get a section saying so.
  for (const name of input.databases ?? []) if (!names.includes(name)) names.push(name);

  const databases = names.map((database): DatabaseReport => {
    const mine = (byDatabase.get(database) ?? [])
      .filter((m) => m.at !== undefined)
      .sort((a, b) => a.at!.getTime() - b.at!.getTime() || a.runId.localeCompare(b.runId));
    const inCatalog = mine.filter((m) => m.backup || m.incomplete);
    // `retentionPlan`'s decisions (what `pgproof backups`, `prune` and the AWS marking apply): the same candidates
    // (key, run id time, verified) through the same rule, without the plan's object lists this page does not need.
    const candidates = inCatalog.flatMap((m) => {
      const createdAt = runIdTime(m.runId);
      return createdAt ? [{ key: catalogKey(m), createdAt, verified: m.backup?.verified !== undefined }] : [];
    });
    const decisions = input.policy ? applyRetention(candidates, input.policy, now) : undefined;
    const byKey = decisions ? new Map(decisions.map((d) => [d.key, d] as const)) : undefined;
    const retentionOf = (m: Merged): RunRetention | undefined => {
      const d = byKey?.get(catalogKey(m));
      if (!d || !(m.backup || m.incomplete)) return undefined;
      return { keptBy: d.keptBy, expired: d.expired, ...(d.expiresAt ? { expiresAt: d.expiresAt.toISOString() } : {}) };
    };
    const runs = mine
      .filter((m) => m.at!.getTime() >= from.getTime() && m.at!.getTime() <= now.getTime())
      .map((m) => reportRun(m, retentionOf(m)));
    const counts = { verified: 0, failed: 0, unverified: 0, incomplete: 0, running: 0 };
    for (const r of runs) counts[r.status]++;
    const newest = inCatalog.filter((m) => m.backup?.verified).at(-1);
    const trend = restoreTrend(runs);
    return {
      database,
      runs,
      counts,
      ...(trend ? { restoreTrend: trend } : {}),
      ...(newest?.backup?.verified
        ? {
            newestVerified: {
              runId: newest.runId,
              at: newest.at!.toISOString(),
              key: newest.backup.dumpKey,
              bytes: newest.backup.manifest.bytes,
              restoreSeconds: newest.backup.verified.restoreSeconds,
              ageSeconds: Math.max(0, (now.getTime() - newest.at!.getTime()) / 1000),
            },
          }
        : {}),
      ...(decisions
        ? {
            retention: {
              kept: decisions.filter((d) => !d.expired).length,
              expired: decisions.filter((d) => d.expired).length,
            },
          }
        : {}),
    };
  });
  return {
    generatedAt: now.toISOString(),
    from: from.toISOString(),
    to: now.toISOString(),
    days,
    withHistory: input.runs !== undefined || input.runLevelRuns !== undefined,
    ...(input.historySource ? { historySource: input.historySource } : {}),
    databases,
    runFailures,
  };
}
