import { describe, expect, it } from 'vitest';
import { parseRunResult } from '../../../lambdas/common/run-result';
import { buildChatMessage, REVERIFY_NOTE } from '../../../lambdas/notify-chat/chat-message';

const KEY = 'pgproof/app/2026-11-20/20261120T030000Z-0123456789ab.dump.zst';

/** The run state NotifyRun receives after re-verifying KEY: the item's backup carries the key with null figures. */
function reverifyState(status: 'SUCCEEDED' | 'FAILED') {
  const outcome = {
    database: 'app',
    status,
    isNew: false,
    backup: { key: KEY, bytes: null, seconds: null, sha256: null, previousBytes: null },
    ...(status === 'SUCCEEDED'
      ? { verify: { restoreSeconds: 100, checks: 3, skippedExtensions: [], previous: null } }
      : {
          error: {
            state: 'VerifyBackup',
            name: 'VerificationFailed',
            message: '1 of 3 checks failed: orders exist: 0 (expected >= 1)',
          },
        }),
  };
  return {
    database: 'app',
    runId: '20261201T120000Z-0123456789ab',
    status,
    reason: 'before migration',
    verifyBackup: KEY,
    outcomes: [outcome],
    summary: { anyFailed: status === 'FAILED' },
  };
}

describe('buildChatMessage for a re-verification', () => {
  it('says an existing backup was verified again, names it, and shows no new backup figures', () => {
    // Act
    const message = buildChatMessage(parseRunResult(reverifyState('SUCCEEDED')));
    // Assess
    expect(message.succeeded).toBe(true);
    expect(message.headline).toBe('✅ Existing backup re-verified: app');
    expect(message.facts[0]).toEqual({ label: 'Backup', value: `${KEY} (${REVERIFY_NOTE})` });
    expect(message.text).toContain('no new backup was made');
    expect(message.text).not.toContain('Backup verified');
    expect(message.facts.map((f) => f.label)).toEqual(['Backup', 'Restore', 'Checks', 'Run', 'Reason']);
  });

  it('names the failed step and the error when the backup no longer verifies', () => {
    const message = buildChatMessage(parseRunResult(reverifyState('FAILED')));
    expect(message.succeeded).toBe(false);
    expect(message.headline).toBe('❌ Re-verification of an existing backup FAILED: app (failed in VerifyBackup)');
    expect(message.errorName).toBe('VerificationFailed');
    expect(message.text).toContain(KEY);
    expect(message.text).not.toContain('Size:');
  });

  it('keeps the message of a run that made its backup as it was', () => {
    const { verifyBackup: _none, ...state } = reverifyState('SUCCEEDED');
    expect(buildChatMessage(parseRunResult(state)).headline).toBe('✅ Backup verified: app');
  });
});
