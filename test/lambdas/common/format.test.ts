import { describe, expect, it } from 'vitest';
import { formatBytes, formatChange, formatDuration, truncate } from '../../../lambdas/common/format';
import { runFacts } from '../../../lambdas/common/run-facts';
import { parseRunResult } from '../../../lambdas/common/run-result';
import { succeededRun } from '../../helpers/runs';

describe('formatting', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.50 KiB'],
    [84_500_000, '80.6 MiB'],
    [1_300_000_000, '1.21 GiB'],
    [500 * 1024 ** 4, '500 TiB'],
  ])('formatBytes(%d) = %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it.each([
    [0.42, '0.4 s'],
    [9.96, '10 s'],
    [42.4, '42 s'],
    [125.4, '2 min 05 s'],
    [3725, '1 h 02 min'],
  ])('formatDuration(%d) = %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('formats a change against the previous value, or nothing without a usable baseline', () => {
    expect(formatChange(110, 100)).toBe('+10.0%');
    expect(formatChange(50, 100)).toBe('−50.0%');
    expect(formatChange(100, 100)).toBe('±0.0%');
    expect(formatChange(100, 0)).toBeUndefined();
    expect(formatChange(100, undefined)).toBeUndefined();
  });

  it('truncates with an ellipsis within the limit', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
  });
});

describe('runFacts', () => {
  it("compares size with verify.previous.dumpBytes, else with the backup task's previousBytes", () => {
    const withPrevious = runFacts(parseRunResult(succeededRun()));
    const fromBackup = runFacts(
      parseRunResult(
        succeededRun({
          verify: undefined,
          backup: { key: 'k', bytes: 200, sha256: 'ab'.repeat(32), seconds: 1, previousBytes: 400 },
        }),
      ),
    );

    expect(withPrevious.sizeChange).toBe('+4.0%');
    expect(withPrevious.restoreChange).toBe('−9.1%');
    expect(fromBackup.sizeChange).toBe('−50.0%');
  });

  it('counts passed checks and describes the failed ones with value and expectation', () => {
    const facts = runFacts(
      parseRunResult(
        succeededRun({
          verify: {
            restoreSeconds: 3,
            checks: [
              { name: 'users exist', passed: false, value: '0', expectation: '>= 1' },
              { name: 'ok', passed: true },
              {
                name: 'broken sql',
                passed: false,
                value: 'error',
                expectation: '= 1',
                detail: 'relation "x" does not exist',
              },
            ],
          },
        }),
      ),
    );

    expect(facts.checks).toBe('1/3 passed');
    expect(facts.failedChecks).toEqual([
      'users exist: 0 (expected >= 1)',
      'broken sql: error (expected = 1) — relation "x" does not exist',
    ]);
  });
});
