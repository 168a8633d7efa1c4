import { describe, expect, it } from 'vitest';
import { prunePlan } from '../../../bin/cli/prune-plan';
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
