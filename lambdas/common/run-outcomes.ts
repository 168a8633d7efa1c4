import type { DatabaseOutcome } from '../../lib/contracts/run-record';
import type { CheckResult, RunError, RunResult, RunStatus } from './run-result';

export type { DatabaseOutcome } from '../../lib/contracts/run-record';

/**
 * One database's run as the notify functions read it: today's run state, or the run's only outcome in its place.
 * A run state fits as it is; an outcome differs in carrying the count of checks passed instead of each check.
 */
export interface SingleRun {
  /** The database: the run's label without outcomes, else its outcome's id (the same for a single `database`). */
  readonly database: string;
  readonly runId: string;
  readonly status: RunStatus;
  readonly reason?: string;
  /** A re-verification: the key of the existing backup verified again (no backup was made). */
  readonly verifyBackup?: string;
  readonly consoleUrl?: string;
  readonly backup?: {
    readonly key: string;
    readonly bytes: number;
    readonly seconds: number;
    /** Absent when an outcome's backup did not carry it. */
    readonly sha256?: string;
    readonly previousBytes?: number;
  };
  readonly verify?: {
    readonly restoreSeconds: number;
    /** Each check (today's run state), or how many passed (an outcome's count: a verified database passed all). */
    readonly checks: readonly CheckResult[] | number;
    readonly skippedExtensions?: readonly string[];
    readonly previous?: { readonly dumpBytes: number; readonly restoreSeconds?: number };
  };
  readonly error?: RunError;
}

/** How the databases of a run with outcomes ended. */
export interface OutcomeCounts {
  readonly total: number;
  readonly verified: number;
  readonly failed: number;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** Pure: how many databases verified and failed. */
export function countOutcomes(outcomes: readonly DatabaseOutcome[]): OutcomeCounts {
  const verified = outcomes.filter((o) => o.status === 'SUCCEEDED').length;
  return { total: outcomes.length, verified, failed: outcomes.length - verified };
}

/**
 * Pure: the run as one database's run, when it is one: a run without outcomes (before the Map, or an older
 * execution) as it is, and a run with exactly one outcome as that outcome with the run's id, reason and link. The
 * outcome's id names it: for a single `database` it is the run's label, and a fleet of one names its database
 * rather than the deployment. Undefined for a run with several outcomes (or an empty list): that is a fleet's run.
 */
export function asSingleRun(run: RunResult): SingleRun | undefined {
  if (run.outcomes === undefined) return run;
  const [outcome] = run.outcomes;
  if (!outcome || run.outcomes.length !== 1) return undefined;
  // The run state's status is SUCCEEDED only if its outcome is; taking both keeps a contradictory state a failure.
  const status: RunStatus = run.status === 'SUCCEEDED' && outcome.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED';
  const error = outcome.error ?? run.error;
  // The outcome's backup is loose: the backup engine's checksum travels in it when the state machine keeps it.
  const sha256 = outcome.backup?.sha256;
  return {
    database: outcome.database,
    runId: run.runId,
    status,
    ...(run.reason !== undefined ? { reason: run.reason } : {}),
    ...(run.verifyBackup !== undefined ? { verifyBackup: run.verifyBackup } : {}),
    ...(run.consoleUrl !== undefined ? { consoleUrl: run.consoleUrl } : {}),
    ...(outcome.backup
      ? {
          backup: {
            key: outcome.backup.key,
            bytes: outcome.backup.bytes,
            seconds: outcome.backup.seconds,
            ...(typeof sha256 === 'string' && SHA256.test(sha256) ? { sha256 } : {}),
            ...(outcome.backup.previousBytes !== undefined ? { previousBytes: outcome.backup.previousBytes } : {}),
          },
        }
      : {}),
    ...(outcome.verify ? { verify: outcome.verify } : {}),
    ...(error ? { error } : {}),
  };
}

/**
 * Pure: what the functions log about a run: its label, run id and status, and with outcomes how many databases
 * verified and failed. Never an error's text: a message might quote what it should not.
 */
export function runLogContext(run: RunResult): Record<string, unknown> {
  const context: Record<string, unknown> = { database: run.database, runId: run.runId, status: run.status };
  if (run.outcomes === undefined) return context;
  const { total, verified, failed } = countOutcomes(run.outcomes);
  return { ...context, databases: total, verified, failed };
}
