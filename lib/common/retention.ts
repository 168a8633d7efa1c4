import { ConfigError } from './errors';

/**
 * Retention that knows what was proven: which backups of one database to keep, and why. Pure: the AWS marking step,
 * `pgproof backups` and `pgproof prune` all decide with `applyRetention`, so they cannot disagree.
 *
 * Grandfather-father-son over VERIFIED backups only. A period (UTC day, ISO week, month, year) counts only when it
 * holds a verified backup: "the last 7 days" are the 7 most recent days that have one, however old, so a month of
 * failed runs expires nothing verified. The newest `keepVerifiedMin` verified backups are kept whatever the rest
 * says. Unverified (failed or not yet verified) backups are kept for `unverifiedDays` after they were made.
 */

/** How many of each period to keep; every field a whole number. */
export interface RetentionPolicy {
  /** The newest verified backup of each of the last N days that have one. */
  readonly keepDaily: number;
  /** … of each of the last N ISO weeks (Monday to Sunday, UTC) that have one. */
  readonly keepWeekly: number;
  /** … of each of the last N calendar months that have one. */
  readonly keepMonthly: number;
  /** … of each of the last N calendar years that have one. */
  readonly keepYearly: number;
  /** The newest N verified backups never expire, whatever their age. At least 1. */
  readonly keepVerifiedMin: number;
  /** Days an unverified backup is kept after it was made. At least 1. */
  readonly unverifiedDays: number;
}

/** One backup of one database, as the catalog knows it. */
export interface RetentionCandidate {
  /** Its dump's key: what the decision is about. */
  readonly key: string;
  /** When it was made (its run id's time). */
  readonly createdAt: Date;
  /** Whether its verification succeeded (a `.verified.json` marker exists). */
  readonly verified: boolean;
}

/** Why a backup is kept. */
export type KeepRule = 'daily' | 'weekly' | 'monthly' | 'yearly' | 'min' | 'unverified';

export interface RetentionDecision {
  readonly key: string;
  readonly createdAt: Date;
  readonly verified: boolean;
  /** The rules that keep it, in this order: daily, weekly, monthly, yearly, min, unverified; empty when it expires. */
  readonly keptBy: readonly KeepRule[];
  /** When an unverified backup expires (kept until then); undefined for a verified one (kept until newer ones take its place). */
  readonly expiresAt?: Date;
  /** True when no rule keeps it now: it may be deleted (or marked expired). */
  readonly expired: boolean;
}

const DAY_MS = 86_400_000;

/** Pure: the policy's problems, each naming the field and the value; empty when valid. */
export function retentionPolicyProblems(policy: RetentionPolicy, field = 'retention'): string[] {
  const problems: string[] = [];
  for (const name of ['keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'] as const) {
    const value = policy[name];
    if (!Number.isInteger(value) || value < 0 || value > 3660)
      problems.push(`${field}.${name} must be a whole number from 0 to 3660; got ${value}`);
  }
  if (!Number.isInteger(policy.keepVerifiedMin) || policy.keepVerifiedMin < 1 || policy.keepVerifiedMin > 1000)
    problems.push(
      `${field}.keepVerifiedMin must be a whole number from 1 to 1000 (at least the newest verified backup is always kept); got ${policy.keepVerifiedMin}`,
    );
  if (!Number.isInteger(policy.unverifiedDays) || policy.unverifiedDays < 1 || policy.unverifiedDays > 3660)
    problems.push(`${field}.unverifiedDays must be a whole number from 1 to 3660; got ${policy.unverifiedDays}`);
  return problems;
}

/** `2026-03-01` (UTC). */
export function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** `2026-W09`: the ISO 8601 week (weeks start on Monday; week 1 holds the year's first Thursday), in UTC. */
export function isoWeekOf(date: Date): string {
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const weekday = day.getUTCDay() || 7; // Monday 1 … Sunday 7
  day.setUTCDate(day.getUTCDate() + 4 - weekday); // the Thursday of this week decides its year
  const year = day.getUTCFullYear();
  const week = Math.ceil(((day.getTime() - Date.UTC(year, 0, 1)) / DAY_MS + 1) / 7);
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** `2026-03` (UTC). */
export function monthOf(date: Date): string {
  return date.toISOString().slice(0, 7);
}

/** `2026` (UTC). */
export function yearOf(date: Date): string {
  return date.toISOString().slice(0, 4);
}

/**
 * The keys kept by one period rule: walking the verified backups newest first, the first of each new period, until
 * `count` periods are taken.
 */
function newestPerPeriod(
  verifiedNewestFirst: readonly RetentionCandidate[],
  periodOf: (date: Date) => string,
  count: number,
): Set<string> {
  const kept = new Set<string>();
  const seen = new Set<string>();
  for (const backup of verifiedNewestFirst) {
    if (seen.size >= count) break;
    const period = periodOf(backup.createdAt);
    if (seen.has(period)) continue;
    seen.add(period);
    kept.add(backup.key);
  }
  return kept;
}

/**
 * Pure: what the policy keeps of one database's backups at `now`, and why. Every candidate gets one decision, in the
 * order given. Ties in time are broken by key, so the result never depends on the input's order.
 */
export function applyRetention(
  backups: readonly RetentionCandidate[],
  policy: RetentionPolicy,
  now: Date,
): RetentionDecision[] {
  const problems = retentionPolicyProblems(policy);
  if (problems.length) throw new RangeError(problems.join('; '));
  const newestFirst = [...backups].sort(
    (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0),
  );
  const verified = newestFirst.filter((b) => b.verified);
  const rules: Array<[KeepRule, Set<string>]> = [
    ['daily', newestPerPeriod(verified, dayOf, policy.keepDaily)],
    ['weekly', newestPerPeriod(verified, isoWeekOf, policy.keepWeekly)],
    ['monthly', newestPerPeriod(verified, monthOf, policy.keepMonthly)],
    ['yearly', newestPerPeriod(verified, yearOf, policy.keepYearly)],
    ['min', new Set(verified.slice(0, policy.keepVerifiedMin).map((b) => b.key))],
  ];
  return backups.map((backup) => {
    if (!backup.verified) {
      const expiresAt = new Date(backup.createdAt.getTime() + policy.unverifiedDays * DAY_MS);
      const kept = now.getTime() < expiresAt.getTime();
      return {
        key: backup.key,
        createdAt: backup.createdAt,
        verified: false,
        keptBy: kept ? ['unverified'] : [],
        expiresAt,
        expired: !kept,
      };
    }
    const keptBy = rules.filter(([, keys]) => keys.has(backup.key)).map(([rule]) => rule);
    return { key: backup.key, createdAt: backup.createdAt, verified: true, keptBy, expired: keptBy.length === 0 };
  });
}

/** The most verified backups the policy can keep: one per rule slot, plus the minimum. */
export function maxVerifiedKept(policy: RetentionPolicy): number {
  return policy.keepDaily + policy.keepWeekly + policy.keepMonthly + policy.keepYearly + policy.keepVerifiedMin;
}

/** Same time of day, `months` calendar months later; a day the target month lacks becomes its last (Jan 31 + 1 → Feb 28/29). */
function addCalendarMonths(date: Date, months: number): Date {
  const total = date.getUTCMonth() + months;
  const year = date.getUTCFullYear() + Math.floor(total / 12);
  const month = ((total % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(
      year,
      month,
      Math.min(date.getUTCDate(), lastDay),
      date.getUTCHours(),
      date.getUTCMinutes(),
      date.getUTCSeconds(),
      date.getUTCMilliseconds(),
    ),
  );
}

/**
 * Pure: until when a kept verified backup is locked (Object Lock): for each period rule that keeps it, `createdAt`
 * plus that rule's whole span (daily: keepDaily days, weekly: keepWeekly × 7 days, monthly: keepMonthly calendar
 * months, yearly: keepYearly years), the latest of them. Undefined when only `min` or `unverified` keeps it: those
 * have no end a lock could name, and locking them would outlive the rule.
 */
export function lockUntil(createdAt: Date, keptBy: readonly KeepRule[], policy: RetentionPolicy): Date | undefined {
  const ends = keptBy.flatMap((rule) => {
    switch (rule) {
      case 'daily':
        return [new Date(createdAt.getTime() + policy.keepDaily * DAY_MS)];
      case 'weekly':
        return [new Date(createdAt.getTime() + policy.keepWeekly * 7 * DAY_MS)];
      case 'monthly':
        return [addCalendarMonths(createdAt, policy.keepMonthly)];
      case 'yearly':
        return [addCalendarMonths(createdAt, policy.keepYearly * 12)];
      default:
        return [];
    }
  });
  if (ends.length === 0) return undefined;
  return new Date(Math.max(...ends.map((d) => d.getTime())));
}

/**
 * The longest lock `lockUntil` can set, in whole days from now, with a day of rounding: a month counted as 31 days,
 * a year as 366. The retention step's role may not set a longer one, so even a misused function cannot lock a
 * backup for a century.
 */
export function maxLockDays(policy: RetentionPolicy): number {
  return Math.max(policy.keepDaily, policy.keepWeekly * 7, policy.keepMonthly * 31, policy.keepYearly * 366, 1) + 1;
}

const POLICY_FIELDS = [
  'keepDaily',
  'keepWeekly',
  'keepMonthly',
  'keepYearly',
  'keepVerifiedMin',
  'unverifiedDays',
] as const satisfies readonly (keyof RetentionPolicy)[];

/**
 * Pure: a complete policy from JSON text (what the stack writes into a function's environment), or a `ConfigError`
 * naming `source` and every problem: not JSON, a missing or unknown field, a value out of range.
 */
export function retentionPolicyFromJson(text: string, source: string): RetentionPolicy {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError(`${source} must be the retention policy as JSON; it is not valid JSON`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError(`${source} must be a JSON object with ${POLICY_FIELDS.join(', ')}`);
  const given = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const name of POLICY_FIELDS)
    if (typeof given[name] !== 'number')
      problems.push(`${source}.${name} must be a number; got ${JSON.stringify(given[name]) ?? 'nothing'}`);
  for (const name of Object.keys(given))
    if (!(POLICY_FIELDS as readonly string[]).includes(name))
      problems.push(`${source}.${name} is not a retention field`);
  if (problems.length === 0) problems.push(...retentionPolicyProblems(given as unknown as RetentionPolicy, source));
  if (problems.length) throw new ConfigError(problems.join('; '));
  return Object.fromEntries(POLICY_FIELDS.map((name) => [name, given[name]])) as unknown as RetentionPolicy;
}
