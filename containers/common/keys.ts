import { randomBytes } from 'node:crypto';
import { joinKey } from './s3';

/**
 * A run id: UTC timestamp plus random hex, e.g. `20261124T031500Z-9f2c41d0ab`. Sorting run ids sorts runs by
 * start time, and two runs started in the same second still get different ids (and so different keys).
 */
export function newRunId(now: Date = new Date(), random: Buffer = randomBytes(5)): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${random.toString('hex')}`;
}

const RUN_ID = /^(\d{4})(\d{2})(\d{2})T\d{6}Z-[0-9a-f]{6,32}$/;

export function isRunId(value: string): boolean {
  return RUN_ID.test(value);
}

/** Makes a database name safe as one key segment. */
export function keySegment(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_') || '_';
}

/** `<prefix>/<database>/<YYYY-MM-DD>/<runId>.dump[.zst]` */
export function dumpKey(prefix: string, database: string, runId: string, extension: string): string {
  const m = RUN_ID.exec(runId);
  if (!m) throw new Error(`not a run id: ${runId}`);
  return joinKey(prefix, keySegment(database), `${m[1]}-${m[2]}-${m[3]}`, `${runId}${extension}`);
}

/** The folder holding every backup of one database. */
export function databasePrefix(prefix: string, database: string): string {
  return joinKey(prefix, keySegment(database)) + '/';
}

const DUMP_SUFFIX = /\.dump(\.zst)?$/;

export function isDumpKey(key: string): boolean {
  return DUMP_SUFFIX.test(key);
}

/** The manifest beside a dump: `<runId>.manifest.json`. */
export function manifestKeyFor(dump: string): string {
  if (!DUMP_SUFFIX.test(dump)) throw new Error(`not a dump key: ${dump}`);
  return dump.replace(DUMP_SUFFIX, '.manifest.json');
}

/** The verification record beside a dump, written only after a successful verification. */
export function verifiedKeyFor(dumpOrManifest: string): string {
  return dumpOrManifest.replace(DUMP_SUFFIX, '').replace(/\.manifest\.json$/, '') + '.verified.json';
}

/** The run id in a dump, manifest or verification key. */
export function runIdOfKey(key: string): string | undefined {
  const base = key.split('/').pop() ?? '';
  const id = base.replace(/\.(dump(\.zst)?|manifest\.json|verified\.json)$/, '');
  return isRunId(id) ? id : undefined;
}
