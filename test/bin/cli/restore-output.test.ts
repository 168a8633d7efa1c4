import { describe, expect, it } from 'vitest';
import { describeRestore, describeRestoreFailure } from '../../../bin/cli/restore-output';
import { ConfigError, RestoreFailed } from '../../../containers/common/errors';
import { RestoreRefused, withTargetState } from '../../../bin/restore/restore-errors';

const KEY = 'pgproof/app/2026-11-24/20261124T030000Z-0123456789.dump.zst';

describe('restore output (issue 10.10)', () => {
  it("exits 2 for refusals the user must fix, 1 otherwise, with the target's state", () => {
    const refused = describeRestoreFailure(
      withTargetState(new RestoreRefused('the target is not empty'), {
        state: 'untouched',
        message: 'the target database "x" was not touched',
      }),
      'latest',
    );
    expect(refused.exitCode).toBe(2);
    expect(refused.lines).toEqual([
      'pgproof: RestoreRefused: the target is not empty',
      '   the target database "x" was not touched.',
    ]);
    expect(refused.json).toEqual({
      status: 'FAILED',
      backup: 'latest',
      error: { name: 'RestoreRefused', message: 'the target is not empty' },
      targetState: { state: 'untouched', message: 'the target database "x" was not touched' },
    });
    expect(describeRestoreFailure(new ConfigError('x'), 'k').exitCode).toBe(2);
    expect(describeRestoreFailure(new RestoreFailed('pg_restore exited with status 1'), 'k').exitCode).toBe(1);
  });

  it('lists what was left out and what needs a person', () => {
    const lines = describeRestore({
      key: KEY,
      runId: 'r',
      sourceDatabase: 'app',
      snapshotAt: 's',
      verified: true,
      target: 'database "x"',
      tables: 1,
      rows: 2,
      rolesCreated: [],
      leftOut: [{ object: 'tablespace fast_ssd', reason: 'does not exist on the target' }],
      notes: ['subscription s restored disabled'],
      replaced: { previousDropped: true },
      seconds: 1,
    });
    expect(lines).toContain('   ⚠ left out: tablespace fast_ssd: does not exist on the target');
    expect(lines).toContain('   ⚠ subscription s restored disabled');
    expect(lines).toContain('   the previous database was replaced and dropped');
  });
});
