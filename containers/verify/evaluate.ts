import type { Expectation } from '../common/engine-config';

/** One line of the verification report (also what the chat message shows). */
export interface CheckOutcome {
  readonly name: string;
  readonly kind: 'row-counts' | 'large-objects' | 'sql' | 'freshness' | 'content-hash' | 'database-settings';
  readonly passed: boolean;
  /** The observed value, as text. */
  readonly value: string;
  /** What was expected, as text. */
  readonly expectation: string;
  readonly detail?: string;
}

export function describeExpectation(e: Expectation): string {
  const parts: string[] = [];
  if (e.min !== undefined) parts.push(`>= ${e.min}`);
  if (e.max !== undefined) parts.push(`<= ${e.max}`);
  if (e.equals !== undefined) parts.push(`= ${JSON.stringify(e.equals)}`);
  return parts.join(' and ');
}

/** Pure: does a value returned by a user check meet its expectation? Numbers may arrive as text (bigint, numeric). */
export function meetsExpectation(value: unknown, e: Expectation): boolean {
  if (e.equals !== undefined) {
    if (e.equals === null) {
      if (value !== null) return false;
    } else if (typeof e.equals === 'number') {
      if (Number(value) !== e.equals || value === null || value === '') return false;
    } else if (typeof e.equals === 'boolean') {
      if (value !== e.equals && String(value) !== String(e.equals)) return false;
    } else if (String(value) !== e.equals) {
      return false;
    }
  }
  if (e.min !== undefined || e.max !== undefined) {
    if (value === null || value === undefined || value === '' || typeof value === 'boolean') return false;
    const n = value instanceof Date ? NaN : Number(value);
    if (!Number.isFinite(n)) return false;
    if (e.min !== undefined && n < e.min) return false;
    if (e.max !== undefined && n > e.max) return false;
  }
  return true;
}

export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Pure: freshness verdict: the newest value must be at most `maxAgeHours` older than the snapshot. */
export function freshnessVerdict(
  newest: Date | null,
  snapshotAt: Date,
  maxAgeHours: number,
): { passed: boolean; ageHours: number | null } {
  if (!newest) return { passed: false, ageHours: null };
  const ageHours = (snapshotAt.getTime() - newest.getTime()) / 3_600_000;
  return { passed: ageHours <= maxAgeHours, ageHours };
}
