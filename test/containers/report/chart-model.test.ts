import { describe, expect, it } from 'vitest';
import {
  chartModel,
  checkChartModel,
  dateTicks,
  lineSegments,
  niceStep,
  niceTicks,
  type SeriesPoint,
  statusStrip,
  valueTicks,
} from '../../../containers/report/chart-model';

const day = (d: number, hour = 3) => new Date(Date.UTC(2026, 10, d, hour));
const point = (d: number, value?: number, failed = value === undefined): SeriesPoint => ({
  at: day(d),
  ...(value !== undefined ? { value } : {}),
  failed,
  label: `run ${d}`,
});
const period = { from: new Date(Date.UTC(2026, 10, 1)), to: new Date(Date.UTC(2026, 10, 31)) };

describe('niceStep and niceTicks', () => {
  it('steps by 1, 2 or 5 times a power of ten', () => {
    expect([0.7, 1, 1.1, 3, 7, 12, 0.013].map(niceStep)).toEqual([1, 1, 2, 5, 10, 20, 0.02]);
  });

  it('ticks from 0 to at least the max, about five of them', () => {
    expect(niceTicks(97)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0.3)).toEqual([0, 0.1, 0.2, 0.3]);
  });

  it('gives the ticks of 1 for zeros, NaN and Infinity, so an axis always exists', () => {
    for (const max of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) expect(niceTicks(max)).toEqual(niceTicks(1));
  });

  it('handles huge values without drifting', () => {
    const ticks = niceTicks(3.7e15);
    expect(ticks.at(-1)).toBeGreaterThanOrEqual(3.7e15);
    expect(ticks).toEqual([0, 1e15, 2e15, 3e15, 4e15]);
  });
});

describe('valueTicks', () => {
  it('labels bytes in binary units at nice steps of that unit', () => {
    expect(valueTicks(900 * 1024 ** 2, 'bytes').map((t) => t.label)).toEqual([
      '0',
      '200 MiB',
      '400 MiB',
      '600 MiB',
      '800 MiB',
      '1,000 MiB',
    ]);
    expect(valueTicks(3 * 1024 ** 5, 'bytes').at(-1)).toEqual({ value: 3 * 1024 ** 5, label: '3 PiB' });
    expect(valueTicks(1e20, 'bytes').at(-1)!.label).toMatch(/PiB$/);
  });

  it('labels seconds in s, min or h by the largest value', () => {
    expect(valueTicks(9, 'seconds').map((t) => t.label)).toEqual(['0', '2 s', '4 s', '6 s', '8 s', '10 s']);
    expect(valueTicks(600, 'seconds').at(-1)).toEqual({ value: 600, label: '10 min' });
    expect(valueTicks(5 * 3600, 'seconds').at(-1)).toEqual({ value: 5 * 3600, label: '5 h' });
  });

  it('counts in whole steps', () => {
    expect(valueTicks(3, 'count').map((t) => t.value)).toEqual([0, 1, 2, 3]);
    expect(valueTicks(1, 'count').map((t) => t.value)).toEqual([0, 1]);
    expect(valueTicks(0, 'bytes').map((t) => t.value)).toEqual([0, 1]);
    expect(valueTicks(3, 'bytes').map((t) => t.label)).toEqual(['0', '1 B', '2 B', '3 B']);
  });
});

describe('lineSegments', () => {
  it('breaks the line at a run without a value and across a day without runs', () => {
    const points = [point(1, 10), point(2, 11), point(3), point(4, 12), point(5, 13), point(8, 14), point(9, 15)];
    expect(lineSegments(points).map((s) => s.map((p) => p.value))).toEqual([
      [10, 11],
      [12, 13],
      [14, 15],
    ]);
  });

  it('keeps runs of the same day and the next day together', () => {
    const points = [{ ...point(1, 1) }, { ...point(1, 2), at: day(1, 20) }, point(2, 3)];
    expect(lineSegments(points)).toHaveLength(1);
  });

  it('gives nothing for no runs or only failed ones', () => {
    expect(lineSegments([])).toEqual([]);
    expect(lineSegments([point(1), point(2)])).toEqual([]);
  });
});

describe('dateTicks', () => {
  it('uses days for short periods and months or years for long ones', () => {
    expect(dateTicks(new Date('2026-11-01T00:00Z'), new Date('2026-11-05T00:00Z')).map((t) => t.label)).toEqual([
      'Nov 1',
      'Nov 2',
      'Nov 3',
      'Nov 4',
      'Nov 5',
    ]);
    const month = dateTicks(new Date('2026-11-01T00:00Z'), new Date('2026-12-01T00:00Z'));
    expect(month.length).toBeLessThanOrEqual(6);
    expect(month[0]!.label).toBe('Nov 1');
    const twoYears = dateTicks(new Date('2024-12-01T00:00Z'), new Date('2026-12-01T00:00Z'));
    expect(twoYears.map((t) => t.label)).toEqual(['2025', 'Jul', '2026', 'Jul']);
  });
});

describe('chartModel', () => {
  it('places points in the plot, breaks the line at gaps and marks failed runs on the axis', () => {
    // GIVEN runs on days 1-2, a failure on day 3, a run on day 4
    const model = chartModel([point(1, 50), point(2, 100), point(3), point(4, 75)], {
      ...period,
      title: 'size',
      kind: 'count',
    });
    // THEN two segments, the tallest value at the top tick, the failure on the baseline
    expect(model.empty).toBe(false);
    expect(model.segments.map((s) => s.map((p) => p.value))).toEqual([[50, 100], [75]]);
    expect(model.yTicks.at(-1)!.value).toBe(100);
    expect(model.segments[0]![1]!.y).toBe(model.plot.top);
    expect(model.failures).toHaveLength(1);
    expect(model.failures[0]!.label).toBe('run 3');
    // x grows with time, within the plot
    const xs = model.segments.flat().map((p) => p.x);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    for (const x of xs) expect(x).toBeGreaterThanOrEqual(model.plot.left);
    for (const x of xs) expect(x).toBeLessThanOrEqual(model.plot.right);
  });

  it('draws one run as one point', () => {
    const model = chartModel([point(15, 42)], { ...period, title: 't', kind: 'seconds' });
    expect(model.segments).toEqual([[expect.objectContaining({ value: 42 })]]);
    expect(model.failures).toEqual([]);
  });

  it('is empty without runs, with an axis of 0 and 1', () => {
    const model = chartModel([], { ...period, title: 't', kind: 'bytes' });
    expect(model.empty).toBe(true);
    expect(model.segments).toEqual([]);
    expect(model.yTicks.map((t) => t.value)).toEqual([0, 1]);
  });

  it('leaves out runs outside the period', () => {
    const outside = { ...point(1, 5), at: new Date('2026-10-15T00:00Z') };
    const model = chartModel([outside, point(2, 7)], { ...period, title: 't', kind: 'count' });
    expect(model.segments.flat().map((p) => p.value)).toEqual([7]);
  });

  it('scales huge values to the plot', () => {
    const model = chartModel([point(1, 2e15), point(2, 4e15)], { ...period, title: 't', kind: 'bytes' });
    for (const p of model.segments.flat()) {
      expect(Number.isFinite(p.y)).toBe(true);
      expect(p.y).toBeGreaterThanOrEqual(model.plot.top);
      expect(p.y).toBeLessThanOrEqual(model.plot.bottom);
    }
  });
});

describe('checkChartModel', () => {
  it('stacks failed checks on passed ones and marks failed runs without counts', () => {
    const model = checkChartModel(
      [
        { at: day(1), passed: 4, failed: 0, runFailed: false, label: 'a' },
        { at: day(2), passed: 2, failed: 2, runFailed: true, label: 'b' },
        { at: day(3), runFailed: true, label: 'c' },
      ],
      { ...period, title: 'checks' },
    );
    expect(model.bars).toHaveLength(2);
    const [first, second] = model.bars;
    expect(first!.failedY).toBe(first!.passedY);
    expect(second!.failedY).toBeLessThan(second!.passedY);
    expect(second!.failedY).toBe(first!.passedY);
    expect(model.failures.map((f) => f.label)).toEqual(['c']);
  });

  it('keeps a bar at the end of the period inside the plot', () => {
    const model = checkChartModel([{ at: period.to, passed: 1, failed: 0, runFailed: false, label: 'last' }], {
      ...period,
      title: 'checks',
    });
    expect(model.bars[0]!.x + model.bars[0]!.width).toBeLessThanOrEqual(model.plot.right);
  });
});

describe('statusStrip', () => {
  it('marks every run of the period and none outside it', () => {
    const strip = statusStrip(
      [
        { at: day(2), status: 'verified', label: 'a' },
        { at: day(3), status: 'failed', label: 'b' },
        { at: new Date('2027-01-01T00:00Z'), status: 'failed', label: 'later' },
      ],
      period,
    );
    expect(strip.marks.map((m) => m.label)).toEqual(['a', 'b']);
  });
});
