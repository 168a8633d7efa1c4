import { truncate } from '../common/format';
import { runFacts, withChange } from '../common/run-facts';
import {
  asSingleRun,
  countOutcomes,
  type DatabaseOutcome,
  type OutcomeCounts,
  type SingleRun,
} from '../common/run-outcomes';
import type { RunResult } from '../common/run-result';
import { usefulErrorLines } from './error-lines';

/** One labelled figure of the message, e.g. `Size` → `1.21 GiB (+3.4% vs previous run)`. */
export interface Fact {
  readonly label: string;
  readonly value: string;
}

/** A fleet's failed databases: one line each for the first ones, and how many more failed. */
export interface FailedDatabases {
  /** `billing (new) failed in VerifyBackup: CheckFailed: invoices: 0 (expected >= 1)` */
  readonly lines: readonly string[];
  /** Failed databases without a line (beyond `MAX_FAILED_LINES`). */
  readonly more: number;
}

/** A chat message independent of any service; each target shapes it into its own payload. */
export interface ChatMessage {
  readonly succeeded: boolean;
  /** Status first: `✅ Backup verified: app`, `❌ Backup FAILED: app`, `❌ 2 of 200 databases FAILED, 198 verified: prod`. */
  readonly headline: string;
  readonly facts: readonly Fact[];
  /** On failure: the error name and its first useful lines. */
  readonly errorName?: string;
  readonly errorLines: readonly string[];
  readonly failedChecks: readonly string[];
  /** A run of several databases: how they ended, and the failed ones (absent for one database's run). */
  readonly databases?: OutcomeCounts & { readonly failures: FailedDatabases };
  readonly link?: { readonly label: string; readonly url: string };
  /** The whole message as plain text: printed by local runs, used as a fallback by the services. */
  readonly text: string;
}

/** The restore time is the point of the exercise: say what it means wherever it is shown. */
export const RECOVERY_NOTE = "today's measured recovery time";

/** What a re-verification's message says of its backup. */
export const REVERIFY_NOTE = 'an existing backup, verified again: no new backup was made';

/** A fleet message names at most this many failed databases, then says how many more failed. */
export const MAX_FAILED_LINES = 20;
/** A fleet message names at most this many new databases that verified. */
export const MAX_NEW_NAMES = 20;
const MAX_FAILED_LINE_CHARS = 300;
const LINK_LABEL = 'Open the run in the Step Functions console';

/** `… and 3 more failed`: closes a list of failed databases cut short. */
export function moreFailedLine(count: number): string {
  return `… and ${count} more failed`;
}

/**
 * Pure: builds the message for a run (success or failure). Holds nothing secret: the input never does. A run of
 * one database (no outcomes, or one) gets the same message either way; a run of several gets one message for all.
 */
export function buildChatMessage(run: RunResult, options: { reportUrl?: string } = {}): ChatMessage {
  const single = asSingleRun(run);
  // The link only when this run wrote the report: otherwise it would show an older run's page.
  const written = run.reports?.some((r) => r.written) && options.reportUrl?.startsWith('https://');
  return single
    ? buildSingleMessage(single, reportWarning(run), written ? options.reportUrl : undefined)
    : buildFleetMessage(run, run.outcomes ?? []);
}

/** The label of the link to the report (the S3 console: a login, no expiry). */
export const REPORT_LINK_LABEL = 'Report';

/** The label of the line saying a report was not written. */
export const REPORT_WARNING_LABEL = '⚠ Report';

/**
 * Pure: `not written for a, b: ReportNotWritten (…)` when WriteReports could not write some database's report;
 * undefined when every report was written (or the run had none). Never changes the message's status.
 */
export function reportWarning(run: RunResult): string | undefined {
  const where = "(its message is in the run's WriteReport step and the function's log)";
  if (run.reportsFailed) return `not written: ${run.reportsFailed.name} in ${run.reportsFailed.state} ${where}`;
  const failed = (run.reports ?? []).filter((r) => !r.written);
  if (!failed.length) return undefined;
  const more = failed.length - MAX_NEW_NAMES;
  const names = `${failed
    .slice(0, MAX_NEW_NAMES)
    .map((r) => r.database)
    .join(', ')}${more > 0 ? ` … and ${more} more` : ''}`;
  const first = failed[0]!.error;
  const why = first
    ? `${first.name}${first.message ? `: ${usefulErrorLines(first.message)[0] ?? ''}` : ''}`
    : 'unknown error';
  return truncate(`not written for ${names}: ${why} ${where}`, MAX_FAILED_LINE_CHARS * 2);
}

function buildSingleMessage(run: SingleRun, report?: string, reportUrl?: string): ChatMessage {
  const succeeded = run.status === 'SUCCEEDED';
  const facts = runFacts(run);
  const failedIn = run.error ? ` (failed in ${run.error.state})` : '';
  // A re-verification made no backup: the message must not read as today's backup.
  const headline = run.verifyBackup
    ? succeeded
      ? `✅ Existing backup re-verified: ${run.database}`
      : `❌ Re-verification of an existing backup FAILED: ${run.database}${failedIn}`
    : succeeded
      ? `✅ Backup verified: ${run.database}`
      : `❌ Backup FAILED: ${run.database}${failedIn}`;

  const list: Fact[] = [];
  if (run.verifyBackup) list.push({ label: 'Backup', value: `${run.verifyBackup} (${REVERIFY_NOTE})` });
  if (facts.size) list.push({ label: 'Size', value: withChange(facts.size, facts.sizeChange) });
  if (facts.dump) list.push({ label: 'Dump', value: facts.dump });
  if (facts.restore) {
    const change = facts.restoreChange ? `; ${facts.restoreChange} vs previous run` : '';
    list.push({ label: 'Restore', value: `${facts.restore} (${RECOVERY_NOTE}${change})` });
  }
  if (facts.checks) list.push({ label: 'Checks', value: facts.checks });
  if (facts.skippedExtensions) list.push({ label: 'Extensions', value: facts.skippedExtensions });
  list.push({ label: 'Run', value: run.runId });
  if (run.reason) list.push({ label: 'Reason', value: run.reason });
  if (report) list.push({ label: REPORT_WARNING_LABEL, value: report });
  if (reportUrl) list.push({ label: REPORT_LINK_LABEL, value: reportUrl });

  const errorLines = succeeded
    ? []
    : run.error
      ? usefulErrorLines(run.error.message)
      : ['no error details were passed to the notification'];
  const errorName = succeeded ? undefined : run.error?.name;
  const link = run.consoleUrl ? { label: LINK_LABEL, url: run.consoleUrl } : undefined;

  const message = { succeeded, headline, facts: list, errorName, errorLines, failedChecks: facts.failedChecks, link };
  return { ...message, text: plainText(message) };
}

/**
 * A run of several databases: the counts in the headline, one line per failed database (the first
 * `MAX_FAILED_LINES`), the new databases that verified, the run's own error if it carries one.
 */
function buildFleetMessage(run: RunResult, outcomes: readonly DatabaseOutcome[]): ChatMessage {
  const counts = countOutcomes(outcomes);
  const { total, verified, failed } = counts;
  const succeeded = run.status === 'SUCCEEDED' && failed === 0 && total > 0;
  const headline =
    total === 0
      ? `❌ No database was proved: ${run.database}`
      : failed > 0
        ? `❌ ${failed} of ${total} databases FAILED, ${verified} verified: ${run.database}`
        : succeeded
          ? `✅ ${total} databases verified: ${run.database}`
          : `❌ Run FAILED: ${run.database} (all ${total} databases verified)`;

  const failedOutcomes = outcomes.filter((o) => o.status !== 'SUCCEEDED');
  const failures: FailedDatabases = {
    lines: failedOutcomes.slice(0, MAX_FAILED_LINES).map(describeFailedDatabase),
    more: Math.max(0, failedOutcomes.length - MAX_FAILED_LINES),
  };
  const newVerified = outcomes.filter((o) => o.status === 'SUCCEEDED' && o.isNew === true).map((o) => o.database);

  const list: Fact[] = [];
  if (newVerified.length) {
    const more = newVerified.length - MAX_NEW_NAMES;
    list.push({
      label: 'New',
      value: `${newVerified.slice(0, MAX_NEW_NAMES).join(', ')}${more > 0 ? ` … and ${more} more` : ''}`,
    });
  }
  list.push({ label: 'Run', value: run.runId });
  if (run.reason) list.push({ label: 'Reason', value: run.reason });
  const report = reportWarning(run);
  if (report) list.push({ label: REPORT_WARNING_LABEL, value: report });

  // The failed databases carry their own errors; the run's error is shown when the state has one besides them.
  const errorLines = run.error
    ? usefulErrorLines(run.error.message)
    : !succeeded && failed === 0
      ? ['no error details were passed to the notification']
      : [];
  const errorName = run.error?.name;
  const link = run.consoleUrl ? { label: LINK_LABEL, url: run.consoleUrl } : undefined;

  const message = {
    succeeded,
    headline,
    facts: list,
    errorName,
    errorLines,
    failedChecks: [],
    databases: { ...counts, failures },
    link,
  };
  return { ...message, text: plainText(message) };
}

/** `billing (new) failed in VerifyBackup: CheckFailed: invoices: 0 (expected >= 1)`, at most 300 characters. */
function describeFailedDatabase(outcome: DatabaseOutcome): string {
  const who = `${outcome.database}${outcome.isNew ? ' (new)' : ''}`;
  if (!outcome.error)
    return truncate(`${who} failed (no error details were passed to the notification)`, MAX_FAILED_LINE_CHARS);
  const [first] = usefulErrorLines(outcome.error.message);
  const why = first ? `${outcome.error.name}: ${first}` : outcome.error.name;
  return truncate(`${who} failed in ${outcome.error.state}: ${why}`, MAX_FAILED_LINE_CHARS);
}

/**
 * Pure: the lines `render`ed, as many as fit in `budget` characters (joined by newlines) together with the line
 * `renderMore` makes for those left out: a payload stays within its service's limit by naming fewer, never by
 * cutting a line or the count off.
 */
export function fitLines(
  lines: readonly string[],
  alreadyLeftOut: number,
  budget: number,
  render: (line: string) => string,
  renderMore: (count: number) => string,
): string[] {
  const kept: string[] = [];
  let used = 0;
  for (const [i, line] of lines.entries()) {
    const rendered = render(line);
    const leftOut = lines.length - i - 1 + alreadyLeftOut;
    const closing = leftOut ? renderMore(leftOut).length + 1 : 0;
    if (used + rendered.length + closing > budget) break;
    kept.push(rendered);
    used += rendered.length + 1;
  }
  const leftOut = lines.length - kept.length + alreadyLeftOut;
  if (leftOut) kept.push(renderMore(leftOut));
  return kept;
}

function plainText(message: Omit<ChatMessage, 'text'>): string {
  const { headline, facts, errorName, errorLines, failedChecks, databases, link } = message;
  const lines = [headline];
  if (errorName || errorLines.length) {
    lines.push(`Error: ${errorName ?? 'unknown'}`);
    for (const line of errorLines) lines.push(`  ${line}`);
  }
  if (databases?.failures.lines.length) {
    lines.push('Failed databases:');
    for (const line of databases.failures.lines) lines.push(`  - ${line}`);
    if (databases.failures.more) lines.push(`  ${moreFailedLine(databases.failures.more)}`);
  }
  for (const fact of facts) lines.push(`${fact.label}: ${fact.value}`);
  if (failedChecks.length) {
    lines.push('Failed checks:');
    for (const check of failedChecks.slice(0, 10)) lines.push(`  - ${check}`);
  }
  if (link) lines.push(`${link.label}: ${link.url}`);
  return lines.join('\n');
}
