import { describe, expect, it } from 'vitest';
import { prunedLine, prunePlan, verifiedDatabases } from '../../../bin/cli/prune-plan';
import type { BackupCatalog, CatalogBackup } from '../../../containers/common/backup-catalog';
import { DEFAULT_RETENTION_POLICY } from '../../../lib/common/defaults';

const backup = (runId: string, verified: boolean): CatalogBackup =>
  ({
    runId,
    database: 'shop',
    dumpKey: `pgproof/shop/d/${runId}.dump.zst`,
    manifestKey: `pgproof/shop/d/${runId}.manifest.json`,
    ...(verified ? { verifiedKey: `pgproof/shop/d/${runId}.verified.json` } : {}),
    sidecarKeys: [`pgproof/shop/d/${runId}.roles.sql`],
    totalBytes: 1,
    verified: verified ? { restoreSeconds: 1 } : undefined,
  }) as unknown as CatalogBackup;

describe('prunePlan', () => {
  it("deletes every object of an expired backup and of an expired failed run, never a kept backup's", () => {
    const catalog: BackupCatalog = {
      backups: [backup('20261201T030000Z-000000000002', true), backup('20261101T030000Z-000000000001', false)],
      incomplete: [
        {
          runId: '20261102T030000Z-000000000003',
          folder: 'shop',
          date: '2026-11-02',
          keys: ['pgproof/shop/d/20261102T030000Z-000000000003.dump.zst'],
          totalBytes: 1,
          reason: 'no manifest',
        },
      ],
      foreign: [],
    };
    const plan = prunePlan(catalog, DEFAULT_RETENTION_POLICY, new Date('2026-12-01T04:00:00Z'));
    expect(plan).toEqual({
      deleted: [
        'pgproof/shop/d/20261101T030000Z-000000000001.dump.zst',
        'pgproof/shop/d/20261101T030000Z-000000000001.manifest.json',
        'pgproof/shop/d/20261101T030000Z-000000000001.roles.sql',
        'pgproof/shop/d/20261102T030000Z-000000000003.dump.zst',
      ],
      kept: ['pgproof/shop/d/20261201T030000Z-000000000002.dump.zst'],
    });
  });
});

describe('verifiedDatabases', () => {
  it('names the databases that verified in the run, never a failed one, and none of a run that never got to them', () => {
    const databases = [
      { database: 'shop', status: 'SUCCEEDED' },
      { database: 'blog', status: 'FAILED' },
      { database: 'crm', status: 'SUCCEEDED' },
    ] as const;
    expect(verifiedDatabases({ databases })).toEqual(['shop', 'crm']);
    expect(verifiedDatabases({ databases: [{ database: 'blog', status: 'FAILED' }] })).toEqual([]);
    expect(verifiedDatabases({})).toEqual([]);
  });
});

describe('prunedLine', () => {
  const run = (id: string) => `pgproof/shop/2026-12-01/20261201T0${id}0000Z-00000000000${id}`;
  it('names the runs whose backups were deleted, the object count and the backups kept', () => {
    const plan = {
      deleted: [`${run('1')}.dump.zst`, `${run('1')}.manifest.json`, `${run('2')}.dump.zst`],
      kept: [`${run('3')}.dump.zst`],
    };
    expect(prunedLine('shop', plan)).toBe(
      'pruned shop: deleted 2 expired backups (3 objects: runs 20261201T010000Z-000000000001, 20261201T020000Z-000000000002); kept 1 backup',
    );
  });
  it('says when nothing expired', () => {
    expect(prunedLine('shop', { deleted: [], kept: [`${run('3')}.dump.zst`, `${run('4')}.dump.zst`] })).toBe(
      'pruned shop: nothing expired; kept 2 backups',
    );
  });
});
