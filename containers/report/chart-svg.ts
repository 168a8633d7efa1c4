// Pure: chart models → inline SVG strings. Colours come from the page's CSS classes, so light and dark mode apply.
import { type ChartModel, type CheckChartModel, labelText, type StatusMark, type Tick } from './chart-model';

/** Escapes text for HTML and SVG content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Above this many runs a chart draws no dots and no per-run tooltips: dots would blur into one another, and two years
 * of tooltips would make the page several times larger (the run table below holds every figure anyway).
 */
const MAX_DOTS = 120;

function frame(model: Omit<ChartModel, 'segments'>): string {
  const { plot } = model;
  const grid = model.yTicks
    .map(
      (t) =>
        `<line class="grid" x1="${plot.left}" x2="${plot.right}" y1="${t.y}" y2="${t.y}"/>` +
        `<text class="tick" x="${plot.left - 6}" y="${t.y + 4}" text-anchor="end">${escapeHtml(t.label)}</text>`,
    )
    .join('');
  return (
    `<text class="chart-title" x="${plot.left}" y="16">${escapeHtml(model.title)}</text>${grid}` +
    `<line class="axis" x1="${plot.left}" x2="${plot.right}" y1="${plot.bottom}" y2="${plot.bottom}"/>` +
    xAxis(model.xTicks, plot.bottom)
  );
}

function xAxis(ticks: readonly (Tick & { x: number })[], y: number): string {
  return ticks
    .map(
      (t) =>
        `<line class="axis" x1="${t.x}" x2="${t.x}" y1="${y}" y2="${y + 4}"/>` +
        `<text class="tick" x="${t.x}" y="${y + 17}" text-anchor="middle">${escapeHtml(t.label)}</text>`,
    )
    .join('');
}

function failureMarks(model: Pick<ChartModel, 'failures' | 'plot'>): string {
  const y = model.plot.bottom;
  return model.failures
    .map(
      (f) =>
        `<path class="failed-run" d="M${f.x - 4} ${y - 4}L${f.x + 4} ${y + 4}M${f.x - 4} ${y + 4}L${f.x + 4} ${y - 4}">` +
        `<title>${escapeHtml(labelText(f.label))}</title></path>`,
    )
    .join('');
}

function emptyNote(model: Pick<ChartModel, 'empty' | 'plot'>): string {
  if (!model.empty) return '';
  const { plot } = model;
  return `<text class="empty" x="${(plot.left + plot.right) / 2}" y="${(plot.top + plot.bottom) / 2}" text-anchor="middle">no runs in this period</text>`;
}

function open(model: { width: number; height: number; title: string }, kind: string): string {
  return `<svg class="chart ${kind}" viewBox="0 0 ${model.width} ${model.height}" role="img" aria-label="${escapeHtml(model.title)}" xmlns="http://www.w3.org/2000/svg">`;
}

/** Pure: a line chart: one polyline per segment, dots when few, failed runs as crosses on the axis. */
export function lineChartSvg(model: ChartModel): string {
  const points = model.segments.reduce((n, s) => n + s.length, 0);
  const lines = model.segments
    .map((s) => (s.length > 1 ? `<polyline class="series" points="${s.map((p) => `${p.x},${p.y}`).join(' ')}"/>` : ''))
    .join('');
  // A lone point (one run, or one between gaps) has no line: it always gets a dot.
  const dots = model.segments
    .flatMap((s) => (points <= MAX_DOTS || s.length === 1 ? s : []))
    .map(
      (p) =>
        `<circle class="dot" cx="${p.x}" cy="${p.y}" r="3"><title>${escapeHtml(labelText(p.label))}</title></circle>`,
    )
    .join('');
  return `${open(model, 'line-chart')}${frame(model)}${lines}${dots}${failureMarks(model)}${emptyNote(model)}</svg>`;
}

/** Pure: checks per run as stacked bars (passed below, failed above), failed runs without counts as crosses. */
export function checkChartSvg(model: CheckChartModel): string {
  const bottom = model.plot.bottom;
  const r = (n: number) => Math.round(n * 10) / 10;
  if (model.bars.length > MAX_DOTS) {
    // Many runs: one path per colour, a rectangle per run (a tenth of the bytes of one element per bar).
    const rect = (x: number, top: number, base: number, w: number) => `M${x} ${top}h${w}V${base}h${r(-w)}Z`;
    const passed = model.bars.filter((b) => b.passedY < bottom).map((b) => rect(b.x, b.passedY, bottom, b.width));
    const failed = model.bars.filter((b) => b.failedY < b.passedY).map((b) => rect(b.x, b.failedY, b.passedY, b.width));
    const paths =
      (passed.length ? `<path class="passed" d="${passed.join('')}"/>` : '') +
      (failed.length ? `<path class="failed" d="${failed.join('')}"/>` : '');
    return `${open(model, 'check-chart')}${frame(model)}${paths}${failureMarks(model)}${emptyNote(model)}</svg>`;
  }
  const bars = model.bars
    .map((b) => {
      const passed =
        b.passedY < bottom
          ? `<rect class="passed" x="${b.x}" y="${b.passedY}" width="${b.width}" height="${r(bottom - b.passedY)}"/>`
          : '';
      const failed =
        b.failedY < b.passedY
          ? `<rect class="failed" x="${b.x}" y="${b.failedY}" width="${b.width}" height="${r(b.passedY - b.failedY)}"/>`
          : '';
      return `<g><title>${escapeHtml(labelText(b.label))}</title>${passed}${failed}</g>`;
    })
    .join('');
  return `${open(model, 'check-chart')}${frame(model)}${bars}${failureMarks(model)}${emptyNote(model)}</svg>`;
}

/** Pure: the run timeline: one mark per run, coloured by status, failures taller. */
export function statusStripSvg(strip: {
  width: number;
  left: number;
  right: number;
  marks: readonly StatusMark[];
  xTicks: readonly (Tick & { x: number })[];
}): string {
  const height = 70;
  const base = 46;
  const top = (status: string) => (status === 'verified' ? 30 : 20);
  let marks: string;
  if (strip.marks.length > MAX_DOTS) {
    // Many runs: one path per status instead of one element per run.
    const byStatus = new Map<string, string[]>();
    for (const m of strip.marks) {
      const list = byStatus.get(m.status) ?? [];
      list.push(`M${m.x} ${top(m.status)}V${base}`);
      byStatus.set(m.status, list);
    }
    marks = [...byStatus]
      .map(([status, parts]) => `<path class="mark ${escapeHtml(status)}" d="${parts.join('')}"/>`)
      .join('');
  } else {
    marks = strip.marks
      .map(
        (m) =>
          `<line class="mark ${escapeHtml(m.status)}" x1="${m.x}" x2="${m.x}" y1="${top(m.status)}" y2="${base}"><title>${escapeHtml(labelText(m.label))}</title></line>`,
      )
      .join('');
  }
  const empty = strip.marks.length
    ? ''
    : `<text class="empty" x="${(strip.left + strip.right) / 2}" y="36" text-anchor="middle">no runs in this period</text>`;
  return (
    `<svg class="chart timeline" viewBox="0 0 ${strip.width} ${height}" role="img" aria-label="Runs over time" xmlns="http://www.w3.org/2000/svg">` +
    `<text class="chart-title" x="${strip.left}" y="14">Runs (tall marks: not verified)</text>` +
    `<line class="axis" x1="${strip.left}" x2="${strip.right}" y1="${base}" y2="${base}"/>${marks}${empty}${xAxis(strip.xTicks, base)}</svg>`
  );
}
