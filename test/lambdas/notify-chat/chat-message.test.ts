import { describe, expect, it } from 'vitest';
import { parseRunResult } from '../../../lambdas/common/run-result';
import { buildChatMessage } from '../../../lambdas/notify-chat/chat-message';
import { usefulErrorLines } from '../../../lambdas/notify-chat/error-lines';
import { failedRun, succeededRun } from '../../helpers/runs';

describe('buildChatMessage', () => {
  it('reads at a glance on success: status first, size with change, durations, recovery time, checks, link', () => {
    // Act
    const message = buildChatMessage(parseRunResult(succeededRun()));

    // Assess
    expect(message.text).toBe(
      [
        '✅ Backup verified: app',
        'Size: 1.21 GiB (+4.0% vs previous run)',
        'Dump: 2 min 05 s',
        "Restore: 1 min 40 s (today's measured recovery time; −9.1% vs previous run)",
        'Checks: 3/3 passed',
        'Run: 20261124T030000Z-0123456789',
        `Open the run in the Step Functions console: ${succeededRun().consoleUrl}`,
      ].join('\n'),
    );
    expect(message.succeeded).toBe(true);
    expect(message.errorLines).toEqual([]);
  });

  it('says which RDS-only extensions verify skipped, after the checks', () => {
    // Prepare
    const base = succeededRun();
    const run = { ...base, verify: { ...base.verify, skippedExtensions: ['aws_s3', 'aws_commons'] } };
    // Act
    const message = buildChatMessage(parseRunResult(run));
    // Assess
    expect(message.facts).toContainEqual({
      label: 'Extensions',
      value: 'not restorable outside RDS: skipped: aws_s3, aws_commons',
    });
    expect(message.text.split('\n')).toContain('Extensions: not restorable outside RDS: skipped: aws_s3, aws_commons');
    expect(message.text.indexOf('Checks:')).toBeLessThan(message.text.indexOf('Extensions:'));
    // and says nothing of extensions when none were skipped (or the field is absent, null or empty)
    for (const skippedExtensions of [[], null, undefined]) {
      expect(
        buildChatMessage(parseRunResult({ ...base, verify: { ...base.verify, skippedExtensions } })).text,
      ).not.toContain('Extensions');
    }
  });

  it("names the failed state and shows the error's useful lines, unwrapped from Step Functions' JSON cause", () => {
    const message = buildChatMessage(parseRunResult(failedRun()));

    expect(message.headline).toBe('❌ Backup FAILED: app (failed in BackupDatabase)');
    expect(message.errorName).toBe('DumpFailed');
    expect(message.errorLines).toEqual([
      'pg_dump exited with status 1',
      'pg_dump: error: query failed: ERROR:  permission denied for table payroll',
      'pg_dump: detail: Query was: LOCK TABLE public.payroll IN ACCESS SHARE MODE',
    ]);
    expect(message.text.split('\n').slice(0, 3)).toEqual([
      '❌ Backup FAILED: app (failed in BackupDatabase)',
      'Error: DumpFailed',
      '  pg_dump exited with status 1',
    ]);
    expect(message.text).not.toMatch(/backup\.ts:120/);
  });

  it('shows what a failed verification got: size, durations, failed checks, and the reason of a manual run', () => {
    const run = succeededRun({
      status: 'FAILED',
      reason: 'before the migration',
      verify: {
        restoreSeconds: 5,
        checks: [
          { name: 'users exist', passed: false, value: '0', expectation: '>= 1' },
          { name: 'row counts', passed: true },
        ],
      },
      error: {
        state: 'VerifyBackup',
        name: 'VerificationFailed',
        message: '1 of 2 checks failed: users exist: 0 (expected >= 1)',
      },
    });

    const message = buildChatMessage(parseRunResult(run));

    expect(message.text).toContain('Checks: 1/2 passed');
    expect(message.text).toContain('Failed checks:\n  - users exist: 0 (expected >= 1)');
    expect(message.text).toContain('Reason: before the migration');
    expect(message.text).toContain('Size: 1.21 GiB');
  });

  it('still says something useful when a failure carries no error details', () => {
    const message = buildChatMessage(parseRunResult({ database: 'app', runId: 'r', status: 'FAILED' }));

    expect(message.headline).toBe('❌ Backup FAILED: app');
    expect(message.text).toContain('Error: unknown\n  no error details were passed to the notification');
  });
});

describe('usefulErrorLines', () => {
  it('drops blank lines and stack frames and keeps the first lines, saying how many more there were', () => {
    const message = [
      'first',
      '',
      '    at Object.<anonymous> (/x/y.js:1:2)',
      '    at node:internal/main:10:5',
      ...Array.from({ length: 10 }, (_, i) => `line ${i}`),
    ].join('\n');

    const lines = usefulErrorLines(message);

    expect(lines).toHaveLength(9);
    expect(lines[0]).toBe('first');
    expect(lines[7]).toBe('line 6');
    expect(lines[8]).toBe('… 3 more lines');
  });

  it('cuts very long lines and leaves non-JSON braces alone', () => {
    expect(usefulErrorLines('x'.repeat(1000))[0]).toHaveLength(300);
    expect(usefulErrorLines('{not json')).toEqual(['{not json']);
    expect(usefulErrorLines(JSON.stringify({ Cause: JSON.stringify({ errorMessage: 'inner' }) }))).toEqual(['inner']);
  });
});
