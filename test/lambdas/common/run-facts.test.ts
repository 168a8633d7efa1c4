import { describe, expect, it } from 'vitest';
import { runFacts } from '../../../lambdas/common/run-facts';
import { parseRunResult } from '../../../lambdas/common/run-result';

const verify = { restoreSeconds: 100 };

describe('runFacts checks', () => {
  it('counts passed of all from the checks themselves, listing the failed ones', () => {
    const facts = runFacts(
      parseRunResult({
        database: 'app',
        runId: 'r',
        status: 'FAILED',
        verify: {
          ...verify,
          checks: [
            { name: 'a', passed: true },
            { name: 'users exist', passed: false, value: 0, expectation: '>= 1' },
          ],
        },
      }),
    );

    expect(facts.checks).toBe('1/2 passed');
    expect(facts.failedChecks).toEqual(['users exist: 0 (expected >= 1)']);
  });

  it("reads an outcome's count of checks passed: all of them for a verified database", () => {
    expect(runFacts({ status: 'SUCCEEDED', verify: { ...verify, checks: 7 } })).toMatchObject({
      checks: '7/7 passed',
      failedChecks: [],
    });
    expect(runFacts({ status: 'SUCCEEDED', verify: { ...verify, checks: 0 } }).checks).toBe('0/0 passed');
  });

  it('does not claim a total for a failed outcome, whose failing check is named in its error', () => {
    expect(runFacts({ status: 'FAILED', verify: { ...verify, checks: 6 } }).checks).toBe('6 passed');
  });
});
