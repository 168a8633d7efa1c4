import { describe, expect, it } from 'vitest';
import { parseRunResult } from '../../../lambdas/common/run-result';
import { failedRun, succeededRun, thrown } from '../../helpers/runs';

describe('parseRunResult', () => {
  it('accepts a full run state and keeps extra fields the state machine carries', () => {
    // Act
    const run = parseRunResult(succeededRun());

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.backup?.bytes).toBe(1_300_000_000);
    expect(run.verify?.checks).toHaveLength(3);
    expect((run as Record<string, unknown>).stateMachineExtra).toEqual({ anything: true });
  });

  it('reads null optional fields as absent (JSONPath states produce them)', () => {
    const run = parseRunResult({ ...failedRun(), backup: null, verify: null, previous: null, reason: null });

    expect(run.backup).toBeUndefined();
    expect(run.verify).toBeUndefined();
    expect(run.reason).toBeUndefined();
  });

  it('turns check values of any scalar type into text', () => {
    const run = parseRunResult(
      succeededRun({
        verify: {
          restoreSeconds: 1,
          checks: [
            { name: 'n', passed: true, value: 12, expectation: '>= 1' },
            { name: 'b', passed: true, value: true },
          ],
        },
      }),
    );

    expect(run.verify?.checks.map((c) => c.value)).toEqual(['12', 'true']);
  });

  it('rejects wrong types of known fields with InvalidInput naming each field', async () => {
    // Prepare
    const event = {
      ...succeededRun(),
      status: 'DONE',
      backup: { key: 'k', bytes: '12', sha256: 'nothex', seconds: 1 },
    };

    // Act
    const error = await thrown(async () => parseRunResult(event));

    // Assess
    expect(error.name).toBe('InvalidInput');
    expect(error.message).toMatch(/status:/);
    expect(error.message).toMatch(/backup\.bytes:/);
    expect(error.message).toMatch(/backup\.sha256: a SHA-256 in lower-case hex/);
  });

  it('rejects a missing database', async () => {
    const error = await thrown(async () => parseRunResult({ runId: 'r', status: 'SUCCEEDED' }));

    expect(error.name).toBe('InvalidInput');
    expect(error.message).toMatch(/database:/);
  });

  it('drops a console link that is not an http(s) URL instead of failing the notification over it', () => {
    const run = parseRunResult({ database: 'd', runId: 'r', status: 'FAILED', consoleUrl: 'javascript:alert(1)' });
    expect(run.consoleUrl).toBeUndefined();
    expect(parseRunResult({ database: 'd', runId: 'r', status: 'FAILED', consoleUrl: 42 }).consoleUrl).toBeUndefined();
    expect(
      parseRunResult({
        database: 'd',
        runId: 'r',
        status: 'FAILED',
        consoleUrl: 'https://eu-west-1.console.aws.amazon.com/x',
      }).consoleUrl,
    ).toBe('https://eu-west-1.console.aws.amazon.com/x');
  });

  it('rejects an event that is not an object', async () => {
    const error = await thrown(async () => parseRunResult('SUCCEEDED'));

    expect(error.name).toBe('InvalidInput');
    expect(error.message).toMatch(/^the event is not a pgproof run state: \(event\)/);
  });
});
