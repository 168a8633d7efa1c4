// Synthetic catalogs and run histories for the report's tests and benchmark: daily runs of many databases, with
// verification failures, dumps that never completed and a growing size and restore time.
import type { BackupCatalog, CatalogBackup, IncompleteRun } from '../../containers/common/backup-catalog';
import { dumpKey, newRunId } from '../../containers/common/keys';
import type { Manifest, VerificationRecord } from '../../containers/common/manifest';
import type { DatabaseRunRecord } from '../../lib/contracts/run-record';

const DAY_MS = 86_400_000;

/** One complete backup of `database` made at `at`, verified when `restoreSeconds` is given. */
export function catalogBackup(
  database: string,
  at: Date,
  figures: { bytes: number; dumpSeconds: number; restoreSeconds?: number; checks?: number; runId?: string },
): CatalogBackup {
  const runId = figures.runId ?? newRunId(at, Buffer.from(`${database}00000`.slice(0, 5)));
  const key = dumpKey('pgproof', database, runId, '.dump.zst');
  const stem = key.replace(/\.dump\.zst$/, '');
  const manifest: Manifest = {
    manifestVersion: 1,
    runId,
    database,
    key,
    bytes: figures.bytes,
    sha256: '0'.repeat(64),
    format: 'custom',
    compression: { method: 'zstd', level: 1, threads: 2 },
    server: { version: '15.18', major: 15, encoding: 'UTF8' },
    pgDump: { version: '15.18', major: 15 },
    startedAt: at.toISOString(),
    finishedAt: new Date(at.getTime() + figures.dumpSeconds * 1000).toISOString(),
    snapshotAt: at.toISOString(),
    dumpSeconds: figures.dumpSeconds,
    tables: [],
    largeObjects: 0,
    roles: [],
    deepProof: false,
    sizeGuard: { maxShrink: 0.5 },
  };
  const verified: VerificationRecord | undefined =
    figures.restoreSeconds !== undefined
      ? {
          runId,
          key,
          verifiedAt: new Date(at.getTime() + 60_000).toISOString(),
          restoreSeconds: figures.restoreSeconds,
          serverMajor: 15,
          tables: 3,
          rows: 100,
          checks: Array.from({ length: figures.checks ?? 4 }, (_, i) => ({ name: `check ${i + 1}`, passed: true })),
          deepProof: false,
        }
      : undefined;
  return {
    runId,
    database,
    date: at.toISOString().slice(0, 10),
    dumpKey: key,
    manifestKey: `${stem}.manifest.json`,
    manifest,
    verified,
    ...(verified ? { verifiedKey: `${stem}.verified.json` } : {}),
    sidecarKeys: [],
    dumpBytes: figures.bytes,
    totalBytes: figures.bytes + 2000,
    lastModified: at,
  };
}

export interface SyntheticHistory {
  readonly catalog: BackupCatalog;
  readonly runs: DatabaseRunRecord[];
}

/**
 * Daily runs at 03:15 UTC of `databases` databases over `days` days up to `now`: every 13th a verification with one
 * failed check (a backup without marker), every 29th a dump that never completed (objects without manifest).
 */
export function syntheticHistory(options: { databases: number; days: number; now: Date }): SyntheticHistory {
  const backups: CatalogBackup[] = [];
  const incomplete: IncompleteRun[] = [];
  const runs: DatabaseRunRecord[] = [];
  const firstDay = Math.floor(options.now.getTime() / DAY_MS) - options.days + 1;
  for (let d = 0; d < options.databases; d++) {
    const database = `db_${String(d + 1).padStart(2, '0')}`;
    for (let i = 0; i < options.days; i++) {
      const at = new Date((firstDay + i) * DAY_MS + (3 * 60 + 15) * 60_000);
      if (at.getTime() > options.now.getTime()) continue;
      const runId = newRunId(at, Buffer.from([d, i & 0xff, (i >> 8) & 0xff, 1, 2]));
      const bytes = Math.round((50 + d * 10) * 1024 ** 2 * (1 + i / 200) + ((i * 7919) % 997) * 1024);
      const dumpSeconds = 20 + d + i / 50 + ((i * 31) % 7);
      const restoreSeconds = 40 + d * 2 + i / 30 + ((i * 17) % 11);
      const base = { runId, database, startedAt: at.toISOString(), reason: 'scheduled' };
      if (i % 29 === 28) {
        const key = dumpKey('pgproof', database, runId, '.dump.zst');
        incomplete.push({
          runId,
          folder: `pgproof/${database}`,
          date: at.toISOString().slice(0, 10),
          keys: [key],
          totalBytes: 1024,
          reason: 'no manifest (the run did not complete)',
        });
        runs.push({
          ...base,
          status: 'FAILED',
          error: {
            state: 'BackupDatabase',
            name: 'DumpFailed',
            message: `pg_dump exited with status 1 for ${database}`,
          },
        });
      } else if (i % 13 === 12) {
        const backup = catalogBackup(database, at, { bytes, dumpSeconds, runId });
        backups.push(backup);
        runs.push({
          ...base,
          status: 'FAILED',
          backup: { key: backup.dumpKey, bytes, seconds: dumpSeconds },
          error: {
            state: 'VerifyBackup',
            name: 'VerificationFailed',
            message: `1 of 4 checks failed for ${backup.dumpKey}: orders_recent: 0 (expected >= 1)`,
          },
        });
      } else {
        const backup = catalogBackup(database, at, { bytes, dumpSeconds, restoreSeconds, checks: 4, runId });
        backups.push(backup);
        runs.push({
          ...base,
          status: 'SUCCEEDED',
          backup: { key: backup.dumpKey, bytes, seconds: dumpSeconds },
          verify: { restoreSeconds, checks: 4 },
        });
      }
    }
  }
  const newestFirst = <T extends { runId: string }>(a: T, b: T) => (a.runId < b.runId ? 1 : -1);
  return {
    catalog: { backups: backups.sort(newestFirst), incomplete: incomplete.sort(newestFirst), foreign: [] },
    runs,
  };
}
