// Pure: chart models → inline SVG strings. Colours come from the page's CSS classes, so light and dark mode apply.
import type { ChartModel, CheckChartModel, StatusMark, Tick } from './chart-model';

/** Escapes text for HTML and SVG content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Above this many points a series is drawn as a line only: dots would blur into one another. */
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
        `<title>${escapeHtml(f.label)}</title></path>`,
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
    .map((p) => `<circle class="dot" cx="${p.x}" cy="${p.y}" r="3"><title>${escapeHtml(p.label)}</title></circle>`)
    .join('');
  return `${open(model, 'line-chart')}${frame(model)}${lines}${dots}${failureMarks(model)}${emptyNote(model)}</svg>`;
}

/** Pure: checks per run as stacked bars (passed below, failed above), failed runs without counts as crosses. */
export function checkChartSvg(model: CheckChartModel): string {
  const bars = model.bars
    .map((b) => {
      const passed =
        b.passedY < model.plot.bottom
          ? `<rect class="passed" x="${b.x}" y="${b.passedY}" width="${b.width}" height="${Math.round((model.plot.bottom - b.passedY) * 10) / 10}"/>`
          : '';
      const failed =
        b.failedY < b.passedY
          ? `<rect class="failed" x="${b.x}" y="${b.failedY}" width="${b.width}" height="${Math.round((b.passedY - b.failedY) * 10) / 10}"/>`
          : '';
      return `<g><title>${escapeHtml(b.label)}</title>${passed}${failed}</g>`;
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
  const marks = strip.marks
    .map((m) => {
      const tall = m.status !== 'verified';
      return `<line class="mark ${escapeHtml(m.status)}" x1="${m.x}" x2="${m.x}" y1="${tall ? 20 : 30}" y2="${base}"><title>${escapeHtml(m.label)}</title></line>`;
    })
    .join('');
  const empty = strip.marks.length
    ? ''
    : `<text class="empty" x="${(strip.left + strip.right) / 2}" y="36" text-anchor="middle">no runs in this period</text>`;
  return (
    `<svg class="chart timeline" viewBox="0 0 ${strip.width} ${height}" role="img" aria-label="Runs over time" xmlns="http://www.w3.org/2000/svg">` +
    `<text class="chart-title" x="${strip.left}" y="14">Runs (tall marks: not verified)</text>` +
    `<line class="axis" x1="${strip.left}" x2="${strip.right}" y1="${base}" y2="${base}"/>${marks}${empty}${xAxis(strip.xTicks, base)}</svg>`
  );
}
