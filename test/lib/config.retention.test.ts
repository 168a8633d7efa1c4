import { describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION_POLICY } from '../../lib/common/defaults';
import { deploymentConfigSchema, retentionPolicyOf, retentionSettingsOf } from '../../lib/config';

describe('the retention field', () => {
  it('defaults every field it leaves out', () => {
    expect(retentionPolicyOf({})).toEqual(DEFAULT_RETENTION_POLICY);
    expect(retentionPolicyOf({ retention: { keepYearly: 5 } })).toEqual({ ...DEFAULT_RETENTION_POLICY, keepYearly: 5 });
    expect(deploymentConfigSchema.shape.retention).toBeDefined();
  });

  it.each([
    [{ keepVerifiedMin: 0 }, /retention.*keepVerifiedMin/],
    [{ keepDaily: -1 }, /retention.*keepDaily/],
    [{ unverifiedDays: 2.5 }, /retention.*unverifiedDays/],
    [{ keepHourly: 3 }, /retention.*keepHourly/],
    [{ pruneLocal: 'yes' }, /retention.*pruneLocal/],
  ])('refuses %j, naming the field', (retention, message) => {
    expect(() => retentionPolicyOf({ retention }, 'pgproof.config.json')).toThrow(message);
  });

  it('pruneLocal: off unless the configuration turns it on, and never part of the policy', () => {
    expect(retentionSettingsOf({})).toEqual({ policy: DEFAULT_RETENTION_POLICY, pruneLocal: false });
    expect(retentionSettingsOf({ retention: { pruneLocal: true, keepDaily: 1 } })).toEqual({
      policy: { ...DEFAULT_RETENTION_POLICY, keepDaily: 1 },
      pruneLocal: true,
    });
    expect(retentionPolicyOf({ retention: { pruneLocal: true } })).toEqual(DEFAULT_RETENTION_POLICY);
    const retention = deploymentConfigSchema.shape.retention;
    expect(retention.parse(undefined)).toEqual({ ...DEFAULT_RETENTION_POLICY, pruneLocal: false });
    expect(retention.parse({ pruneLocal: true })).toMatchObject({ pruneLocal: true, keepDaily: 7 });
  });
});
