import { runFacts, withChange } from '../common/run-facts';
import type { RunResult } from '../common/run-result';

/** Pure: one line for services that keep a short message: `pgproof app: backup verified, 1.21 GiB, dump 4.3 s, …`. */
export function shortSummary(run: RunResult): string {
  const facts = runFacts(run);
  const parts = [`pgproof ${run.database}: backup verified`];
  if (facts.size) parts.push(facts.size);
  if (facts.dump) parts.push(`dump ${facts.dump}`);
  if (facts.restore) parts.push(`restore ${facts.restore}`);
  if (facts.checks) parts.push(`checks ${facts.checks}`);
  parts.push(`run ${run.runId}`);
  return parts.join(', ');
}

/** Pure: several lines for services that keep a body (Healthchecks.io shows it in the ping's details). */
export function longSummary(run: RunResult): string {
  const facts = runFacts(run);
  const lines = [`pgproof: backup of ${run.database} verified`];
  if (facts.size) lines.push(`Size: ${withChange(facts.size, facts.sizeChange)}`);
  if (facts.dump) lines.push(`Dump: ${facts.dump}`);
  if (facts.restore)
    lines.push(`Restore: ${withChange(facts.restore, facts.restoreChange)}, today's measured recovery time`);
  if (facts.checks) lines.push(`Checks: ${facts.checks}`);
  if (facts.skippedExtensions) lines.push(`Extensions: ${facts.skippedExtensions}`);
  lines.push(`Run: ${run.runId}`);
  if (run.backup) {
    lines.push(`Backup key: ${run.backup.key}`);
    lines.push(`SHA-256: ${run.backup.sha256}`);
  }
  if (run.reason) lines.push(`Reason: ${run.reason}`);
  if (run.consoleUrl) lines.push(`Console: ${run.consoleUrl}`);
  return lines.join('\n');
}
