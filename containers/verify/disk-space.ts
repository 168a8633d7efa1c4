import { ENGINE_ENV } from '../../lib/contracts/engine-env';
import { statfs } from 'node:fs/promises';
import { formatBytes } from '../../lambdas/common/format';
import { EPHEMERAL_STORAGE_GIB } from '../../lib/common/rules';
import { DiskFull } from '../common/errors';
import type { Manifest } from '../common/manifest';

/** Room for the throwaway cluster's own files (catalog, WAL) beyond the restored data. */
export const CLUSTER_OVERHEAD_BYTES = 128 * 1024 * 1024;

/** What a setting that gives verify more room is called, where. */
export const MORE_ROOM = `give the verify task more ephemeral storage (tasks.verify.ephemeralStorageGiB in the deployment configuration, verifyEphemeralStorageGiB on the PgProof construct; up to ${EPHEMERAL_STORAGE_GIB.max} GiB) or, in local runs, a work dir on a larger disk (--work-dir / ${ENGINE_ENV.workDir})`;

/**
 * The disk verify's work dir needs at its peak: the decompressed archive and the restored cluster side by side
 * (the archive is removed only after pg_restore). Manifests from before `uncompressedBytes`/`databaseBytes` were
 * recorded fall back to the stored size, the only figure they hold.
 */
export function verifySpaceNeeded(
  manifest: Pick<Manifest, 'bytes'> & { uncompressedBytes?: number | undefined; databaseBytes?: number | undefined },
): { bytes: number; estimated: boolean } {
  if (manifest.uncompressedBytes === undefined || manifest.databaseBytes === undefined)
    return { bytes: manifest.bytes, estimated: false };
  return {
    bytes: Math.ceil(manifest.uncompressedBytes + manifest.databaseBytes * 1.1 + CLUSTER_OVERHEAD_BYTES),
    estimated: true,
  };
}

/** Fails with DiskFull, before any download, when `dir` has less room than the verify of `manifest` needs. */
export async function checkVerifySpace(dir: string, manifest: Parameters<typeof verifySpaceNeeded>[0]): Promise<void> {
  const space = await statfs(dir).catch(() => undefined);
  if (!space) return;
  const free = space.bavail * space.bsize;
  const needed = verifySpaceNeeded(manifest);
  if (free >= needed.bytes) return;
  const what = needed.estimated
    ? `about ${formatBytes(needed.bytes)} (the ${formatBytes(manifest.uncompressedBytes!)} archive once decompressed plus the restored database of ${formatBytes(manifest.databaseBytes!)}, with a margin)`
    : `at least ${formatBytes(needed.bytes)} (the stored size; more once decompressed and restored)`;
  throw new DiskFull(
    `not enough disk space in ${dir} to verify this backup: it needs ${what}, ${formatBytes(free)} is free; nothing was downloaded. ${MORE_ROOM}`,
  );
}
