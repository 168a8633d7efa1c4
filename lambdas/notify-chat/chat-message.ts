import { runFacts, withChange } from '../common/run-facts';
import type { RunResult } from '../common/run-result';
import { usefulErrorLines } from './error-lines';

/** One labelled figure of the message, e.g. `Size` → `1.21 GiB (+3.4% vs previous run)`. */
export interface Fact {
  readonly label: string;
  readonly value: string;
}

/** A chat message independent of any service; each target shapes it into its own payload. */
export interface ChatMessage {
  readonly succeeded: boolean;
  /** Status first: `✅ Backup verified: app` or `❌ Backup FAILED: app`. */
  readonly headline: string;
  readonly facts: readonly Fact[];
  /** On failure: the error name and its first useful lines. */
  readonly errorName?: string;
  readonly errorLines: readonly string[];
  readonly failedChecks: readonly string[];
  readonly link?: { readonly label: string; readonly url: string };
  /** The whole message as plain text: printed by local runs, used as a fallback by the services. */
  readonly text: string;
}

/** The restore time is the point of the exercise: say what it means wherever it is shown. */
export const RECOVERY_NOTE = "today's measured recovery time";

/** Pure: builds the message for a run (success or failure). Holds nothing secret: the input never does. */
export function buildChatMessage(run: RunResult): ChatMessage {
  const succeeded = run.status === 'SUCCEEDED';
  const facts = runFacts(run);
  const headline = succeeded
    ? `✅ Backup verified: ${run.database}`
    : `❌ Backup FAILED: ${run.database}${run.error ? ` (failed in ${run.error.state})` : ''}`;

  const list: Fact[] = [];
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

  const errorLines = succeeded
    ? []
    : run.error
      ? usefulErrorLines(run.error.message)
      : ['no error details were passed to the notification'];
  const errorName = succeeded ? undefined : run.error?.name;
  const link = run.consoleUrl
    ? { label: 'Open the run in the Step Functions console', url: run.consoleUrl }
    : undefined;

  return {
    succeeded,
    headline,
    facts: list,
    errorName,
    errorLines,
    failedChecks: facts.failedChecks,
    link,
    text: plainText(headline, list, errorName, errorLines, facts.failedChecks, link),
  };
}

function plainText(
  headline: string,
  facts: readonly Fact[],
  errorName: string | undefined,
  errorLines: readonly string[],
  failedChecks: readonly string[],
  link: { label: string; url: string } | undefined,
): string {
  const lines = [headline];
  if (errorName || errorLines.length) {
    lines.push(`Error: ${errorName ?? 'unknown'}`);
    for (const line of errorLines) lines.push(`  ${line}`);
  }
  for (const fact of facts) lines.push(`${fact.label}: ${fact.value}`);
  if (failedChecks.length) {
    lines.push('Failed checks:');
    for (const check of failedChecks.slice(0, 10)) lines.push(`  - ${check}`);
  }
  if (link) lines.push(`${link.label}: ${link.url}`);
  return lines.join('\n');
}
