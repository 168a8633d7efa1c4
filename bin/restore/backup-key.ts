import { keySegment, parseBackupKey, runIdOfKey } from '../../containers/common/keys';
import type { Manifest } from '../../containers/common/manifest';
import { ManifestMismatch, RestoreRefused } from './restore-errors';

/**
 * Checks a `--backup KEY` before any S3 request: a dump key (`.dump` or `.dump.zst`) under the prefix, in the
 * layout backups are written in (`<prefix>/<database>/<date>/<run id>.dump[.zst]`), with no `.`/`..`/empty segment.
 */
export function checkBackupKey(key: string, prefix: string): void {
  const base = prefix.replace(/^\/+|\/+$/g, '');
  const segments = key.split('/');
  if (segments.some((s) => s === '..' || s === '.' || s === '') || key.includes('\\')) {
    throw new RestoreRefused(
      `--backup "${key}" is not a backup key: it may not contain "..", "." or empty path segments; pass a backup.key that a run printed`,
    );
  }
  // An empty prefix (keys written as `<database>/<date>/…`) puts every key inside it.
  const head = base ? `${base}/` : '';
  if (!key.startsWith(head)) {
    throw new RestoreRefused(
      `--backup "${key}" is outside the prefix "${base}/": pass a backup.key that a run printed, or the --prefix it was written under`,
    );
  }
  const rest = key.slice(head.length).split('/');
  if (parseBackupKey(key)?.kind !== 'dump' || rest.length !== 3) {
    throw new RestoreRefused(
      `--backup "${key}" is not a backup key (expected ${base}/<database>/<YYYY-MM-DD>/<run id>.dump.zst, as a run prints it)`,
    );
  }
}

/** What S3 says about the dump object itself (HeadObject), to hold against the manifest. */
export interface DumpObjectFacts {
  readonly bytes: number | undefined;
  /** The object's user metadata (`pgproof-run-id`, `pgproof-database`), when present. */
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * The manifest read beside `key` must describe that very object: same key, run id, database folder and size (the
 * SHA-256 is checked while downloading). Otherwise a swapped manifest would restore another database.
 */
export function checkManifestDescribes(
  key: string,
  manifest: Manifest,
  object: DumpObjectFacts,
  database?: string,
): void {
  const problems: string[] = [];
  if (manifest.key !== key) problems.push(`it names the object ${manifest.key}`);
  if (manifest.runId !== runIdOfKey(key))
    problems.push(`its run id is ${manifest.runId}, the key's is ${runIdOfKey(key)}`);
  const folder = key.split('/').at(-3);
  if (folder !== keySegment(manifest.database))
    problems.push(`its database "${manifest.database}" does not belong in the folder "${folder}"`);
  if (database !== undefined && manifest.database !== database)
    problems.push(`its database is "${manifest.database}", not "${database}" (--database)`);
  if (object.bytes !== undefined && object.bytes !== manifest.bytes)
    problems.push(`it records ${manifest.bytes} bytes, the object has ${object.bytes}`);
  const metaRun = object.metadata['pgproof-run-id'];
  if (metaRun !== undefined && metaRun !== manifest.runId) problems.push(`the object was written by run ${metaRun}`);
  const metaDb = object.metadata['pgproof-database'];
  if (metaDb !== undefined && metaDb !== manifest.database)
    problems.push(`the object is a backup of database "${metaDb}"`);
  if (problems.length > 0) {
    throw new ManifestMismatch(
      `the manifest beside ${key} does not describe that backup: ${problems.join('; ')}. Nothing was restored. ` +
        'The manifest was replaced or edited: investigate the bucket, and restore another backup.',
    );
  }
}
