import { randomBytes } from 'node:crypto';
import { joinKey } from './s3';

/**
 * A run id: UTC timestamp plus random hex, e.g. `20261124T031500Z-9f2c41d0ab`. Sorting run ids sorts runs by
 * start time, and two runs started in the same second still get different ids (and so different keys).
 */
export function newRunId(now: Date = new Date(), random: Buffer = randomBytes(5)): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
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
  return `${joinKey(prefix, keySegment(database))}/`;
}

const DUMP_SUFFIX = /\.dump(\.zst)?$/;

/** What an object beside a backup holds, named by the ending of its key. */
export type BackupObjectKind = 'dump' | 'manifest' | 'verified' | 'roles';

/** `<runId>` + one of the endings a run writes; nothing else under the prefix belongs to a backup. */
const BACKUP_OBJECT = /^(.+?)\.(dump|dump\.zst|manifest\.json|verified\.json|roles\.sql)$/;
const KIND_OF_ENDING: Readonly<Record<string, BackupObjectKind>> = {
  dump: 'dump',
  'dump.zst': 'dump',
  'manifest.json': 'manifest',
  'verified.json': 'verified',
  'roles.sql': 'roles',
};

/** A key in the layout backups are written in: `<prefix>/<database folder>/<YYYY-MM-DD>/<runId><ending>`. */
export interface BackupObjectKey {
  readonly key: string;
  /** The database's key segment (several database names can share one: "my db", "my_db"). */
  readonly folder: string;
  /** The day folder, `YYYY-MM-DD` (the run id's UTC date). */
  readonly date: string;
  readonly runId: string;
  readonly kind: BackupObjectKind;
  /** The key without its ending: every object of one backup shares it. */
  readonly base: string;
}

/** Pure: reads a key of the backup layout, or undefined for any other object (a foreign file, a bad run id). */
export function parseBackupKey(key: string): BackupObjectKey | undefined {
  const segments = key.split('/');
  const file = segments.at(-1) ?? '';
  const date = segments.at(-2);
  const folder = segments.at(-3);
  const m = BACKUP_OBJECT.exec(file);
  if (
    !m ||
    folder === undefined ||
    date === undefined ||
    !folder ||
    !/^\d{4}-\d{2}-\d{2}$/.test(date) ||
    !isRunId(m[1]!)
  )
    return undefined;
  return {
    key,
    folder,
    date,
    runId: m[1]!,
    kind: KIND_OF_ENDING[m[2]!]!,
    base: key.slice(0, key.length - m[2]!.length - 1),
  };
}

/** The manifest beside a dump: `<runId>.manifest.json`. */
export function manifestKeyFor(dump: string): string {
  if (!DUMP_SUFFIX.test(dump)) throw new Error(`not a dump key: ${dump}`);
  return dump.replace(DUMP_SUFFIX, '.manifest.json');
}

/** The verification record beside a dump, written only after a successful verification. */
export function verifiedKeyFor(dumpOrManifest: string): string {
  return `${dumpOrManifest.replace(DUMP_SUFFIX, '').replace(/\.manifest\.json$/, '')}.verified.json`;
}

/** `<runId>.roles.sql` beside the dump: the server's role definitions for a restore onto a new server. */
export function rolesKeyFor(dump: string): string {
  return `${dump.replace(DUMP_SUFFIX, '')}.roles.sql`;
}

/** The run id in a dump, manifest, verification or role-definitions key. */
export function runIdOfKey(key: string): string | undefined {
  const file = key.split('/').pop() ?? '';
  const m = BACKUP_OBJECT.exec(file);
  return m && isRunId(m[1]!) ? m[1] : undefined;
}
