import { describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION_POLICY } from '../../../lib/common/defaults';
import { ConfigError } from '../../../lib/common/errors';
import { lockUntil, maxLockDays, type RetentionPolicy, retentionPolicyFromJson } from '../../../lib/common/retention';

const policy = (p: Partial<RetentionPolicy>): RetentionPolicy => ({
  keepDaily: 7,
  keepWeekly: 4,
  keepMonthly: 12,
  keepYearly: 2,
  keepVerifiedMin: 3,
  unverifiedDays: 7,
  ...p,
});
const at = (iso: string) => new Date(iso);

describe('lockUntil', () => {
  it("adds each rule's span to the creation time", () => {
    const created = at('2026-03-10T03:15:07Z');
    expect(lockUntil(created, ['daily'], policy({}))).toEqual(at('2026-03-17T03:15:07Z'));
    expect(lockUntil(created, ['weekly'], policy({}))).toEqual(at('2026-04-07T03:15:07Z'));
    expect(lockUntil(created, ['monthly'], policy({}))).toEqual(at('2027-03-10T03:15:07Z'));
    expect(lockUntil(created, ['yearly'], policy({}))).toEqual(at('2028-03-10T03:15:07Z'));
  });

  it('takes the latest end over the rules that keep the backup', () => {
    const created = at('2026-03-10T03:00:00Z');
    expect(lockUntil(created, ['daily', 'weekly'], policy({}))).toEqual(at('2026-04-07T03:00:00Z'));
    expect(lockUntil(created, ['daily', 'weekly', 'monthly', 'min'], policy({}))).toEqual(at('2027-03-10T03:00:00Z'));
    // A long daily span can outlast a short monthly one.
    expect(lockUntil(created, ['daily', 'monthly'], policy({ keepDaily: 60, keepMonthly: 1 }))).toEqual(
      at('2026-05-09T03:00:00Z'),
    );
  });

  it('locks nothing for min alone, unverified, or no rule', () => {
    const created = at('2026-03-10T03:00:00Z');
    expect(lockUntil(created, ['min'], policy({}))).toBeUndefined();
    expect(lockUntil(created, ['unverified'], policy({}))).toBeUndefined();
    expect(lockUntil(created, [], policy({}))).toBeUndefined();
  });

  it('counts calendar months: a day the target month lacks becomes its last, leap years included', () => {
    const monthly = (months: number) => policy({ keepMonthly: months });
    expect(lockUntil(at('2026-01-31T23:59:00Z'), ['monthly'], monthly(1))).toEqual(at('2026-02-28T23:59:00Z'));
    expect(lockUntil(at('2028-01-31T23:59:00Z'), ['monthly'], monthly(1))).toEqual(at('2028-02-29T23:59:00Z'));
    expect(lockUntil(at('2026-03-31T00:01:00Z'), ['monthly'], monthly(1))).toEqual(at('2026-04-30T00:01:00Z'));
    expect(lockUntil(at('2026-08-31T12:00:00Z'), ['monthly'], monthly(6))).toEqual(at('2027-02-28T12:00:00Z'));
    expect(lockUntil(at('2026-12-15T12:00:00Z'), ['monthly'], monthly(13))).toEqual(at('2028-01-15T12:00:00Z'));
    // A leap day plus one year is the 28th; plus four years, the 29th again.
    expect(lockUntil(at('2028-02-29T03:00:00Z'), ['yearly'], policy({ keepYearly: 1 }))).toEqual(
      at('2029-02-28T03:00:00Z'),
    );
    expect(lockUntil(at('2028-02-29T03:00:00Z'), ['yearly'], policy({ keepYearly: 4 }))).toEqual(
      at('2032-02-29T03:00:00Z'),
    );
  });

  it('counts days as 24 hours of UTC, across a year end', () => {
    expect(lockUntil(at('2026-12-28T23:59:00Z'), ['daily'], policy({ keepDaily: 7 }))).toEqual(
      at('2027-01-04T23:59:00Z'),
    );
  });
});

describe('retentionPolicyFromJson', () => {
  it('reads a complete policy', () => {
    expect(retentionPolicyFromJson(JSON.stringify(DEFAULT_RETENTION_POLICY), 'PGPROOF_RETENTION')).toEqual(
      DEFAULT_RETENTION_POLICY,
    );
  });

  it.each([
    ['not JSON', '{keepDaily: 7', /PGPROOF_RETENTION must be the retention policy as JSON; it is not valid JSON/],
    ['an array', '[]', /PGPROOF_RETENTION must be a JSON object with keepDaily, keepWeekly/],
    [
      'a missing field',
      JSON.stringify({ ...DEFAULT_RETENTION_POLICY, keepWeekly: undefined }),
      /PGPROOF_RETENTION\.keepWeekly must be a number; got nothing/,
    ],
    [
      'a string',
      JSON.stringify({ ...DEFAULT_RETENTION_POLICY, keepDaily: '7' }),
      /PGPROOF_RETENTION\.keepDaily must be a number; got "7"/,
    ],
    [
      'an unknown field',
      JSON.stringify({ ...DEFAULT_RETENTION_POLICY, keepHourly: 24 }),
      /PGPROOF_RETENTION\.keepHourly is not a retention field/,
    ],
    [
      'a value out of range',
      JSON.stringify({ ...DEFAULT_RETENTION_POLICY, keepVerifiedMin: 0 }),
      /PGPROOF_RETENTION\.keepVerifiedMin must be a whole number from 1 to 1000.*got 0/,
    ],
  ])('refuses %s with a ConfigError naming the variable and the field', (_, text, message) => {
    expect(() => retentionPolicyFromJson(text, 'PGPROOF_RETENTION')).toThrow(ConfigError);
    expect(() => retentionPolicyFromJson(text, 'PGPROOF_RETENTION')).toThrow(message);
  });
});

describe('maxLockDays', () => {
  it('bounds every lock lockUntil sets, from any creation time, by the longest rule plus a day', () => {
    const p = policy({});
    expect(maxLockDays(p)).toBe(2 * 366 + 1);
    for (const created of ['2024-02-29T23:59:00Z', '2026-01-31T00:01:00Z', '2026-12-31T12:00:00Z']) {
      const at = new Date(created);
      const until = lockUntil(at, ['daily', 'weekly', 'monthly', 'yearly'], p)!;
      expect((until.getTime() - at.getTime()) / 86_400_000).toBeLessThanOrEqual(maxLockDays(p));
    }
    expect(maxLockDays(policy({ keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepYearly: 0 }))).toBe(2);
  });
});
