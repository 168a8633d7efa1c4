import { redact } from '../../lib/common/redact';

/** `pg_restore --verbose` progress lines: what it was doing, not what went wrong. */
const PROGRESS = /^pg_restore: (?!error:|warning:|detail:|hint:|from TOC entry )/;
/** A header pg_restore prints before the TOC entry that failed; the next line says which entry. */
const PHASE_HEADER = /^pg_restore: while (PROCESSING|INITIALIZING|FINALIZING) TOC:\s*$/;
/** The leader's line when a parallel worker exits; after a real error it is only the consequence of that error. */
const WORKER_DIED = /^pg_restore: error: a worker process died unexpectedly\s*$/;
const REAL_ERROR = /^pg_restore: error: /;
/** Where pg_restore's report of a failure begins: the failing entry, or the error itself. */
const REPORT_START = /^pg_restore: (from TOC entry |error: (?!a worker process died unexpectedly\s*$))/;

/**
 * Collects pg_restore's stderr for an error report, bounded in memory: from the first failing entry on, every
 * line that is not a progress line (errors with their LINE, CONTEXT, HINT lines and the whole multi-line
 * `Command was:` statement); without an error, the last other lines, or the last progress lines in case
 * pg_restore died without a word.
 */
export class PgRestoreErrorLog {
  /** From the first failing entry (or real error) on: the report. */
  private readonly kept: string[] = [];
  /** The last other lines before it (warnings), shown only when no error came. */
  private readonly before: string[] = [];
  private readonly lastProgress: string[] = [];
  private omitted = 0;
  private partial = '';

  constructor(
    private readonly maxLines = 400,
    private readonly maxLineChars = 1000,
  ) {}

  /** Adds a chunk of stderr; returns its complete lines (for progress reporting). */
  push(chunk: Buffer | string): string[] {
    const parts = (this.partial + chunk.toString()).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.add(line);
    return parts;
  }

  private add(raw: string): void {
    const line =
      raw.length > this.maxLineChars
        ? `${raw.slice(0, this.maxLineChars)} … (line cut at ${this.maxLineChars} characters)`
        : raw;
    if (PROGRESS.test(line)) {
      this.lastProgress.push(line);
      if (this.lastProgress.length > 5) this.lastProgress.shift();
      return;
    }
    if (this.kept.length === 0 && !REPORT_START.test(line)) {
      this.before.push(line);
      if (this.before.length > 20) this.before.shift();
      return;
    }
    if (this.kept.length < this.maxLines) this.kept.push(line);
    else this.omitted++;
  }

  /** The report: see `formatPgRestoreErrors`. Redacted. */
  text(maxShown?: number): string {
    if (this.partial) {
      this.add(this.partial);
      this.partial = '';
    }
    const lines =
      this.kept.length > 0 ? this.kept : this.before.some((l) => l.trim() !== '') ? this.before : this.lastProgress;
    return redact(formatPgRestoreErrors(lines, this.kept.length > 0 ? this.omitted : 0, maxShown));
  }
}

/** Pure: the first real error of a report (see `formatPgRestoreErrors`), without pg_restore's prefix. */
export function firstRealError(report: string): string | undefined {
  const line = report.split('\n').find((l) => REAL_ERROR.test(l) && !WORKER_DIED.test(l));
  return line?.replace(REAL_ERROR, '');
}

/**
 * Pure: pg_restore's error lines as a report, first real error first. Blank runs collapse, the "while PROCESSING
 * TOC" header goes (the next line names the entry), and "a worker process died unexpectedly" is dropped after a
 * real error (it is that error's consequence in parallel mode) or explained when it stands alone. At most
 * `maxShown` lines and `maxChars` characters (a Step Functions cause holds 32,768), then "… (N more lines)".
 */
export function formatPgRestoreErrors(input: readonly string[], omitted = 0, maxShown = 60, maxChars = 12_000): string {
  const hasRealError = input.some((l) => REAL_ERROR.test(l) && !WORKER_DIED.test(l));
  const lines: string[] = [];
  for (const raw of input) {
    const line = raw.trimEnd();
    if (PHASE_HEADER.test(line)) continue;
    if (WORKER_DIED.test(line)) {
      if (hasRealError) continue;
      lines.push(
        `${line} (one of pg_restore's parallel workers ended without reporting an error, e.g. killed for lack of memory; ` +
          "this is pg_restore's message, pgproof itself did not crash)",
      );
      continue;
    }
    if (line === '' && (lines.length === 0 || lines[lines.length - 1] === '')) continue;
    lines.push(line);
  }
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  const shown: string[] = [];
  let chars = 0;
  for (const line of lines) {
    if (shown.length >= maxShown || chars + line.length > maxChars) break;
    shown.push(line);
    chars += line.length + 1;
  }
  const more = lines.length - shown.length + omitted;
  if (more > 0) shown.push(`… (${more} more line${more === 1 ? '' : 's'})`);
  return shown.join('\n');
}
