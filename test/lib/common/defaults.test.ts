import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BACKUP_TASK,
  DEFAULT_DEPLOYED_SSL_MODE,
  DEFAULT_KEY_PREFIX,
  DEFAULT_NONCURRENT_DAYS,
  DEFAULT_RETENTION_POLICY,
  DEFAULT_VERIFY_TASK,
  keyPrefixOrDefault,
} from '../../../lib/common/defaults';
import { retentionPolicyProblems } from '../../../lib/common/retention';
import {
  ephemeralStorageProblem,
  fargateSizeProblem,
  keyPrefixProblem,
  sslModeProblem,
} from '../../../lib/common/rules';

describe('defaults', () => {
  it('obey the rules they are checked by', () => {
    expect(fargateSizeProblem('backup', DEFAULT_BACKUP_TASK)).toBeUndefined();
    expect(fargateSizeProblem('verify', DEFAULT_VERIFY_TASK)).toBeUndefined();
    expect(ephemeralStorageProblem('verify', DEFAULT_VERIFY_TASK.ephemeralStorageGiB)).toBeUndefined();
    expect(keyPrefixProblem('prefix', DEFAULT_KEY_PREFIX)).toBeUndefined();
    expect(sslModeProblem('sslMode', DEFAULT_DEPLOYED_SSL_MODE)).toBeUndefined();
    expect(DEFAULT_NONCURRENT_DAYS).toBeGreaterThanOrEqual(1);
    expect(retentionPolicyProblems(DEFAULT_RETENTION_POLICY)).toEqual([]);
  });
});

describe('keyPrefixOrDefault', () => {
  it('keeps a given prefix, trimmed', () => {
    expect(keyPrefixOrDefault(' team/backups ')).toBe('team/backups');
  });

  it.each([undefined, '', '   '])('falls back to "pgproof" for %j', (prefix) => {
    expect(keyPrefixOrDefault(prefix)).toBe('pgproof');
  });
});
