import type { z } from 'zod';
import type { databaseOutcomeSchema } from '../../lib/contracts/run-record';
import type { RunResultInput } from '../../lambdas/common/run-result';
import { succeededRun } from './runs';

/** An outcome as the state machine passes it (optional fields may be left out). */
type DatabaseOutcome = z.input<typeof databaseOutcomeSchema>;
type OutcomeInput = Partial<DatabaseOutcome>;

/**
 * The outcome the Map records for a run state of today's shape: its backup as the engine returned it, its
 * verification trimmed (the count of checks passed), its error. What a one-database run after the Map carries.
 */
export function outcomeOf(run: RunResultInput, extra: Partial<DatabaseOutcome> = {}): DatabaseOutcome {
  const verify = run.verify;
  return {
    database: run.database ?? 'app',
    status: run.status ?? 'SUCCEEDED',
    isNew: false,
    ...(run.backup ? { backup: { ...run.backup } as DatabaseOutcome['backup'] } : {}),
    ...(verify
      ? {
          verify: {
            restoreSeconds: verify.restoreSeconds,
            checks: verify.checks.filter((c) => c.passed).length,
            ...(verify.skippedExtensions ? { skippedExtensions: verify.skippedExtensions } : {}),
            ...(verify.previous
              ? {
                  previous: {
                    dumpBytes: verify.previous.dumpBytes,
                    ...(verify.previous.restoreSeconds != null
                      ? { restoreSeconds: verify.previous.restoreSeconds }
                      : {}),
                  },
                }
              : {}),
          },
        }
      : {}),
    ...(run.error ? { error: run.error } : {}),
    ...extra,
  } as DatabaseOutcome;
}

/**
 * The run state after the Map for `run` (today's shape): the run's own fields, its figures moved into its only
 * outcome, and an extra field the state machine may carry.
 */
export function withOneOutcome(run: RunResultInput, extra: Partial<DatabaseOutcome> = {}): RunResultInput {
  const { backup: _backup, verify: _verify, error: _error, ...rest } = run;
  return { ...rest, outcomes: [outcomeOf(run, extra)], anyFailed: run.status === 'FAILED' } as RunResultInput;
}

/** A verified database's outcome, with figures of its own. */
export function verifiedOutcome(database: string, extra: Partial<OutcomeInput> = {}): DatabaseOutcome {
  return {
    database,
    status: 'SUCCEEDED',
    isNew: false,
    backup: { key: `pgproof/${database}/2026-11-24/r.dump.zst`, bytes: 1024 * 1024 * 100, seconds: 10 },
    verify: { restoreSeconds: 20, checks: 7 },
    ...extra,
  } as DatabaseOutcome;
}

/** A database's outcome that failed in `state` with `name`: `message`. */
export function failedOutcome(
  database: string,
  error: { state: string; name: string; message: string },
  extra: Partial<OutcomeInput> = {},
): DatabaseOutcome {
  return { database, status: 'FAILED', isNew: false, error, ...extra } as DatabaseOutcome;
}

/** The run state of a fleet after the Map: `prod`'s label, its status from the outcomes. */
export function fleetRun(
  outcomes: readonly DatabaseOutcome[],
  overrides: Partial<RunResultInput> = {},
): RunResultInput {
  const base = succeededRun();
  return {
    database: 'prod',
    runId: base.runId,
    status: outcomes.every((o) => o.status === 'SUCCEEDED') ? 'SUCCEEDED' : 'FAILED',
    consoleUrl: base.consoleUrl,
    outcomes,
    ...overrides,
  } as RunResultInput;
}
