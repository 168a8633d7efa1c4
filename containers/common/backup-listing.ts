import { parseBackupKey } from './keys';

/** One object of a bucket listing. */
export interface ListedObject {
  readonly key: string;
  readonly bytes: number;
  readonly lastModified: Date | undefined;
}

/** The objects one run wrote for one database, before any of them is read. */
export interface RunObjects {
  readonly runId: string;
  /** The database's key segment. */
  readonly folder: string;
  /** `YYYY-MM-DD` */
  readonly date: string;
  /** The key without its ending, shared by every object of the run. */
  readonly base: string;
  readonly dump?: ListedObject;
  readonly manifest?: ListedObject;
  /** The verified marker, present only after a verification passed. */
  readonly verified?: ListedObject;
  /** Objects written beside the dump (today `<runId>.roles.sql`). */
  readonly sidecars: readonly ListedObject[];
}

/** A listing sorted into runs (newest first) and the objects that belong to no backup. */
export interface GroupedListing {
  readonly runs: readonly RunObjects[];
  readonly foreign: readonly ListedObject[];
}

/** Pure: groups a listing by run (the key without its ending), newest run first. */
export function groupRunObjects(objects: readonly ListedObject[]): GroupedListing {
  const runs = new Map<
    string,
    {
      runId: string;
      folder: string;
      date: string;
      base: string;
      dump?: ListedObject;
      manifest?: ListedObject;
      verified?: ListedObject;
      sidecars: ListedObject[];
    }
  >();
  const foreign: ListedObject[] = [];
  for (const object of objects) {
    const parsed = parseBackupKey(object.key);
    if (!parsed) {
      foreign.push(object);
      continue;
    }
    let run = runs.get(parsed.base);
    if (!run) {
      run = { runId: parsed.runId, folder: parsed.folder, date: parsed.date, base: parsed.base, sidecars: [] };
      runs.set(parsed.base, run);
    }
    if (parsed.kind === 'roles') run.sidecars.push(object);
    // Two dumps of one run (`.dump` and `.dump.zst`) are never written; the first listed stands, the other is foreign.
    else if (run[parsed.kind]) foreign.push(object);
    else run[parsed.kind] = object;
  }
  return { runs: [...runs.values()].sort(newestFirst), foreign };
}

/** Run ids sort by start time; the base breaks ties between databases of one run. */
function newestFirst(a: RunObjects, b: RunObjects): number {
  if (a.runId !== b.runId) return a.runId < b.runId ? 1 : -1;
  return a.base < b.base ? -1 : a.base > b.base ? 1 : 0;
}

/**
 * Pure: the runs that may hold a verified backup (dump, manifest and verified marker all present), newest first,
 * optionally only those started before `before` (a run id).
 */
export function verifiedCandidates(runs: readonly RunObjects[], before?: string): RunObjects[] {
  return runs.filter((r) => r.dump && r.manifest && r.verified && (before === undefined || r.runId < before));
}

/** Pure: why a run's objects are not a complete backup, or undefined when dump and manifest are both there. */
export function missingParts(run: RunObjects): string | undefined {
  if (!run.dump && !run.manifest) return 'neither dump nor manifest';
  if (!run.dump) return 'no dump object';
  if (!run.manifest) return 'no manifest (the run did not complete)';
  return undefined;
}

/** Pure: the runs of one listing by key folder (a database's key segment), each folder's runs in listing order. */
export function runsByFolder(runs: readonly RunObjects[]): ReadonlyMap<string, readonly RunObjects[]> {
  const folders = new Map<string, RunObjects[]>();
  for (const run of runs) {
    const list = folders.get(run.folder);
    if (list) list.push(run);
    else folders.set(run.folder, [run]);
  }
  return folders;
}
