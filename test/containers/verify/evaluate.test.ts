import { describe, expect, it } from 'vitest';
import { compareTables } from '../../../containers/common/compare-tables';
import { freshnessVerdict, meetsExpectation } from '../../../containers/verify/evaluate';

describe('expectations and comparisons', () => {
  it('evaluates min, max and equals on values as PostgreSQL returns them', () => {
    expect(meetsExpectation('42', { min: 1 })).toBe(true);
    expect(meetsExpectation('0', { min: 1 })).toBe(false);
    expect(meetsExpectation(5, { min: 1, max: 4 })).toBe(false);
    expect(meetsExpectation(null, { min: 0 })).toBe(false);
    expect(meetsExpectation('0', { equals: 0 })).toBe(true);
    expect(meetsExpectation(true, { equals: true })).toBe(true);
    expect(meetsExpectation('abc', { equals: 'abc' })).toBe(true);
    expect(meetsExpectation(null, { equals: null })).toBe(true);
    expect(meetsExpectation('x', { min: 0 })).toBe(false);
  });
  it('names missing, extra and different tables', () => {
    const expected = [
      { schema: 's', name: 'a', rows: 1 },
      { schema: 's', name: 'b', rows: 2 },
    ];
    const actual = [
      { schema: 's', name: 'a', rows: 3 },
      { schema: 's', name: 'c', rows: 0 },
    ];
    expect(compareTables(expected, actual, 'rows')).toEqual([
      "s.a: 3 rows restored, 1 in the dump's snapshot",
      's.b: missing after restore',
      's.c: present after restore but not in the manifest',
    ]);
  });
  it('judges freshness against the snapshot time', () => {
    const snapshot = new Date('2026-11-24T03:00:00Z');
    expect(freshnessVerdict(new Date('2026-11-23T03:00:00Z'), snapshot, 26)).toEqual({ passed: true, ageHours: 24 });
    expect(freshnessVerdict(new Date('2026-11-22T03:00:00Z'), snapshot, 26).passed).toBe(false);
    expect(freshnessVerdict(null, snapshot, 26)).toEqual({ passed: false, ageHours: null });
  });
});
