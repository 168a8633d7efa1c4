import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkVerifySpace, CLUSTER_OVERHEAD_BYTES, verifySpaceNeeded } from '../../../containers/verify/disk-space';

const GiB = 1024 ** 3;

describe('the space verify needs (issue 10.16)', () => {
  it('is the decompressed archive plus the restored database with a margin, not the compressed object', () => {
    // GIVEN a 5 GB database whose 1.7 GB object decompresses to 4 GB
    const needed = verifySpaceNeeded({ bytes: 1.7 * GiB, uncompressedBytes: 4 * GiB, databaseBytes: 5 * GiB });
    // THEN
    expect(needed).toEqual({ bytes: Math.ceil(4 * GiB + 5.5 * GiB + CLUSTER_OVERHEAD_BYTES), estimated: true });
  });

  it('falls back to the stored size for a manifest written before the sizes were recorded', () => {
    expect(verifySpaceNeeded({ bytes: 1234 })).toEqual({ bytes: 1234, estimated: false });
  });

  it('refuses with DiskFull naming the space needed, the space free and the settings that give more', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-space-'));
    try {
      await expect(
        checkVerifySpace(dir, { bytes: 1, uncompressedBytes: 2 ** 50, databaseBytes: 1 }),
      ).rejects.toMatchObject({
        name: 'DiskFull',
        message: expect.stringMatching(
          /^not enough disk space in .*pgproof-space-\w+ to verify this backup: it needs about 1\.00 PiB .* is free; nothing was downloaded\. .*tasks\.verify\.ephemeralStorageGiB.*--work-dir \/ PGPROOF_WORK_DIR/,
        ),
      });
      await expect(checkVerifySpace(dir, { bytes: 1024 })).resolves.toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
