import { describe, expect, it } from 'vitest';
import { backupRows, backupTable, runIdTime } from '../../../bin/cli/backup-list';
import type { BackupCatalog, CatalogBackup, IncompleteRun } from '../../../containers/common/backup-catalog';
import { DEFAULT_RETENTION_POLICY } from '../../../lib/common/defaults';

/** A catalog backup with only the fields the listing reads. */
const backup = (database: string, runId: string, verified: boolean): CatalogBackup =>
  ({
    runId,
    database,
    dumpKey: `pgproof/${database}/${runId.slice(0, 4)}-${runId.slice(4, 6)}-${runId.slice(6, 8)}/${runId}.dump.zst`,
    manifestKey: `pgproof/${database}/${runId.slice(0, 4)}-${runId.slice(4, 6)}-${runId.slice(6, 8)}/${runId}.manifest.json`,
    sidecarKeys: [],
    totalBytes: 1000,
    verified: verified ? { restoreSeconds: 2.5 } : undefined,
  }) as unknown as CatalogBackup;
const catalog = (backups: CatalogBackup[], incomplete: IncompleteRun[] = []): BackupCatalog => ({
  backups,
  incomplete,
  foreign: [],
});

describe('runIdTime', () => {
  it("reads a run id's UTC time, and nothing from anything else", () => {
    expect(runIdTime('20261124T031500Z-0123456789ab')).toEqual(new Date('2026-11-24T03:15:00Z'));
    expect(runIdTime('not-a-run')).toBeUndefined();
  });
});

describe('backupRows', () => {
  it('lists every backup newest first, applying the policy per database, with each rule or the expiry', () => {
    const rows = backupRows(
      catalog(
        [
          backup('shop', '20261201T030000Z-000000000003', true),
          backup('shop', '20261130T030000Z-000000000002', false),
          backup('blog', '20261129T030000Z-000000000001', true),
          backup('shop', '20261120T030000Z-000000000001', false),
        ],
        [
          {
            runId: '20261201T040000Z-000000000004',
            folder: 'shop',
            date: '2026-12-01',
            keys: ['pgproof/shop/2026-12-01/20261201T040000Z-000000000004.dump.zst'],
            totalBytes: 10,
            reason: 'no manifest',
          },
        ],
      ),
      DEFAULT_RETENTION_POLICY,
      new Date('2026-12-01T05:00:00Z'),
    );
    expect(rows.map((r) => [r.database, r.createdAt.slice(0, 13), r.verified, r.keptBy, r.expiresAt])).toEqual([
      ['shop', '2026-12-01T04', false, ['unverified'], '2026-12-08T04:00:00.000Z'],
      ['shop', '2026-12-01T03', true, ['daily', 'weekly', 'monthly', 'min'], null],
      ['shop', '2026-11-30T03', false, ['unverified'], '2026-12-07T03:00:00.000Z'],
      ['blog', '2026-11-29T03', true, ['daily', 'weekly', 'monthly', 'min'], null],
      ['shop', '2026-11-20T03', false, [], '2026-11-27T03:00:00.000Z'],
    ]);
    expect(rows[1]).toMatchObject({ bytes: 1000, restoreSeconds: 2.5 });
    const table = backupTable(rows, new Date('2026-12-01T05:00:00Z'));
    expect(table).toContain('daily, weekly, monthly, min');
    expect(table).toMatch(/2026-11-20 03:00:00 +shop .*no +- +expired/);
    expect(table).toMatch(/expires 2026-12-08 04:00 \(in 7 d\)/);
  });
});
