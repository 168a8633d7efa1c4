import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import type pg from 'pg';
import { RestoreFailed } from './errors';
import { runCommand } from './process';
import { redact } from '../../lib/common/redact';

/**
 * Restoring a dump outside Amazon RDS: extensions that exist only on RDS (aws_s3, aws_commons, …) are left out of
 * the restore, with what belongs to them (their comments and grants, the data of their configuration tables),
 * through a `pg_restore --use-list` list. User objects that depend on such an extension cannot be restored
 * outside RDS either: they are named and the restore refuses, since skipping them would hide user data.
 */

/** An EXTENSION entry of an archive's table of contents. */
export interface ArchiveExtension {
  readonly id: number;
  readonly name: string;
}

/** One entry's header from pg_restore's verbose script output. */
export interface TocHeader {
  readonly id: number;
  readonly type: string;
  readonly schema: string;
  readonly name: string;
  readonly dependencies: readonly number[];
}

/** What the restore leaves out. */
export interface SkipPlan {
  /** The extensions left out, in archive order. */
  readonly skippedExtensions: string[];
  /** Every TOC entry left out: the extensions and what belongs to them. */
  readonly droppedIds: number[];
  /** User objects that depend on a skipped extension (they cannot be restored without it). */
  readonly blocked: TocHeader[];
}

const LIST_ENTRY = /^(\d+); \d+ \d+ (.*)$/;

/** Pure: the EXTENSION entries of a `pg_restore --list` text. */
export function listedExtensions(list: string): ArchiveExtension[] {
  const out: ArchiveExtension[] = [];
  for (const line of list.split('\n')) {
    const match = /^(\d+); \d+ \d+ EXTENSION - (\S+)/.exec(line);
    if (match) out.push({ id: Number(match[1]), name: match[2]! });
  }
  return out;
}

/**
 * Reads the entry headers of a verbose pg_restore script (`-- TOC entry N …`, `-- Dependencies: …`,
 * `-- Name: …; Type: …; Schema: …; Owner: …`), one line at a time so a large schema is never held in memory.
 */
export class TocHeaderReader {
  readonly headers = new Map<number, TocHeader>();
  private pending: { id: number; dependencies: number[] } | undefined;
  private previous = '';

  push(line: string): void {
    const previous = this.previous;
    this.previous = line;
    // A header opens with a line of its own ("--"): a lookalike comment inside a function body rarely does.
    const entry = previous === '--' ? /^-- TOC entry (\d+) \(class \d+ OID \d+\)$/.exec(line) : null;
    if (entry) {
      this.pending = { id: Number(entry[1]), dependencies: [] };
      return;
    }
    if (!this.pending) return;
    const deps = /^-- Dependencies:((?: \d+)+)$/.exec(line);
    if (deps) {
      this.pending.dependencies = deps[1]!.trim().split(' ').map(Number);
      return;
    }
    const name = /^-- (?:Data for )?Name: (.*); Type: (.*?); Schema: (.*?); Owner: (.*)$/.exec(line);
    if (name) this.headers.set(this.pending.id, { ...this.pending, name: name[1]!, type: name[2]!, schema: name[3]! });
    // Anything else ends the header: a "-- TOC entry" inside a function body cannot fake an entry.
    this.pending = undefined;
  }
}

/** Entry types that describe another object (its comment, grants, label) and go wherever that object goes. */
const ATTACHED = new Set(['COMMENT', 'ACL', 'SECURITY LABEL']);

/** Pure: ids of `TABLE DATA` / `SEQUENCE SET` entries in `schemas` with no table or sequence of their own in the archive (an extension's configuration tables). */
export function orphanDataIds(list: string, schemas: ReadonlySet<string>): number[] {
  const defined = new Set<string>();
  const data: Array<{ id: number; rest: string }> = [];
  for (const line of list.split('\n')) {
    const match = LIST_ENTRY.exec(line);
    if (!match) continue;
    const body = match[2]!;
    const dataMatch = /^(TABLE DATA|SEQUENCE SET) (.*)$/.exec(body);
    if (dataMatch)
      data.push({
        id: Number(match[1]),
        rest: `${dataMatch[1] === 'TABLE DATA' ? 'TABLE' : 'SEQUENCE'} ${dataMatch[2]}`,
      });
    else if (/^(TABLE|SEQUENCE) /.test(body)) defined.add(body);
  }
  return data
    .filter((d) => !defined.has(d.rest) && [...schemas].some((s) => d.rest.split(' ')[1] === s))
    .map((d) => d.id);
}

/**
 * Pure: which entries a restore outside RDS leaves out. `headers` come from the archive's verbose script (see
 * `TocHeaderReader`); `list` is the `pg_restore --list` text.
 */
export function planExtensionSkips(
  list: string,
  headers: ReadonlyMap<number, TocHeader>,
  rdsOnlyExtensions: readonly string[],
): SkipPlan {
  const rdsOnly = new Set(rdsOnlyExtensions);
  const extensions = listedExtensions(list);
  const skipped = extensions.filter((e) => rdsOnly.has(e.name));
  const skippedIds = new Set(skipped.map((e) => e.id));
  const present = new Set<number>();
  for (const line of list.split('\n')) {
    const match = LIST_ENTRY.exec(line);
    if (match) present.add(Number(match[1]));
  }
  // The schemas of an extension's members: the one it was created in (its EXTENSION entry depends on it) and
  // the one named after it, which RDS's extensions create for their members (aws_s3.*, aws_commons.*; such a
  // schema is itself a member and not dumped). Schemas a kept extension claims too are left alone.
  const schemasOf = (exts: readonly ArchiveExtension[]) => {
    const out = new Set<string>();
    for (const e of exts) {
      out.add(e.name);
      for (const d of headers.get(e.id)?.dependencies ?? []) {
        const dep = headers.get(d);
        if (dep?.type === 'SCHEMA') out.add(dep.name);
      }
    }
    return out;
  };
  const kept = schemasOf(extensions.filter((e) => !skippedIds.has(e.id)));
  const ownSchemas = new Set([...schemasOf(skipped)].filter((s) => !kept.has(s)));
  // A grant or comment on a member (members are not dumped: the entry depends only on objects not in the archive).
  const onOwnMember = (h: TocHeader) =>
    ATTACHED.has(h.type) &&
    h.dependencies.length > 0 &&
    h.dependencies.every((d) => !present.has(d)) &&
    (ownSchemas.has(h.schema) || (h.schema === '-' && ownSchemas.has(/^SCHEMA (.+)$/.exec(h.name)?.[1] ?? '')));

  const dropped = new Set<number>(skippedIds);
  const blocked = new Set<number>();
  const all = [...headers.values()];
  for (const h of all) {
    if (skippedIds.has(h.id)) continue;
    if (h.dependencies.some((d) => skippedIds.has(d))) {
      // The extension's own comment belongs to it; anything else (a column of its type, a view calling its
      // function: pg_dump points such dependencies at the extension) is a user object.
      (ATTACHED.has(h.type) ? dropped : blocked).add(h.id);
    } else if (onOwnMember(h)) {
      dropped.add(h.id);
    }
  }
  // Whatever depends on a blocked object cannot be restored either.
  for (let grew = true; grew; ) {
    grew = false;
    for (const h of all) {
      if (!blocked.has(h.id) && !dropped.has(h.id) && h.dependencies.some((d) => blocked.has(d))) {
        blocked.add(h.id);
        grew = true;
      }
    }
  }
  for (const id of orphanDataIds(list, ownSchemas)) dropped.add(id);
  return {
    skippedExtensions: skipped.map((e) => e.name),
    droppedIds: [...dropped].sort((a, b) => a - b),
    blocked: [...blocked].map((id) => headers.get(id)!).sort((a, b) => a.id - b.id),
  };
}

/** Pure: the `--list` text with the given entries commented out, for `pg_restore --use-list`. */
export function commentOut(list: string, ids: ReadonlySet<number>): string {
  return list
    .split('\n')
    .map((line) => {
      const match = LIST_ENTRY.exec(line);
      return match && ids.has(Number(match[1])) ? `;${line}` : line;
    })
    .join('\n');
}

/** `TABLE public.exports`, `VIEW public.v`. */
export function describeEntry(h: TocHeader): string {
  return `${h.type} ${h.schema && h.schema !== '-' ? `${h.schema}.` : ''}${h.name}`;
}

/** Data entries: left out of the header probe, so it never reads the table data. */
const DATA_ENTRY = /^\d+; \d+ \d+ (TABLE DATA|BLOBS|BLOB|LARGE OBJECTS?|BLOB METADATA) /;

async function archiveList(binDir: string, file: string): Promise<string> {
  const out = await runCommand(path.join(binDir, 'pg_restore'), ['--list', file]);
  if (out.code !== 0)
    throw new RestoreFailed(`pg_restore --list could not read the archive: ${redact(out.stderr.trim())}`);
  return out.stdout;
}

function readHeaders(binDir: string, file: string, listFile: string): Promise<Map<number, TocHeader>> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(binDir, 'pg_restore'), ['--verbose', '--file=-', `--use-list=${listFile}`, file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const reader = new TocHeaderReader();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    readline.createInterface({ input: child.stdout }).on('line', (line) => reader.push(line));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(reader.headers);
      else
        reject(
          new RestoreFailed(
            `pg_restore could not read the archive's table of contents: ${redact(stderr.trim().split('\n').slice(-5).join('\n'))}`,
          ),
        );
    });
  });
}

/** What `prepareRestoreList` found. */
export interface RestoreListResult {
  /** Every extension the dump creates. */
  readonly extensions: string[];
  /** The RDS-only extensions left out of the restore. */
  readonly skippedExtensions: string[];
  /** The `--use-list` file to pass to pg_restore, when something is left out. */
  readonly listFile?: string;
}

/**
 * Reads the archive's table of contents and, when it creates RDS-only extensions, writes the `--use-list` file
 * that leaves them out (into `workDir`). Refuses, naming them, when user objects depend on such an extension.
 * Costs one `pg_restore --list` (and, with a skipped extension, one pass over the schema, never the data).
 */
export async function prepareRestoreList(options: {
  binDir: string;
  file: string;
  workDir: string;
  rdsOnlyExtensions: readonly string[];
}): Promise<RestoreListResult> {
  const list = await archiveList(options.binDir, options.file);
  const extensions = listedExtensions(list);
  const rdsOnly = new Set(options.rdsOnlyExtensions);
  if (!extensions.some((e) => rdsOnly.has(e.name)))
    return { extensions: extensions.map((e) => e.name), skippedExtensions: [] };

  const probeFile = path.join(options.workDir, 'toc-probe.list');
  await writeFile(
    probeFile,
    list
      .split('\n')
      .filter((l) => !DATA_ENTRY.test(l))
      .join('\n'),
    { mode: 0o600 },
  );
  const headers = await readHeaders(options.binDir, options.file, probeFile);
  const plan = planExtensionSkips(list, headers, options.rdsOnlyExtensions);
  if (plan.blocked.length > 0) {
    const named = plan.blocked.slice(0, 10).map(describeEntry).join(', ');
    const more = plan.blocked.length > 10 ? ` and ${plan.blocked.length - 10} more` : '';
    throw new RestoreFailed(
      `${plan.blocked.length} object(s) of the dump depend on the extension(s) ${plan.skippedExtensions.join(', ')}, which exist only on ` +
        `Amazon RDS and cannot be restored outside it: ${named}${more}. pgproof cannot prove these objects, so the verification fails ` +
        'rather than leave them out. Remove the dependency (e.g. keep such values as text), or verify this database on RDS.',
    );
  }
  const listFile = path.join(options.workDir, 'restore.list');
  await writeFile(listFile, commentOut(list, new Set(plan.droppedIds)), { mode: 0o600 });
  return { extensions: extensions.map((e) => e.name), skippedExtensions: plan.skippedExtensions, listFile };
}

/**
 * Fails when the dump creates an extension (not left out as RDS-only) that the restore server cannot install,
 * naming each one and what to do, before pg_restore stops at the first of them.
 */
export async function assertExtensionsAvailable(
  admin: pg.Client,
  extensions: readonly string[],
  skipped: readonly string[],
): Promise<void> {
  const needed = extensions.filter((e) => !skipped.includes(e));
  if (needed.length === 0) return;
  const { rows } = await admin.query<{ name: string }>(
    'select name from pg_available_extensions where name = any($1)',
    [needed],
  );
  const available = new Set(rows.map((r) => r.name));
  const missing = needed.filter((e) => !available.has(e));
  if (missing.length === 0) return;
  throw new RestoreFailed(
    `the dump creates the extension${missing.length === 1 ? '' : 's'} ${missing.map((m) => `"${m}"`).join(', ')}, which the restore server ` +
      `lacks: install ${missing.length === 1 ? 'it' : 'them'} in the verify image (containers/Dockerfile), or, if ${missing.length === 1 ? 'it exists' : 'they exist'} ` +
      'only on Amazon RDS, add the name to rdsOnlyExtensions in the configuration so that verify skips it.',
  );
}
