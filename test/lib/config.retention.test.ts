import { describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION_POLICY } from '../../lib/common/defaults';
import { deploymentConfigSchema, retentionPolicyOf } from '../../lib/config';

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
  ])('refuses %j, naming the field', (retention, message) => {
    expect(() => retentionPolicyOf({ retention }, 'pgproof.config.json')).toThrow(message);
  });
});
