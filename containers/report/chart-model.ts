// Pure: series of values over days → what a chart draws (scales with nice ticks, broken lines, failed runs marked).
// No SVG here: chart-svg.ts draws the model, so the geometry is tested as numbers.
import { formatBytes } from '../../lambdas/common/format';

const DAY_MS = 86_400_000;

/** A run's tooltip, or a function making it: a long history draws none, so it never pays for thousands of them. */
export type RunLabel = string | (() => string);

/** The text of a run's tooltip. */
export function labelText(label: RunLabel): string {
  return typeof label === 'string' ? label : label();
}

/** One run on a chart: its time, its value (absent when the run measured none, e.g. it failed), whether it failed. */
export interface SeriesPoint {
  readonly at: Date;
  readonly value?: number;
  readonly failed: boolean;
  /** Shown as the point's tooltip. */
  readonly label: RunLabel;
}

/** How a chart's values are written on its axis. */
export type ValueKind = 'bytes' | 'seconds' | 'count';

export interface Tick {
  readonly value: number;
  readonly label: string;
}

export interface ChartOptions {
  readonly title: string;
  readonly kind: ValueKind;
  /** The period's first and last instant: the x axis spans it whatever the runs. */
  readonly from: Date;
  readonly to: Date;
  /** Plot size in SVG user units (the viewBox scales it to the page). */
  readonly width?: number;
  readonly height?: number;
}

/** A point placed in plot coordinates (y grows downwards, as in SVG). */
export interface PlacedPoint {
  readonly x: number;
  readonly y: number;
  readonly value: number;
  readonly label: RunLabel;
}

export interface ChartModel {
  readonly title: string;
  readonly width: number;
  readonly height: number;
  /** The plot area inside the margins. */
  readonly plot: { readonly left: number; readonly top: number; readonly right: number; readonly bottom: number };
  readonly yTicks: readonly (Tick & { readonly y: number })[];
  readonly xTicks: readonly (Tick & { readonly x: number })[];
  /** Runs of measured values, each drawn as one line: a failed run or a day without runs breaks the line. */
  readonly segments: readonly (readonly PlacedPoint[])[];
  /** Failed runs, drawn on the x axis. */
  readonly failures: readonly { readonly x: number; readonly label: RunLabel }[];
  /** No run in the period. */
  readonly empty: boolean;
}

/** Pure: 1, 2 or 5 times a power of ten, the smallest at least `raw` (`raw` > 0). */
export function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/**
 * Pure: ticks from 0 to at least `max`, about `count` of them, at nice steps (1, 2, 5 × 10^k). A max of 0 or a
 * non-finite one gives 0 and 1, so a chart of zeros still has an axis.
 */
export function niceTicks(max: number, count = 5, minStep = 0): number[] {
  const top = Number.isFinite(max) && max > 0 ? max : 1;
  const step = Math.max(minStep, niceStep(top / Math.max(1, count)));
  const ticks: number[] = [];
  // Multiplying (not adding) keeps ticks exact: 0.1 + 0.2 would drift.
  for (let i = 0; ticks.length === 0 || ticks.at(-1)! < top; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** Binary units for byte ticks: nice steps of MiB or GiB read better than of raw bytes (1 GiB is not 10^9). */
const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Pure: the ticks of a value axis from 0 to at least `max`, labelled for their kind. */
export function valueTicks(max: number, kind: ValueKind, count = 5): Tick[] {
  if (kind === 'bytes') {
    const top = Number.isFinite(max) && max > 0 ? max : 1;
    const unit = Math.min(BYTE_UNITS.length - 1, Math.max(0, Math.floor(Math.log(top) / Math.log(1024))));
    const scale = 1024 ** unit;
    // Whole bytes: a step below 1 B would label 0.2 B.
    return niceTicks(top / scale, count, unit === 0 ? 1 : 0).map((t) => ({
      value: t * scale,
      label: t === 0 ? '0' : `${formatNumber(t)} ${BYTE_UNITS[unit]}`,
    }));
  }
  if (kind === 'seconds') {
    const top = Number.isFinite(max) && max > 0 ? max : 1;
    // Minutes or hours once the values get long: 7200 s reads better as 2 h.
    const [scale, unit] = top >= 3 * 3600 ? [3600, 'h'] : top >= 180 ? [60, 'min'] : [1, 's'];
    return niceTicks(top / scale, count).map((t) => ({
      value: t * scale,
      label: t === 0 ? '0' : `${formatNumber(t)} ${unit}`,
    }));
  }
  // Counts are whole: a step below 1 would label 0.5 checks.
  return niceTicks(max, count, 1).map((t) => ({ value: t, label: formatNumber(t) }));
}

/** `1500` → `1,500`; `0.25` → `0.25`; no trailing zeros. */
export function formatNumber(value: number): string {
  return NUMBER_FORMAT.format(value);
}

// One formatter for every label: `toLocaleString` builds a new one per call, which dominated a large report's time.
const NUMBER_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

/** A value in its kind's words, for tooltips and tables. */
export function formatValue(value: number, kind: ValueKind): string {
  if (kind === 'bytes') return formatBytes(value);
  if (kind === 'seconds') return `${value < 10 ? value.toFixed(1) : formatNumber(Math.round(value))} s`;
  return formatNumber(value);
}

/** The UTC day number of a time (days since 1970-01-01). */
export function dayNumber(at: Date): number {
  return Math.floor(at.getTime() / DAY_MS);
}

/**
 * Pure: the points split where the line must break: at a run without a value (failed, or nothing measured), and
 * between two runs with at least one whole UTC day without any run between them. Points in time order.
 */
export function lineSegments<T extends SeriesPoint>(points: readonly T[]): T[][] {
  const segments: T[][] = [];
  let current: T[] = [];
  let lastDay: number | undefined;
  for (const point of points) {
    const day = dayNumber(point.at);
    const skippedADay = lastDay !== undefined && day - lastDay > 1;
    if (point.value === undefined || !Number.isFinite(point.value) || skippedADay) {
      if (current.length) segments.push(current);
      current = [];
    }
    if (point.value !== undefined && Number.isFinite(point.value)) current.push(point);
    lastDay = day;
  }
  if (current.length) segments.push(current);
  return segments;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Pure: date ticks across [from, to], at most about `count`: whole days (1, 2, 7 or 14 apart) for short periods,
 * first days of months (1, 2, 3 or 6 apart) for longer ones, first days of years beyond that. Labelled in UTC.
 */
export function dateTicks(from: Date, to: Date, count = 6): { at: Date; label: string }[] {
  const spanDays = (to.getTime() - from.getTime()) / DAY_MS;
  const ticks: { at: Date; label: string }[] = [];
  // A day or two: whole hours, the day's name at midnight.
  const hourStep = spanDays <= 2 ? ([1, 2, 3, 6, 12].find((s) => (spanDays * 24) / s <= count) ?? 24) : undefined;
  if (hourStep !== undefined) {
    const stepMs = hourStep * 3_600_000;
    for (let t = Math.ceil(from.getTime() / stepMs) * stepMs; t <= to.getTime(); t += stepMs) {
      const at = new Date(t);
      const hour = at.getUTCHours();
      ticks.push({
        at,
        label: hour === 0 ? `${MONTHS[at.getUTCMonth()]} ${at.getUTCDate()}` : `${String(hour).padStart(2, '0')}:00`,
      });
    }
    return ticks;
  }
  const dayStep = [1, 2, 7, 14].find((s) => spanDays / s <= count);
  if (dayStep !== undefined) {
    const first = Math.ceil(from.getTime() / DAY_MS);
    for (let d = first; d * DAY_MS <= to.getTime(); d += dayStep) {
      const at = new Date(d * DAY_MS);
      ticks.push({ at, label: `${MONTHS[at.getUTCMonth()]} ${at.getUTCDate()}` });
    }
    return ticks;
  }
  const monthStep = [1, 2, 3, 6].find((s) => spanDays / 30.44 / s <= count) ?? 12;
  let at = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + (from.getUTCDate() > 1 ? 1 : 0), 1));
  if (monthStep === 12 && at.getUTCMonth() !== 0) at = new Date(Date.UTC(at.getUTCFullYear() + 1, 0, 1));
  while (at.getTime() <= to.getTime()) {
    if (monthStep === 12 || at.getUTCMonth() % monthStep === 0)
      ticks.push({
        at,
        label: at.getUTCMonth() === 0 ? String(at.getUTCFullYear()) : `${MONTHS[at.getUTCMonth()]}`,
      });
    at = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + (monthStep === 12 ? 12 : 1), 1));
  }
  return ticks;
}

const MARGIN = { left: 68, right: 12, top: 26, bottom: 26 };

/** Pure: the chart of one series over the period. Points outside the period are left out. */
export function chartModel(points: readonly SeriesPoint[], options: ChartOptions): ChartModel {
  // 480 units wide: the text stays readable when a phone scales the chart down to its width.
  const width = options.width ?? 480;
  const height = options.height ?? 190;
  const plot = { left: MARGIN.left, top: MARGIN.top, right: width - MARGIN.right, bottom: height - MARGIN.bottom };
  const fromMs = options.from.getTime();
  const spanMs = Math.max(1, options.to.getTime() - fromMs);
  const inPeriod = points
    .filter((p) => p.at.getTime() >= fromMs && p.at.getTime() <= options.to.getTime())
    .sort((a, b) => a.at.getTime() - b.at.getTime());
  const values = inPeriod.flatMap((p) => (p.value !== undefined && Number.isFinite(p.value) ? [p.value] : []));
  const ticks = valueTicks(Math.max(0, ...values), options.kind);
  const top = ticks.at(-1)!.value;
  const x = (at: Date) => plot.left + ((at.getTime() - fromMs) / spanMs) * (plot.right - plot.left);
  const y = (value: number) => plot.bottom - (Math.max(0, value) / top) * (plot.bottom - plot.top);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    title: options.title,
    width,
    height,
    plot,
    yTicks: ticks.map((t) => ({ ...t, y: round(y(t.value)) })),
    xTicks: dateTicks(options.from, options.to).map((t) => ({
      value: t.at.getTime(),
      label: t.label,
      x: round(x(t.at)),
    })),
    segments: lineSegments(inPeriod).map((segment) =>
      segment.map((p) => ({ x: round(x(p.at)), y: round(y(p.value!)), value: p.value!, label: p.label })),
    ),
    failures: inPeriod.filter((p) => p.failed).map((p) => ({ x: round(x(p.at)), label: p.label })),
    empty: inPeriod.length === 0,
  };
}

/** One run's checks: passed and failed counts (either unknown when the run recorded none). */
export interface CheckPoint {
  readonly at: Date;
  readonly passed?: number;
  readonly failed?: number;
  /** The run failed (whether or not a check did). */
  readonly runFailed: boolean;
  readonly label: RunLabel;
}

export interface CheckBar {
  readonly x: number;
  readonly width: number;
  /** Passed checks' bar, from `passedY` down to the baseline. */
  readonly passedY: number;
  /** Failed checks' bar, stacked on the passed one: from `failedY` to `passedY`. */
  readonly failedY: number;
  readonly label: RunLabel;
}

export interface CheckChartModel extends Omit<ChartModel, 'segments'> {
  readonly bars: readonly CheckBar[];
}

/** Pure: checks passed and failed per run, as stacked bars; runs that failed without check counts are marked. */
export function checkChartModel(points: readonly CheckPoint[], options: Omit<ChartOptions, 'kind'>): CheckChartModel {
  const base = chartModel(
    points.map((p) => ({
      at: p.at,
      ...(p.passed !== undefined || p.failed !== undefined ? { value: (p.passed ?? 0) + (p.failed ?? 0) } : {}),
      failed: p.runFailed && p.passed === undefined && p.failed === undefined,
      label: p.label,
    })),
    { ...options, kind: 'count' },
  );
  const { segments: _lines, ...rest } = base;
  const top = base.yTicks.at(-1)!.value;
  const fromMs = options.from.getTime();
  const spanMs = Math.max(1, options.to.getTime() - fromMs);
  const plotWidth = base.plot.right - base.plot.left;
  const plotHeight = base.plot.bottom - base.plot.top;
  const days = Math.max(1, spanMs / DAY_MS);
  // One day's width, at least a hair so a two-year period still shows every run, at most 16 units.
  const width = Math.min(16, Math.max(0.6, (plotWidth / days) * 0.7));
  const round = (n: number) => Math.round(n * 10) / 10;
  const bars = points
    .filter((p) => p.at.getTime() >= fromMs && p.at.getTime() <= options.to.getTime())
    .filter((p) => p.passed !== undefined || p.failed !== undefined)
    .sort((a, b) => a.at.getTime() - b.at.getTime())
    .map((p) => {
      const passed = p.passed ?? 0;
      const failed = p.failed ?? 0;
      const x = base.plot.left + ((p.at.getTime() - fromMs) / spanMs) * plotWidth;
      return {
        // Kept inside the plot: a run at the period's very end would otherwise stick out past the axis.
        x: round(Math.min(base.plot.right - width, Math.max(base.plot.left, x - width / 2))),
        width: round(width),
        passedY: round(base.plot.bottom - (passed / top) * plotHeight),
        failedY: round(base.plot.bottom - ((passed + failed) / top) * plotHeight),
        label: p.label,
      };
    });
  return { ...rest, bars };
}

/** One run on the status strip: a mark coloured by how the run ended. */
export interface StatusMark {
  readonly x: number;
  readonly status: string;
  readonly label: RunLabel;
}

/** Pure: every run of the period as a mark across the plot's width (the failure timeline). */
export function statusStrip(
  runs: readonly { readonly at: Date; readonly status: string; readonly label: RunLabel }[],
  options: { readonly from: Date; readonly to: Date; readonly width?: number },
): { width: number; left: number; right: number; marks: StatusMark[]; xTicks: (Tick & { x: number })[] } {
  const width = options.width ?? 480;
  const left = MARGIN.left;
  const right = width - MARGIN.right;
  const fromMs = options.from.getTime();
  const spanMs = Math.max(1, options.to.getTime() - fromMs);
  const x = (at: Date) => Math.round((left + ((at.getTime() - fromMs) / spanMs) * (right - left)) * 10) / 10;
  return {
    width,
    left,
    right,
    marks: runs
      .filter((r) => r.at.getTime() >= fromMs && r.at.getTime() <= options.to.getTime())
      .map((r) => ({ x: x(r.at), status: r.status, label: r.label })),
    xTicks: dateTicks(options.from, options.to).map((t) => ({ value: t.at.getTime(), label: t.label, x: x(t.at) })),
  };
}
