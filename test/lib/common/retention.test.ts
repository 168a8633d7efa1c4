import { describe, expect, it } from 'vitest';
import { DEFAULT_RETENTION_POLICY } from '../../../lib/common/defaults';
import {
  applyRetention,
  dayOf,
  isoWeekOf,
  maxVerifiedKept,
  monthOf,
  type RetentionCandidate,
  type RetentionPolicy,
  retentionPolicyProblems,
  yearOf,
} from '../../../lib/common/retention';

const at = (iso: string) => new Date(iso);
const backup = (iso: string, verified = true): RetentionCandidate => ({
  key: `k/${iso}`,
  createdAt: at(iso),
  verified,
});
const policy = (p: Partial<RetentionPolicy>): RetentionPolicy => ({
  keepDaily: 0,
  keepWeekly: 0,
  keepMonthly: 0,
  keepYearly: 0,
  keepVerifiedMin: 1,
  unverifiedDays: 7,
  ...p,
});
/** The keys kept, by the rule asked for. */
const keptBy = (decisions: ReturnType<typeof applyRetention>, rule: string) =>
  decisions.filter((d) => d.keptBy.includes(rule as never)).map((d) => d.key.slice(2));

describe('periods (UTC)', () => {
  it.each([
    ['2026-01-01T12:00:00Z', '2026-01-01', '2026-W01', '2026-01', '2026'], // a Thursday: week 1 of its own year
    ['2021-01-03T12:00:00Z', '2021-01-03', '2020-W53', '2021-01', '2021'], // a Sunday in the previous year's week 53
    ['2024-12-30T12:00:00Z', '2024-12-30', '2025-W01', '2024-12', '2024'], // a Monday in the next year's week 1
    ['2028-02-29T23:59:00Z', '2028-02-29', '2028-W09', '2028-02', '2028'], // a leap day, one minute before midnight
    ['2028-03-01T00:01:00Z', '2028-03-01', '2028-W09', '2028-03', '2028'], // two minutes later: another day and month
    ['2026-12-31T23:59:59Z', '2026-12-31', '2026-W53', '2026-12', '2026'], // 2026 has 53 ISO weeks
    ['2027-01-01T00:00:01Z', '2027-01-01', '2026-W53', '2027-01', '2027'],
  ])('%s is day %s, week %s, month %s, year %s', (iso, day, week, month, year) => {
    const date = at(iso);
    expect([dayOf(date), isoWeekOf(date), monthOf(date), yearOf(date)]).toEqual([day, week, month, year]);
  });
});

describe('applyRetention', () => {
  it('keeps the newest verified backup of each day; runs at 23:59 and 00:01 UTC are two days', () => {
    const decisions = applyRetention(
      [
        backup('2026-03-10T03:00:00Z'),
        backup('2026-03-10T23:59:00Z'),
        backup('2026-03-11T00:01:00Z'),
        backup('2026-03-11T03:00:00Z'),
      ],
      policy({ keepDaily: 2 }),
      at('2026-03-11T04:00:00Z'),
    );
    expect(keptBy(decisions, 'daily')).toEqual(['2026-03-10T23:59:00Z', '2026-03-11T03:00:00Z']);
    expect(decisions.find((d) => d.key === 'k/2026-03-10T03:00:00Z')).toMatchObject({ keptBy: [], expired: true });
  });

  it('counts only days that have a verified backup: a gap of several days expires nothing it should keep', () => {
    const history = [
      backup('2026-05-01T03:00:00Z'),
      backup('2026-05-02T03:00:00Z'),
      backup('2026-05-03T03:00:00Z'),
      // five days without a run (a broken schedule), then failed runs
      backup('2026-05-09T03:00:00Z', false),
      backup('2026-05-10T03:00:00Z', false),
    ];
    const decisions = applyRetention(history, policy({ keepDaily: 3 }), at('2026-05-10T04:00:00Z'));
    expect(keptBy(decisions, 'daily')).toEqual([
      '2026-05-01T03:00:00Z',
      '2026-05-02T03:00:00Z',
      '2026-05-03T03:00:00Z',
    ]);
    expect(decisions.filter((d) => d.expired)).toEqual([]);
  });

  it('keeps the newest of each month across month ends and a leap year', () => {
    const history = [
      backup('2028-01-31T03:00:00Z'),
      backup('2028-02-28T03:00:00Z'),
      backup('2028-02-29T03:00:00Z'),
      backup('2028-03-01T03:00:00Z'),
      backup('2028-03-31T03:00:00Z'),
    ];
    const decisions = applyRetention(history, policy({ keepMonthly: 3 }), at('2028-04-01T00:00:00Z'));
    expect(keptBy(decisions, 'monthly')).toEqual([
      '2028-01-31T03:00:00Z',
      '2028-02-29T03:00:00Z',
      '2028-03-31T03:00:00Z',
    ]);
  });

  it('keeps the newest of each ISO week across a year boundary, and of each year', () => {
    const history = [
      backup('2026-12-28T03:00:00Z'), // Monday of 2026-W53
      backup('2027-01-03T03:00:00Z'), // Sunday of the same week
      backup('2027-01-04T03:00:00Z'), // Monday of 2027-W01
    ];
    const decisions = applyRetention(history, policy({ keepWeekly: 2, keepYearly: 2 }), at('2027-01-05T00:00:00Z'));
    expect(keptBy(decisions, 'weekly')).toEqual(['2027-01-03T03:00:00Z', '2027-01-04T03:00:00Z']);
    expect(keptBy(decisions, 'yearly')).toEqual(['2026-12-28T03:00:00Z', '2027-01-04T03:00:00Z']);
  });

  it('never expires the newest keepVerifiedMin verified backups, however old, when every recent run failed', () => {
    const history = [
      backup('2025-01-01T03:00:00.000Z'),
      backup('2025-01-02T03:00:00.000Z'),
      backup('2025-01-03T03:00:00.000Z'),
      ...Array.from({ length: 40 }, (_, i) => backup(new Date(Date.UTC(2026, 0, 1 + i, 3)).toISOString(), false)),
    ];
    const decisions = applyRetention(history, policy({ keepVerifiedMin: 3 }), at('2026-02-10T04:00:00Z'));
    expect(keptBy(decisions, 'min')).toEqual([
      '2025-01-01T03:00:00.000Z',
      '2025-01-02T03:00:00.000Z',
      '2025-01-03T03:00:00.000Z',
    ]);
    expect(decisions.filter((d) => d.verified && d.expired)).toEqual([]);
    // the failed runs made 7 days or more before now expire; those of Feb 4–9 are kept until their own expiry
    const unverifiedKept = decisions.filter((d) => !d.verified && !d.expired);
    expect(unverifiedKept.map((d) => dayOf(d.createdAt))).toEqual([
      '2026-02-04',
      '2026-02-05',
      '2026-02-06',
      '2026-02-07',
      '2026-02-08',
      '2026-02-09',
    ]);
    for (const d of unverifiedKept) expect(d.keptBy).toEqual(['unverified']);
  });

  it('expires an unverified backup exactly unverifiedDays after it was made, and says when', () => {
    const failed = backup('2026-06-01T03:00:00Z', false);
    const justBefore = applyRetention([failed], policy({ unverifiedDays: 7 }), at('2026-06-08T02:59:59.999Z'))[0]!;
    expect(justBefore).toMatchObject({ expired: false, keptBy: ['unverified'], expiresAt: at('2026-06-08T03:00:00Z') });
    const atExpiry = applyRetention([failed], policy({ unverifiedDays: 7 }), at('2026-06-08T03:00:00Z'))[0]!;
    expect(atExpiry).toMatchObject({ expired: true, keptBy: [] });
  });

  it('names every rule that keeps a backup, in a fixed order, and does not depend on the input order', () => {
    const history = [
      backup('2026-07-01T03:00:00Z'),
      backup('2026-07-02T03:00:00Z'),
      backup('2026-07-02T03:00:00Z', false),
    ];
    const p = policy({ keepDaily: 1, keepWeekly: 1, keepMonthly: 1, keepYearly: 1, keepVerifiedMin: 2 });
    const now = at('2026-07-02T04:00:00Z');
    const forward = applyRetention(history, p, now);
    expect(forward[1]).toMatchObject({ keptBy: ['daily', 'weekly', 'monthly', 'yearly', 'min'] });
    expect(forward[0]).toMatchObject({ keptBy: ['min'] });
    const backward = applyRetention([...history].reverse(), p, now);
    const byKey = (ds: typeof forward) => Object.fromEntries(ds.map((d) => [`${d.key}${d.verified}`, d.keptBy]));
    expect(byKey(backward)).toEqual(byKey(forward));
  });

  it('refuses an invalid policy, naming each field and value', () => {
    expect(
      retentionPolicyProblems({ ...DEFAULT_RETENTION_POLICY, keepDaily: -1, keepVerifiedMin: 0, unverifiedDays: 1.5 }),
    ).toEqual([
      'retention.keepDaily must be a whole number from 0 to 3660; got -1',
      'retention.keepVerifiedMin must be a whole number from 1 to 1000 (at least the newest verified backup is always kept); got 0',
      'retention.unverifiedDays must be a whole number from 1 to 3660; got 1.5',
    ]);
    expect(() => applyRetention([], { ...DEFAULT_RETENTION_POLICY, keepVerifiedMin: 0 }, new Date())).toThrow(
      /keepVerifiedMin/,
    );
  });
});

/** A small deterministic pseudo-random generator (mulberry32), so the simulation is the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('400 simulated days of daily runs, pruned as they go', () => {
  it.each([1, 2, 3])(
    'seed %i: the newest keepVerifiedMin verified backups always remain, and the count stays bounded',
    (seed) => {
      const p = DEFAULT_RETENTION_POLICY;
      const next = random(seed);
      let stored: RetentionCandidate[] = [];
      let verifiedEver = 0;
      const start = Date.UTC(2027, 10, 20); // crosses a year end, a leap day (2028-02-29) and every month end
      for (let day = 0; day < 400; day++) {
        // Runs at 03:00, sometimes a second one at 23:59; 30% fail, and days 150–189 are a 40-day outage.
        const runs = [3 * 60, ...(next() < 0.1 ? [23 * 60 + 59] : [])];
        for (const minute of runs) {
          const createdAt = new Date(start + day * 86_400_000 + minute * 60_000);
          const outage = day >= 150 && day < 190;
          const verified = !outage && next() >= 0.3;
          if (verified) verifiedEver++;
          stored.push({ key: `k/${createdAt.toISOString()}`, createdAt, verified });
          // The policy runs after each verified run (only such a run applies it), deleting what expired.
          if (!verified) continue;
          const decisions = applyRetention(stored, p, createdAt);
          const expired = new Set(decisions.filter((d) => d.expired).map((d) => d.key));
          stored = stored.filter((b) => !expired.has(b.key));
        }
        const verifiedLeft = stored.filter((b) => b.verified);
        expect(verifiedLeft.length).toBeGreaterThanOrEqual(Math.min(p.keepVerifiedMin, verifiedEver));
        expect(verifiedLeft.length).toBeLessThanOrEqual(maxVerifiedKept(p));
        // the newest verified backup made so far is still there
        const newestVerified = stored.filter((b) => b.verified).at(-1);
        if (verifiedEver > 0) expect(newestVerified).toBeDefined();
      }
      // After the outage, failed runs older than unverifiedDays were pruned by the next verified run.
      const unverified = stored.filter((b) => !b.verified);
      const last = stored.at(-1)!.createdAt.getTime();
      for (const b of unverified)
        expect(last - b.createdAt.getTime()).toBeLessThan((p.unverifiedDays + 1) * 86_400_000);
      // A full year of daily history keeps about 7 daily + 4 weekly + 12 monthly, overlapping: well under the bound.
      expect(stored.filter((b) => b.verified).length).toBeGreaterThanOrEqual(p.keepMonthly);
    },
  );
});
