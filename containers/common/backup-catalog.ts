import { ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import {
  groupRunObjects,
  missingParts,
  runsByFolder,
  verifiedCandidates,
  type GroupedListing,
  type ListedObject,
  type RunObjects,
} from './backup-listing';
import { BackupNotFound, StorageError } from './errors';
import { databasePrefix, keySegment, parseBackupKey } from './keys';
import { readManifest, readVerificationRecord, type Manifest, type VerificationRecord } from './manifest';
import type { StorageLocation } from './s3';

/** Where the catalog looks: the bucket and the key prefix backups are written under. */
export type CatalogLocation = Pick<StorageLocation, 'bucket' | 'prefix'>;

/** One complete backup in the bucket: a dump with its valid manifest, and whether a verification proved it. */
export interface CatalogBackup {
  readonly runId: string;
  /** The source database (the manifest's name, not the key folder several names can share). */
  readonly database: string;
  /** `YYYY-MM-DD`, the key's day folder. */
  readonly date: string;
  readonly dumpKey: string;
  readonly manifestKey: string;
  readonly manifest: Manifest;
  /** The verified marker's record; undefined when the backup was never verified (or the marker is unreadable). */
  readonly verified: VerificationRecord | undefined;
  /** The verified marker's key, when the object exists. */
  readonly verifiedKey?: string;
  /** Objects written beside the dump, e.g. `<runId>.roles.sql`. */
  readonly sidecarKeys: readonly string[];
  /** The dump object's size in the bucket. */
  readonly dumpBytes: number;
  /** Every object of the backup together (dump, manifest, marker, sidecars). */
  readonly totalBytes: number;
  /** When the dump object was written. */
  readonly lastModified: Date | undefined;
}

/** Objects of a run that do not make a backup (no dump, no or an invalid manifest): retention still has to see them. */
export interface IncompleteRun {
  readonly runId: string;
  readonly folder: string;
  readonly date: string;
  readonly keys: readonly string[];
  readonly totalBytes: number;
  readonly reason: string;
}

export interface BackupCatalog {
  /** Newest first. */
  readonly backups: readonly CatalogBackup[];
  /** Newest first. */
  readonly incomplete: readonly IncompleteRun[];
  /** Objects under the prefix that are not in the backup layout. */
  readonly foreign: readonly ListedObject[];
}

/** Every object under a prefix (all pages), with size and time. */
async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<ListedObject[]> {
  const objects: ListedObject[] = [];
  let token: string | undefined;
  do {
    let out: ListObjectsV2CommandOutput;
    try {
      out = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
      );
    } catch (error) {
      throw new StorageError(`cannot list s3://${bucket}/${prefix}: ${(error as Error).message}`, { cause: error });
    }
    for (const o of out.Contents ?? [])
      if (o.Key) objects.push({ key: o.Key, bytes: o.Size ?? 0, lastModified: o.LastModified });
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

/** The prefix holding a database's backups, or all of them. */
function listingPrefix(location: CatalogLocation, database: string | undefined): string {
  if (database !== undefined) return databasePrefix(location.prefix, database);
  const base = location.prefix.replace(/^\/+|\/+$/g, '');
  return base ? `${base}/` : '';
}

function objectsOf(run: RunObjects): ListedObject[] {
  return [run.dump, run.manifest, run.verified, ...run.sidecars].filter((o): o is ListedObject => o !== undefined);
}

/**
 * Reads a complete run's manifest and marker. Throws `BackupNotFound` when the manifest is missing or invalid, or
 * (with `matchDump`) describes another object.
 */
async function loadBackup(
  s3: S3Client,
  bucket: string,
  run: RunObjects & { dump: ListedObject; manifest: ListedObject },
  matchDump = true,
): Promise<CatalogBackup> {
  const manifest = await readManifest(s3, bucket, run.manifest.key);
  if (matchDump && (manifest.key !== run.dump.key || manifest.runId !== run.runId)) {
    throw new BackupNotFound(
      `the manifest s3://${bucket}/${run.manifest.key} describes ${manifest.key}, not the dump beside it`,
    );
  }
  const verified = run.verified ? await readVerificationRecord(s3, bucket, run.dump.key) : undefined;
  return {
    runId: run.runId,
    database: manifest.database,
    date: run.date,
    dumpKey: run.dump.key,
    manifestKey: run.manifest.key,
    manifest,
    verified,
    ...(run.verified ? { verifiedKey: run.verified.key } : {}),
    sidecarKeys: run.sidecars.map((s) => s.key),
    dumpBytes: run.dump.bytes,
    totalBytes: objectsOf(run).reduce((sum, o) => sum + o.bytes, 0),
    lastModified: run.dump.lastModified,
  };
}

function isComplete(run: RunObjects): run is RunObjects & { dump: ListedObject; manifest: ListedObject } {
  return missingParts(run) === undefined;
}

function incompleteRun(run: RunObjects, reason: string): IncompleteRun {
  const objects = objectsOf(run);
  return {
    runId: run.runId,
    folder: run.folder,
    date: run.date,
    keys: objects.map((o) => o.key),
    totalBytes: objects.reduce((s, o) => s + o.bytes, 0),
    reason,
  };
}

/**
 * Every backup under the prefix, of `database` when given (compared with each manifest's own database name, since
 * different names can share a key folder), with manifest and verified marker read. Runs whose objects do not make
 * a backup are listed as incomplete, with the reason.
 */
export async function listBackups(s3: S3Client, location: CatalogLocation, database?: string): Promise<BackupCatalog> {
  const { runs, foreign } = await listRuns(s3, location, database);
  const backups: CatalogBackup[] = [];
  const incomplete: IncompleteRun[] = [];
  for (const run of runs) {
    if (!isComplete(run)) {
      incomplete.push(incompleteRun(run, missingParts(run)!));
      continue;
    }
    let backup: CatalogBackup;
    try {
      backup = await loadBackup(s3, location.bucket, run);
    } catch (error) {
      if (!(error instanceof BackupNotFound)) throw error;
      incomplete.push(incompleteRun(run, error.message));
      continue;
    }
    if (database === undefined || backup.database === database) backups.push(backup);
  }
  return { backups, incomplete, foreign };
}

/** One listing of the prefix (of `database`'s folder when given), grouped into runs: no object is read. */
export async function listRuns(s3: S3Client, location: CatalogLocation, database?: string): Promise<GroupedListing> {
  return groupRunObjects(await listObjects(s3, location.bucket, listingPrefix(location, database)));
}

/**
 * The newest verified backup among `runs`, of `database` when given, optionally only among runs started before
 * `before` (a run id). Reads manifests newest first and stops at the first match; a run whose manifest is
 * unreadable or describes another object, or whose marker is unreadable, is passed over.
 */
export async function newestVerifiedIn(
  s3: S3Client,
  bucket: string,
  runs: readonly RunObjects[],
  options: { database?: string; before?: string } = {},
): Promise<CatalogBackup | undefined> {
  for (const run of verifiedCandidates(runs, options.before)) {
    if (!isComplete(run)) continue;
    let backup: CatalogBackup;
    try {
      backup = await loadBackup(s3, bucket, run);
    } catch (error) {
      if (error instanceof BackupNotFound) continue;
      throw error;
    }
    if ((options.database === undefined || backup.database === options.database) && backup.verified) return backup;
  }
  return undefined;
}

/**
 * Whether `runs` hold a complete backup (dump and valid manifest) of `database`. Reads manifests newest first and
 * stops at the first of `database` (a key folder can be shared by several names); lists nothing itself, so a
 * caller that already listed the database's runs pays no second listing.
 */
export async function hasCompleteBackupIn(
  s3: S3Client,
  bucket: string,
  runs: readonly RunObjects[],
  database: string,
): Promise<boolean> {
  for (const run of [...runs].sort((a, b) => b.runId.localeCompare(a.runId))) {
    if (!isComplete(run)) continue;
    try {
      if ((await loadBackup(s3, bucket, run)).database === database) return true;
    } catch (error) {
      if (!(error instanceof BackupNotFound)) throw error;
    }
  }
  return false;
}

/** Manifest reads in flight at once when many databases are looked up (one GET each, usually). */
const MANIFEST_READS_IN_FLIGHT = 8;

/**
 * Which of `databases` have a complete backup under the prefix, from ONE listing of the whole prefix (not one per
 * database): each name's key folder is taken from that listing, and its complete runs' manifests are read as
 * `hasCompleteBackupIn` does. Runs of `options.exceptRunId` are left out, so a retried step of the same run does
 * not find its own backups.
 */
export async function databasesWithCompleteBackup(
  s3: S3Client,
  location: CatalogLocation,
  databases: readonly string[],
  options: { exceptRunId?: string } = {},
): Promise<ReadonlySet<string>> {
  const folders = runsByFolder((await listRuns(s3, location)).runs);
  const found = new Set<string>();
  let next = 0;
  const worker = async () => {
    while (next < databases.length) {
      const database = databases[next++]!;
      const runs = (folders.get(keySegment(database)) ?? []).filter((r) => r.runId !== options.exceptRunId);
      if (runs.length > 0 && (await hasCompleteBackupIn(s3, location.bucket, runs, database))) found.add(database);
    }
  };
  await Promise.all(Array.from({ length: Math.min(MANIFEST_READS_IN_FLIGHT, databases.length) }, worker));
  return found;
}

/** The newest verified backup of `database` (before the run `options.before`, when given). */
export async function newestVerifiedBackup(
  s3: S3Client,
  location: CatalogLocation,
  database: string,
  options: { before?: string } = {},
): Promise<CatalogBackup | undefined> {
  const { runs } = await listRuns(s3, location, database);
  return newestVerifiedIn(s3, location.bucket, runs, { database, ...options });
}

/**
 * The backup whose dump is `dumpKey`, found by its key alone. Throws `BackupNotFound` when the manifest or the dump
 * is missing or the manifest is invalid; whether the manifest describes that very object is the caller's check
 * (restore holds it against the object's own metadata).
 */
export async function backupAt(s3: S3Client, bucket: string, dumpKey: string): Promise<CatalogBackup> {
  const parsed = parseBackupKey(dumpKey);
  if (parsed?.kind !== 'dump')
    throw new BackupNotFound(
      `${dumpKey} is not a backup key (expected <prefix>/<database>/<YYYY-MM-DD>/<run id>.dump.zst)`,
    );
  const { runs } = groupRunObjects(await listObjects(s3, bucket, `${parsed.base}.`));
  const run = runs.find((r) => r.base === parsed.base) ?? {
    runId: parsed.runId,
    folder: parsed.folder,
    date: parsed.date,
    base: parsed.base,
    sidecars: [],
  };
  // Read first, so a missing manifest is reported as such (it is written last: the run did not complete).
  const manifest = run.manifest ?? { key: `${parsed.base}.manifest.json`, bytes: 0, lastModified: undefined };
  const dump = run.dump?.key === dumpKey ? run.dump : undefined;
  const backup = await loadBackup(
    s3,
    bucket,
    { ...run, manifest, dump: dump ?? { key: dumpKey, bytes: 0, lastModified: undefined } },
    false,
  );
  if (!dump) throw new BackupNotFound(`the backup object s3://${bucket}/${dumpKey} is missing (its manifest exists)`);
  return backup;
}
