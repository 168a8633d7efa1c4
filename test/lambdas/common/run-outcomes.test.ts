import { describe, expect, it } from 'vitest';
import { asSingleRun, countOutcomes, runLogContext } from '../../../lambdas/common/run-outcomes';
import { parseRunResult } from '../../../lambdas/common/run-result';
import { failedOutcome, fleetRun, verifiedOutcome, withOneOutcome } from '../../helpers/outcome-runs';
import { failedRun, succeededRun } from '../../helpers/runs';

const dumpFailed = { state: 'BackupDatabase', name: 'DumpFailed', message: 'pg_dump exited with status 1' };

describe('asSingleRun', () => {
  it('takes a run without outcomes as it is (before the Map, or an older execution)', () => {
    const run = parseRunResult(succeededRun());
    expect(asSingleRun(run)).toBe(run);
  });

  it("puts a run's only outcome in its place, under the run's label, id, reason and link", () => {
    // Prepare
    const state = withOneOutcome(succeededRun({ reason: 'why' }));
    const run = parseRunResult(state);

    // Act
    const single = asSingleRun(run);

    // Assess
    const legacy = parseRunResult(succeededRun({ reason: 'why' }));
    expect(single).toEqual({
      database: 'app',
      runId: legacy.runId,
      status: 'SUCCEEDED',
      reason: 'why',
      consoleUrl: legacy.consoleUrl,
      backup: {
        key: legacy.backup?.key,
        bytes: legacy.backup?.bytes,
        seconds: legacy.backup?.seconds,
        sha256: legacy.backup?.sha256,
      },
      verify: run.outcomes?.[0]?.verify,
    });
    expect(single?.verify?.checks).toBe(3);
  });

  it("takes the outcome's error, else the run's, and fails if either the run or its outcome failed", () => {
    const own = asSingleRun(parseRunResult(withOneOutcome(failedRun())));
    const runs = asSingleRun(
      parseRunResult(fleetRun([failedOutcome('app', dumpFailed, { error: undefined })], { error: dumpFailed })),
    );
    const contradictory = asSingleRun(parseRunResult(fleetRun([verifiedOutcome('a')], { status: 'FAILED' })));

    expect(own).toMatchObject({ status: 'FAILED', error: parseRunResult(failedRun()).error });
    expect(runs).toMatchObject({ status: 'FAILED', error: dumpFailed });
    expect(contradictory?.status).toBe('FAILED');
  });

  it('ignores a backup checksum that is not a SHA-256', () => {
    const state = withOneOutcome(succeededRun()) as { outcomes: { backup: Record<string, unknown> }[] };
    state.outcomes[0]!.backup.sha256 = 'not-a-hash';
    expect(asSingleRun(parseRunResult(state))?.backup).not.toHaveProperty('sha256');
  });

  it('is undefined for a fleet: several outcomes, or none', () => {
    expect(asSingleRun(parseRunResult(fleetRun([verifiedOutcome('a'), verifiedOutcome('b')])))).toBeUndefined();
    expect(asSingleRun(parseRunResult(fleetRun([])))).toBeUndefined();
  });
});

describe('countOutcomes and runLogContext', () => {
  const run = parseRunResult(fleetRun([verifiedOutcome('a'), failedOutcome('b', dumpFailed), verifiedOutcome('c')]));

  it('counts verified and failed databases', () => {
    expect(countOutcomes(run.outcomes ?? [])).toEqual({ total: 3, verified: 2, failed: 1 });
  });

  it('logs label, run id, status and, with outcomes, the counts; never an error text', () => {
    expect(runLogContext(run)).toEqual({
      database: 'prod',
      runId: run.runId,
      status: 'FAILED',
      databases: 3,
      verified: 2,
      failed: 1,
    });
    expect(JSON.stringify(runLogContext(run))).not.toContain('pg_dump');
    expect(runLogContext(parseRunResult(failedRun()))).toEqual({
      database: 'app',
      runId: '20261124T030000Z-fedcba9876',
      status: 'FAILED',
    });
  });
});
