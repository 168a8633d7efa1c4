import { formatBytes, formatDuration } from '../common/format';
import { runFacts, withChange } from '../common/run-facts';
import { asSingleRun, type DatabaseOutcome, type SingleRun } from '../common/run-outcomes';
import type { RunResult } from '../common/run-result';

/**
 * A fleet's figures for the check-in: sums over its databases. Sizes and durations add up to the run's work (the
 * databases ran in parallel, so the sum is not the wall time); checks add up because each database passed all its
 * own. A database without a backup or verification (none in a run that may check in) adds nothing.
 */
export interface FleetTotals {
  readonly databases: number;
  readonly bytes: number;
  readonly dumpSeconds: number;
  readonly restoreSeconds: number;
  readonly checks: number;
  /** The ids of the databases new in this run. */
  readonly newDatabases: readonly string[];
}

/** Pure: the sums over a fleet's outcomes (see `FleetTotals`). */
export function fleetTotals(outcomes: readonly DatabaseOutcome[]): FleetTotals {
  const sum = (of: (o: DatabaseOutcome) => number | undefined) =>
    outcomes.reduce((total, o) => total + (of(o) ?? 0), 0);
  return {
    databases: outcomes.length,
    bytes: sum((o) => o.backup?.bytes),
    dumpSeconds: sum((o) => o.backup?.seconds),
    restoreSeconds: sum((o) => o.verify?.restoreSeconds),
    checks: sum((o) => o.verify?.checks),
    newDatabases: outcomes.filter((o) => o.isNew === true).map((o) => o.database),
  };
}

/** Pure: one line for services that keep a short message: `pgproof app: backup verified, 1.21 GiB, dump 4.3 s, …`. */
export function shortSummary(run: RunResult): string {
  const single = asSingleRun(run);
  return single ? singleShortSummary(single) : fleetShortSummary(run, fleetTotals(run.outcomes ?? []));
}

/** Pure: several lines for services that keep a body (Healthchecks.io shows it in the ping's details). */
export function longSummary(run: RunResult): string {
  const single = asSingleRun(run);
  return single ? singleLongSummary(single) : fleetLongSummary(run, run.outcomes ?? []);
}

function singleShortSummary(run: SingleRun): string {
  const facts = runFacts(run);
  const parts = [`pgproof ${run.database}: backup verified`];
  if (facts.size) parts.push(facts.size);
  if (facts.dump) parts.push(`dump ${facts.dump}`);
  if (facts.restore) parts.push(`restore ${facts.restore}`);
  if (facts.checks) parts.push(`checks ${facts.checks}`);
  parts.push(`run ${run.runId}`);
  return parts.join(', ');
}

function singleLongSummary(run: SingleRun): string {
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
    if (run.backup.sha256) lines.push(`SHA-256: ${run.backup.sha256}`);
  }
  if (run.reason) lines.push(`Reason: ${run.reason}`);
  if (run.consoleUrl) lines.push(`Console: ${run.consoleUrl}`);
  return lines.join('\n');
}

/** `pgproof prod: 3 databases verified, 3.62 GiB, dump 6 min 10 s, restore 5 min 00 s, checks 21/21 passed, run …` */
function fleetShortSummary(run: RunResult, totals: FleetTotals): string {
  return [
    `pgproof ${run.database}: ${totals.databases} databases verified`,
    formatBytes(totals.bytes),
    `dump ${formatDuration(totals.dumpSeconds)}`,
    `restore ${formatDuration(totals.restoreSeconds)}`,
    `checks ${totals.checks}/${totals.checks} passed`,
    `run ${run.runId}`,
  ].join(', ');
}

/** The totals, then one line per database (100 kB holds 200 of them many times over). */
function fleetLongSummary(run: RunResult, outcomes: readonly DatabaseOutcome[]): string {
  const totals = fleetTotals(outcomes);
  const lines = [
    `pgproof: ${totals.databases} databases of ${run.database} verified`,
    `Size: ${formatBytes(totals.bytes)} in total`,
    `Dump: ${formatDuration(totals.dumpSeconds)} in total`,
    `Restore: ${formatDuration(totals.restoreSeconds)} in total, the sum of today's measured recovery times`,
    `Checks: ${totals.checks}/${totals.checks} passed`,
  ];
  if (totals.newDatabases.length) lines.push(`New: ${totals.newDatabases.join(', ')}`);
  lines.push(`Run: ${run.runId}`);
  lines.push('Databases:');
  for (const outcome of outcomes) lines.push(`  ${databaseLine(outcome)}`);
  if (run.reason) lines.push(`Reason: ${run.reason}`);
  if (run.consoleUrl) lines.push(`Console: ${run.consoleUrl}`);
  return lines.join('\n');
}

/** `orders (new): 1.21 GiB (+4.0% vs previous run), dump 2 min 05 s, restore 1 min 40 s, checks 7/7 passed` */
function databaseLine(outcome: DatabaseOutcome): string {
  const facts = runFacts(outcome);
  const parts: string[] = [];
  if (facts.size) parts.push(withChange(facts.size, facts.sizeChange));
  if (facts.dump) parts.push(`dump ${facts.dump}`);
  if (facts.restore) parts.push(`restore ${facts.restore}`);
  if (facts.checks) parts.push(`checks ${facts.checks}`);
  return `${outcome.database}${outcome.isNew ? ' (new)' : ''}: ${parts.join(', ')}`;
}
