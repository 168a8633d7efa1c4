import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { RestoreFailed } from '../../containers/common/errors';
import { describeExit, TailBuffer } from '../../containers/common/process';

/** One entry of an archive's table of contents (`pg_restore --list`). */
export interface TocEntry {
  readonly dumpId: number;
  /** pg_dump's object type, e.g. `TABLE`, `EVENT TRIGGER`, `FOREIGN DATA WRAPPER`, `SUBSCRIPTION`. */
  readonly type: string;
  readonly schema: string | undefined;
  readonly name: string;
  readonly owner: string | undefined;
  /** The line as pg_restore printed it, for a `--use-list` file. */
  readonly line: string;
}

/** What the restore must know about an archive before it touches the target. */
export interface ArchiveContents {
  readonly entries: readonly TocEntry[];
  /** Tablespaces the archive places objects in (`SET default_tablespace` in its schema script). */
  readonly tablespaces: readonly string[];
  /** Providers of the archive's security labels. */
  readonly labelProviders: readonly string[];
}

// pg_dump's object types, longest first so that "FOREIGN DATA WRAPPER" wins over a shorter prefix.
const TYPES = [
  'DEFAULT ACL',
  'EVENT TRIGGER',
  'FOREIGN DATA WRAPPER',
  'FOREIGN SERVER',
  'FOREIGN TABLE',
  'MATERIALIZED VIEW DATA',
  'MATERIALIZED VIEW',
  'PROCEDURAL LANGUAGE',
  'PUBLICATION TABLES IN SCHEMA',
  'PUBLICATION TABLE',
  'PUBLICATION',
  'SECURITY LABEL',
  'SUBSCRIPTION TABLE',
  'SUBSCRIPTION',
  'TABLE DATA',
  'TABLE ATTACH',
  'USER MAPPING',
  'BLOB DATA',
  'LARGE OBJECT',
  'SEQUENCE OWNED BY',
  'SEQUENCE SET',
  'FK CONSTRAINT',
  'CHECK CONSTRAINT',
  'INDEX ATTACH',
  'TEXT SEARCH CONFIGURATION',
  'TEXT SEARCH DICTIONARY',
  'TEXT SEARCH PARSER',
  'TEXT SEARCH TEMPLATE',
  'ACCESS METHOD',
  'OPERATOR CLASS',
  'OPERATOR FAMILY',
  'ROW SECURITY',
  'DEFAULT',
  'STATISTICS',
  'TRANSFORM',
].sort((a, b) => b.length - a.length);

/**
 * Parses `pg_restore --list` output: `<dumpId>; <tableoid> <oid> <TYPE> <schema|-> <name> <owner>`. Names may
 * hold spaces (a security label's name is `TABLE t`), so the schema is the first word after the type and the
 * owner the last.
 */
export function parseTocList(text: string): TocEntry[] {
  const entries: TocEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+); \d+ \d+ (.*)$/.exec(line.trimEnd());
    if (!m) continue;
    const rest = m[2]!;
    const type = TYPES.find((t) => rest.startsWith(`${t} `)) ?? rest.split(' ')[0]!;
    const words = rest.slice(type.length + 1).split(' ');
    const schema = words.shift();
    const owner = words.length > 1 ? words.pop() : undefined;
    entries.push({
      dumpId: Number(m[1]),
      type,
      schema: schema === '-' ? undefined : schema,
      name: words.join(' '),
      owner: owner === '-' || owner === '' ? undefined : owner,
      line: line.trimEnd(),
    });
  }
  return entries;
}

/** Tablespaces and security-label providers named in a schema script (`pg_restore --schema-only -f -`). */
export function scanSchemaScript(lines: Iterable<string>): { tablespaces: string[]; labelProviders: string[] } {
  const tablespaces = new Set<string>();
  const providers = new Set<string>();
  for (const line of lines) {
    const ts = /^SET default_tablespace = (.+);$/.exec(line);
    if (ts && ts[1] !== "''") tablespaces.add(unquote(ts[1]!));
    const label = /^SECURITY LABEL FOR ("(?:[^"]|"")+"|\S+) ON /.exec(line);
    if (label) providers.add(unquote(label[1]!));
  }
  return { tablespaces: [...tablespaces].sort(), labelProviders: [...providers].sort() };
}

function unquote(identifier: string): string {
  return identifier.startsWith('"') ? identifier.slice(1, -1).replace(/""/g, '"') : identifier;
}

function pgRestoreLines(
  binDir: string,
  args: string[],
  onLine: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    // Reading a local archive file: no connection, so no libpq environment is needed.
    const child = spawn(path.join(binDir, 'pg_restore'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const err = new TailBuffer(10);
    child.stderr.on('data', (d: Buffer) => err.push(d));
    createInterface({ input: child.stdout }).on('line', onLine);
    const onAbort = () => child.kill('SIGTERM');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', reject);
    child.once('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(signal.reason);
      if (code === 0 && !sig) return resolve();
      reject(
        new RestoreFailed(
          `pg_restore could not read the archive's contents: it ${describeExit(code, sig)}: ${err.text()}`,
        ),
      );
    });
  });
}

/** Reads the archive's table of contents and its schema script (no database involved). */
export async function readArchiveContents(
  binDir: string,
  file: string,
  signal?: AbortSignal,
): Promise<ArchiveContents> {
  const list: string[] = [];
  await pgRestoreLines(binDir, ['--list', file], (l) => list.push(l), signal);
  const script: string[] = [];
  await pgRestoreLines(
    binDir,
    ['--schema-only', '--file=-', file],
    (l) => {
      if (l.startsWith('SET default_tablespace') || l.startsWith('SECURITY LABEL')) script.push(l);
    },
    signal,
  );
  return { entries: parseTocList(list.join('\n')), ...scanSchemaScript(script) };
}
