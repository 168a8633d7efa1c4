import { describe, expect, it } from 'vitest';
import { databaseOutcomeSchema, runStateSchema, summarizeExecution } from '../../../lib/contracts/run-record';

const KEY = 'pgproof/orders/2026-11-24/20261124T030000Z-9f2c41d0ab12.dump.zst';

describe('a re-verification in the run record', () => {
  it("leaves out an outcome's backup whose figures are null (no backup was made), keeping the rest", () => {
    const outcome = databaseOutcomeSchema.parse({
      database: 'orders',
      status: 'SUCCEEDED',
      isNew: false,
      backup: { key: KEY, bytes: null, seconds: null, sha256: null, previousBytes: null },
      verify: { restoreSeconds: 2, checks: 3, skippedExtensions: [], previous: null },
    });
    expect(outcome.backup).toBeUndefined();
    expect(outcome).toMatchObject({ database: 'orders', status: 'SUCCEEDED', verify: { checks: 3 } });
  });

  it('still refuses a backup with only some figures missing (a malformed outcome is not a re-verification)', () => {
    const parsed = databaseOutcomeSchema.safeParse({
      database: 'orders',
      status: 'SUCCEEDED',
      backup: { key: KEY, bytes: null, seconds: 3 },
    });
    expect(parsed.success).toBe(false);
  });

  it('carries verifyBackup from the run state to the record', () => {
    expect(
      runStateSchema.parse({ database: 'orders', runId: 'r', status: 'FAILED', verifyBackup: KEY }).verifyBackup,
    ).toBe(KEY);
    const record = summarizeExecution({
      status: 'SUCCEEDED',
      startedAt: '2026-12-01T00:00:00Z',
      state: { database: 'orders', runId: 'r', status: 'SUCCEEDED', verifyBackup: KEY },
    });
    expect(record.verifyBackup).toBe(KEY);
    const scheduled = summarizeExecution({
      status: 'SUCCEEDED',
      startedAt: '2026-12-01T00:00:00Z',
      state: { database: 'orders', runId: 'r', status: 'SUCCEEDED' },
    });
    expect(scheduled).not.toHaveProperty('verifyBackup');
  });
});
