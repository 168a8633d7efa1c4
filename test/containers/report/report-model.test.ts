import { describe, expect, it } from 'vitest';
import type { BackupCatalog } from '../../../containers/common/backup-catalog';
import { newRunId } from '../../../containers/common/keys';
import { retentionPlan } from '../../../containers/common/retention-plan';
import { buildReportModel, median, restoreTrend, slope } from '../../../containers/report/report-model';
import { DEFAULT_RETENTION_POLICY } from '../../../lib/common/defaults';
import type { DatabaseRunRecord } from '../../../lib/contracts/run-record';
import { catalogBackup, syntheticHistory } from '../../helpers/synthetic-catalog';

const DAY_MS = 86_400_000;
const now = new Date('2026-12-01T12:00:00Z');
const daysAgo = (n: number) => new Date(now.getTime() - n * DAY_MS);
const empty: BackupCatalog = { backups: [], incomplete: [], foreign: [] };

describe('median, slope', () => {
  it('median of odd and even counts; least-squares slope, none without two distinct x', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(
      slope([
        { x: 0, y: 1 },
        { x: 1, y: 3 },
        { x: 2, y: 5 },
      ]),
    ).toBe(2);
    expect(slope([{ x: 0, y: 1 }])).toBeUndefined();
    expect(
      slope([
        { x: 1, y: 1 },
        { x: 1, y: 2 },
      ]),
    ).toBeUndefined();
  });
});

describe('buildReportModel', () => {
  it('joins the history and the bucket per run: figures, status, failed state and error, checks failed', () => {
    // GIVEN a verified run, a run whose verification failed one check, and a run whose dump failed
    const ok = catalogBackup('shop', daysAgo(3), { bytes: 1000, dumpSeconds: 4, restoreSeconds: 9, checks: 5 });
    const unproven = catalogBackup('shop', daysAgo(2), { bytes: 1100, dumpSeconds: 5 });
    const dumpRun = newRunId(daysAgo(1));
    const runs: DatabaseRunRecord[] = [
      { runId: ok.runId, database: 'shop', status: 'SUCCEEDED', startedAt: daysAgo(3).toISOString() },
      {
        runId: unproven.runId,
        database: 'shop',
        status: 'FAILED',
        startedAt: daysAgo(2).toISOString(),
        error: {
          state: 'VerifyBackup',
          name: 'VerificationFailed',
          message: `2 of 6 checks failed for ${unproven.dumpKey}`,
        },
      },
      {
        runId: dumpRun,
        database: 'shop',
        status: 'FAILED',
        startedAt: daysAgo(1).toISOString(),
        error: { state: 'BackupDatabase', name: 'DumpFailed', message: 'pg_dump: error: connection refused' },
      },
    ];
    // WHEN
    const model = buildReportModel({ catalog: { ...empty, backups: [unproven, ok] }, runs, now, days: 30 });
    // THEN one database, its runs oldest first
    expect(model.withHistory).toBe(true);
    expect(model.databases).toHaveLength(1);
    const [db] = model.databases;
    expect(db!.runs.map((r) => r.status)).toEqual(['verified', 'failed', 'failed']);
    expect(db!.runs[0]).toMatchObject({
      bytes: 1000,
      dumpSeconds: 4,
      restoreSeconds: 9,
      checksPassed: 5,
      checksFailed: 0,
    });
    expect(db!.runs[1]).toMatchObject({ bytes: 1100, checksPassed: 4, checksFailed: 2, verified: false });
    expect(db!.runs[1]!.restoreSeconds).toBeUndefined();
    expect(db!.runs[2]).toMatchObject({
      inBucket: false,
      error: { state: 'BackupDatabase', name: 'DumpFailed', message: 'pg_dump: error: connection refused' },
    });
    expect(db!.counts).toMatchObject({ verified: 1, failed: 2 });
    expect(db!.newestVerified).toMatchObject({
      runId: ok.runId,
      bytes: 1000,
      restoreSeconds: 9,
      ageSeconds: 3 * 86_400,
    });
  });

  it('from the bucket alone, says what it cannot tell: a backup without marker is unverified, objects without manifest incomplete', () => {
    const unproven = catalogBackup('shop', daysAgo(2), { bytes: 1100, dumpSeconds: 5 });
    const runId = newRunId(daysAgo(1));
    const catalog: BackupCatalog = {
      backups: [unproven],
      incomplete: [
        {
          runId,
          folder: 'pgproof/shop',
          date: '2026-11-30',
          keys: ['k'],
          totalBytes: 10,
          reason: 'no manifest (the run did not complete)',
        },
      ],
      foreign: [],
    };
    const model = buildReportModel({ catalog, now, days: 30 });
    expect(model.withHistory).toBe(false);
    const runs = model.databases[0]!.runs;
    expect(runs.map((r) => r.status)).toEqual(['unverified', 'incomplete']);
    expect(runs[0]!.note).toMatch(/verification failed or has not run/);
    expect(runs[1]!.note).toBe('incomplete backup: no manifest (the run did not complete)');
    expect(model.databases[0]!.newestVerified).toBeUndefined();
  });

  it('keeps the period to the last N days, but finds the newest verified backup in the whole catalog', () => {
    const old = catalogBackup('blog', daysAgo(40), { bytes: 1, dumpSeconds: 1, restoreSeconds: 2 });
    const recent = catalogBackup('blog', daysAgo(5), { bytes: 2, dumpSeconds: 1 });
    const model = buildReportModel({ catalog: { ...empty, backups: [recent, old] }, now, days: 30 });
    const db = model.databases[0]!;
    expect(db.runs.map((r) => r.runId)).toEqual([recent.runId]);
    expect(db.newestVerified?.runId).toBe(old.runId);
    expect(db.newestVerified?.ageSeconds).toBe(40 * 86_400);
    expect(model.from).toBe(daysAgo(30).toISOString());
  });

  it('shows what the retention policy keeps of each backup, and nothing without a policy', () => {
    const { catalog, runs } = syntheticHistory({ databases: 1, days: 60, now });
    const withPolicy = buildReportModel({ catalog, runs, now, days: 60, policy: DEFAULT_RETENTION_POLICY });
    const db = withPolicy.databases[0]!;
    const newest = db.runs.filter((r) => r.status === 'verified').at(-1)!;
    expect(newest.retention?.keptBy).toEqual(['daily', 'weekly', 'monthly', 'min']);
    expect(db.runs.some((r) => r.retention?.expired)).toBe(true);
    expect(db.retention!.kept + db.retention!.expired).toBe(catalog.backups.length + catalog.incomplete.length);
    const without = buildReportModel({ catalog, runs, now, days: 60 });
    expect(without.databases[0]!.retention).toBeUndefined();
    expect(without.databases[0]!.runs.every((r) => r.retention === undefined)).toBe(true);
  });

  it('decides retention exactly as the shared retention plan does (backups, prune, AWS marking)', () => {
    const { catalog, runs } = syntheticHistory({ databases: 3, days: 120, now });
    const plan = new Map(retentionPlan(catalog, DEFAULT_RETENTION_POLICY, now).map((p) => [p.key, p]));
    const model = buildReportModel({ catalog, runs, now, days: 120, policy: DEFAULT_RETENTION_POLICY });
    const shown = model.databases.flatMap((d) => d.runs).filter((r) => r.retention);
    expect(shown).toHaveLength(plan.size);
    for (const r of shown) {
      const p = plan.get(r.key!)!;
      expect(r.retention).toEqual({
        keptBy: p.keptBy,
        expired: p.expired,
        ...(p.expiresAt ? { expiresAt: p.expiresAt.toISOString() } : {}),
      });
    }
  });

  it('reports only the databases asked for, and an asked-for database the sources do not know as empty', () => {
    const { catalog, runs } = syntheticHistory({ databases: 3, days: 5, now });
    const model = buildReportModel({ catalog, runs, now, days: 5, databases: ['db_02', 'missing'] });
    expect(model.databases.map((d) => d.database)).toEqual(['db_02', 'missing']);
    expect(model.databases[1]!.runs).toEqual([]);
    expect(buildReportModel({ catalog: empty, now, days: 5 }).databases).toEqual([]);
  });

  it('shows a run that failed before any database with the database it names, else as a failure of the run', () => {
    // GIVEN a backup of shop, and two runs without database results: one labelled shop, one labelled demo
    const shop = catalogBackup('shop', daysAgo(3), { bytes: 1, dumpSeconds: 1, restoreSeconds: 1 });
    const failedRun = (label: string, n: number): DatabaseRunRecord => ({
      runId: newRunId(daysAgo(n)),
      database: label,
      status: 'FAILED',
      startedAt: daysAgo(n).toISOString(),
      error: { state: 'DiscoverDatabases', name: 'DatabaseConnectionFailed', message: 'no route to host' },
    });
    // WHEN
    const model = buildReportModel({
      catalog: { ...empty, backups: [shop] },
      runs: [],
      runLevelRuns: [failedRun('shop', 2), failedRun('demo', 1), failedRun('demo', 40)],
      now,
      days: 30,
    });
    // THEN shop has its failed run; demo is no database: its failure in the period is the run's
    expect(model.databases.map((d) => d.database)).toEqual(['shop']);
    expect(model.databases[0]!.runs.map((r) => r.status)).toEqual(['verified', 'failed']);
    expect(model.runFailures).toEqual([
      {
        runId: expect.any(String),
        at: daysAgo(1).toISOString(),
        label: 'demo',
        error: { state: 'DiscoverDatabases', name: 'DatabaseConnectionFailed', message: 'no route to host' },
      },
    ]);
  });

  it('masks a secret in an error message even though records should hold none', () => {
    const model = buildReportModel({
      catalog: empty,
      runs: [
        {
          runId: newRunId(daysAgo(1)),
          database: 'shop',
          status: 'FAILED',
          startedAt: daysAgo(1).toISOString(),
          error: {
            state: 'BackupDatabase',
            name: 'DatabaseConnectionFailed',
            message: 'cannot reach postgres://app:hunter22@db:5432/shop',
          },
        },
      ],
      now,
      days: 7,
    });
    const message = model.databases[0]!.runs[0]!.error!.message;
    expect(message).not.toContain('hunter22');
    expect(message).toContain('postgres://app:***@db:5432/shop');
  });
});

describe('restoreTrend', () => {
  const run = (daysBack: number, restoreSeconds?: number) => ({
    runId: String(daysBack),
    at: daysAgo(daysBack).toISOString(),
    status: 'verified' as const,
    verified: true,
    inBucket: true,
    ...(restoreSeconds !== undefined ? { restoreSeconds } : {}),
  });

  it('gives the latest value, its change against the median of the earlier ones and the slope per 30 days', () => {
    const trend = restoreTrend([run(20, 10), run(10, 20), run(5), run(0, 30)]);
    expect(trend).toMatchObject({ latestSeconds: 30, medianSeconds: 15, changePercent: 100, measurements: 3 });
    expect(trend!.slopePer30Days).toBeCloseTo(30, 5);
  });

  it('one measurement: the latest value only; none: no trend; measurements within two days: no slope', () => {
    expect(restoreTrend([run(3, 12)])).toEqual({
      latestSeconds: 12,
      latestAt: daysAgo(3).toISOString(),
      measurements: 1,
    });
    expect(restoreTrend([run(3)])).toBeUndefined();
    expect(restoreTrend([run(1, 5), run(0, 50)])?.slopePer30Days).toBeUndefined();
  });
});
