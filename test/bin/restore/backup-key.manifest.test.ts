import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../../containers/common/manifest';
import { checkManifestDescribes } from '../../../bin/restore/backup-key';

const KEY = 'pgproof/app/2026-11-24/20261124T030000Z-0123456789.dump.zst';

describe('a manifest must describe the key asked for (issue 10.9)', () => {
  const manifest = { key: KEY, runId: '20261124T030000Z-0123456789', database: 'app', bytes: 1000 } as Manifest;
  const object = { bytes: 1000, metadata: { 'pgproof-run-id': manifest.runId, 'pgproof-database': 'app' } };

  it('accepts the matching manifest', () => {
    expect(() => checkManifestDescribes(KEY, manifest, object)).not.toThrow();
    expect(() => checkManifestDescribes(KEY, manifest, { bytes: 1000, metadata: {} }, 'app')).not.toThrow();
  });

  it('names every disagreement', () => {
    const other = {
      ...manifest,
      key: 'pgproof/billing/2026-11-24/20261124T030000Z-aaaaaaaaaa.dump.zst',
      runId: '20261124T030000Z-aaaaaaaaaa',
      database: 'billing',
      bytes: 5,
    };
    expect(() => checkManifestDescribes(KEY, other, object, 'app')).toThrow(
      /does not describe that backup: it names the object pgproof\/billing\/.*; its run id is 20261124T030000Z-aaaaaaaaaa.*; its database "billing" does not belong in the folder "app"; its database is "billing", not "app".*; it records 5 bytes, the object has 1000; the object was written by run 20261124T030000Z-0123456789; the object is a backup of database "app"\. Nothing was restored/,
    );
  });
});
