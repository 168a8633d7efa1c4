// Pure: the report model → one self-contained HTML page: inline CSS and SVG, no script, no request of any kind.
import { formatBytes, formatDuration } from '../../lambdas/common/format';
import { chartModel, checkChartModel, formatValue, type SeriesPoint, statusStrip, type ValueKind } from './chart-model';
import { checkChartSvg, escapeHtml, lineChartSvg, statusStripSvg } from './chart-svg';
import type { DatabaseReport, ReportModel, ReportRun } from './report-model';

/** Nothing may be fetched: a stray URL in the page would be blocked and show as a console error, never load. */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/** The page's palette per colour scheme (the browser test looks for the series colours in its screenshots). */
export const REPORT_COLORS = {
  light: {
    bg: '#ffffff',
    fg: '#1f2937',
    muted: '#6b7280',
    grid: '#e5e7eb',
    card: '#f3f4f6',
    line: '#2563eb',
    ok: '#16a34a',
    fail: '#dc2626',
    warn: '#d97706',
    run: '#7c3aed',
  },
  dark: {
    bg: '#111827',
    fg: '#e5e7eb',
    muted: '#9ca3af',
    grid: '#374151',
    card: '#1f2937',
    line: '#60a5fa',
    ok: '#4ade80',
    fail: '#f87171',
    warn: '#fbbf24',
    run: '#a78bfa',
  },
} as const;

const cssVariables = (palette: Record<string, string>) =>
  Object.entries(palette)
    .map(([name, value]) => `--${name}:${value}`)
    .join(';');

/** The run table's columns; on a phone each cell is a line led by its column's name (from CSS, not per cell). */
const RUN_COLUMNS = ['started (UTC)', 'status', 'size', 'dump', 'restore', 'checks', 'retention', 'run id'];

const STYLE = `
:root{color-scheme:light dark;${cssVariables(REPORT_COLORS.light)}}
@media (prefers-color-scheme:dark){:root{${cssVariables(REPORT_COLORS.dark)}}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header,main,footer{max-width:1100px;margin:0 auto;padding:12px 16px}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.25rem;margin:1.6rem 0 .6rem;overflow-wrap:anywhere}
h3{font-size:1rem;margin:1rem 0 .4rem}
.muted{color:var(--muted)}
nav a{color:var(--fg);margin-right:.8rem;overflow-wrap:anywhere}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,200px),1fr));gap:8px}
.card{background:var(--card);border-radius:8px;padding:8px 12px}
.card b{display:block;font-size:1.15rem}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,460px),1fr));gap:8px;margin-top:8px}
svg.chart{display:block;width:100%;height:auto;background:var(--card);border-radius:8px}
svg .grid{stroke:var(--grid);stroke-width:1}svg .axis{stroke:var(--muted);stroke-width:1}
svg .tick{fill:var(--muted);font-size:13px}svg .chart-title{fill:var(--fg);font-size:14px;font-weight:600}
svg .empty{fill:var(--muted);font-size:13px}
svg .series{fill:none;stroke:var(--line);stroke-width:2.5;stroke-linejoin:round;stroke-linecap:round}
svg .dot{fill:var(--line)}
svg .failed-run{stroke:var(--fail);stroke-width:2.5}
svg .passed{fill:var(--ok)}svg .failed{fill:var(--fail)}
svg .mark{stroke-width:2.5}svg .mark.verified{stroke:var(--ok)}svg .mark.failed{stroke:var(--fail)}
svg .mark.unverified,svg .mark.incomplete{stroke:var(--warn)}svg .mark.running{stroke:var(--run)}
.status{font-weight:600}.status.verified{color:var(--ok)}.status.failed{color:var(--fail)}
.status.unverified,.status.incomplete{color:var(--warn)}.status.running{color:var(--run)}
ol.failures{padding-left:1.2rem}ol.failures li{margin:.3rem 0;overflow-wrap:anywhere}
code{font-size:.9em;overflow-wrap:anywhere}
details{margin-top:.6rem}summary{cursor:pointer}
table.runs{border-collapse:collapse;width:100%;font-size:.9rem}
table.runs th,table.runs td{text-align:left;padding:3px 6px;border-bottom:1px solid var(--grid);vertical-align:top}
table.runs td:nth-child(n+3):nth-child(-n+5){text-align:right;font-variant-numeric:tabular-nums}
table.runs td:last-child{font-family:ui-monospace,monospace;font-size:.85em;overflow-wrap:anywhere}
@media (max-width:640px){table.runs thead{display:none}table.runs tr{display:block;border-bottom:1px solid var(--grid);padding:4px 0}
table.runs td{display:flex;justify-content:space-between;gap:8px;border:0;padding:1px 2px}
table.runs td:nth-child(n){text-align:left}table.runs td::before{color:var(--muted)}
${RUN_COLUMNS.map((name, i) => `table.runs td:nth-child(${i + 1})::before{content:"${name}"}`).join('')}}
`;

/** `2026-11-24 03:15` (UTC). */
function when(iso: string): string {
  return iso.replace('T', ' ').slice(0, 16);
}

/** `95000` s → `1 d 2 h`; whole units, so an age reads at a glance. */
export function formatAge(seconds: number): string {
  if (seconds < 3600) return `${Math.max(0, Math.floor(seconds / 60))} min`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h`;
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  return hours ? `${days} d ${hours} h` : `${days} d`;
}

function runLabel(r: ReportRun, kind?: ValueKind, value?: number): string {
  const figure = kind && value !== undefined ? `: ${formatValue(value, kind)}` : '';
  const why = r.error ? ` (${r.error.name} in ${r.error.state})` : '';
  return `${when(r.at)} ${r.status}${figure}${why}`;
}

function series(
  db: DatabaseReport,
  times: readonly Date[],
  kind: ValueKind,
  pick: (r: ReportRun) => number | undefined,
): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  db.runs.forEach((r, i) => {
    if (r.status === 'running') return;
    const value = pick(r);
    points.push({ at: times[i]!, value, failed: r.status !== 'verified', label: () => runLabel(r, kind, value) });
  });
  return points;
}

function retentionText(r: ReportRun): string {
  if (!r.inBucket) return r.key ? 'gone from the bucket' : '-';
  if (!r.retention) return '-';
  if (r.retention.keptBy.length === 0) return 'expired';
  if (r.retention.expiresAt) return `kept until ${when(r.retention.expiresAt)}`;
  return `kept: ${r.retention.keptBy.join(', ')}`;
}

function cards(db: DatabaseReport, now: Date): string {
  const card = (title: string, value: string, detail: string) =>
    `<div class="card"><span class="muted">${escapeHtml(title)}</span><b>${escapeHtml(value)}</b><span class="muted">${escapeHtml(detail)}</span></div>`;
  const nv = db.newestVerified;
  const t = db.restoreTrend;
  const trend = t
    ? [
        t.changePercent !== undefined
          ? `${t.changePercent >= 0 ? '+' : '−'}${Math.abs(t.changePercent).toFixed(1)}% vs median ${formatDuration(t.medianSeconds!)}`
          : 'first measurement',
        t.slopePer30Days !== undefined
          ? `trend ${t.slopePer30Days >= 0 ? '+' : '−'}${formatDuration(Math.abs(t.slopePer30Days))} / 30 d`
          : '',
      ]
        .filter(Boolean)
        .join('; ')
    : '';
  const c = db.counts;
  const notVerified = c.failed + c.unverified + c.incomplete;
  return `<div class="cards">${[
    nv
      ? card(
          'Newest verified backup',
          `${formatAge(nv.ageSeconds)} old`,
          `${when(nv.at)} UTC, ${formatBytes(nv.bytes)}, restored in ${formatDuration(nv.restoreSeconds)}`,
        )
      : card('Newest verified backup', 'none', `no verified backup in the bucket as of ${when(now.toISOString())} UTC`),
    t
      ? card('Measured recovery time (latest)', formatDuration(t.latestSeconds), trend)
      : card('Measured recovery time (latest)', '-', 'no restore measured in this period'),
    card(
      'Runs in this period',
      `${c.verified} verified, ${notVerified} not`,
      [
        c.failed ? `${c.failed} failed` : '',
        c.unverified ? `${c.unverified} unverified` : '',
        c.incomplete ? `${c.incomplete} incomplete` : '',
        c.running ? `${c.running} running` : '',
      ]
        .filter(Boolean)
        .join(', ') || 'no failures',
    ),
    ...(db.retention
      ? [
          card(
            'Retention (all backups in the bucket)',
            `${db.retention.kept} kept`,
            `${db.retention.expired} expired by the policy`,
          ),
        ]
      : []),
  ].join('')}</div>`;
}

function failures(db: DatabaseReport): string {
  const failed = db.runs.filter((r) => r.status !== 'verified' && r.status !== 'running');
  if (!failed.length) return '<h3>Failures</h3><p class="muted">none in this period</p>';
  const items = failed
    .slice()
    .reverse()
    .map((r) => {
      const what = r.error
        ? `<code>${escapeHtml(r.error.name)}</code> in <code>${escapeHtml(r.error.state)}</code>: ${escapeHtml(r.error.message)}`
        : escapeHtml(r.note ?? 'no error recorded');
      return `<li><span class="status ${r.status}">${escapeHtml(when(r.at))} ${r.status}</span> — ${what}</li>`;
    })
    .join('');
  return `<h3>Failures (newest first)</h3><ol class="failures">${items}</ol>`;
}

function runTable(db: DatabaseReport): string {
  // Plain cells, styled by column in CSS: two years of runs make thousands of rows, so every byte of a row counts.
  const rows: string[] = [];
  for (let i = db.runs.length - 1; i >= 0; i--) {
    const r = db.runs[i]!;
    const checks =
      r.checksPassed !== undefined || r.checksFailed !== undefined
        ? `${r.checksPassed ?? 0} passed${r.checksFailed ? `, ${r.checksFailed} failed` : ''}`
        : '-';
    rows.push(
      `<tr><td>${when(r.at)}</td><td class="status ${r.status}">${r.status}</td>` +
        `<td>${r.bytes !== undefined ? formatBytes(r.bytes) : '-'}</td>` +
        `<td>${r.dumpSeconds !== undefined ? formatDuration(r.dumpSeconds) : '-'}</td>` +
        `<td>${r.restoreSeconds !== undefined ? formatDuration(r.restoreSeconds) : '-'}</td>` +
        `<td>${checks}</td><td>${escapeHtml(retentionText(r))}</td><td>${escapeHtml(r.runId)}</td></tr>`,
    );
  }
  return (
    `<details><summary>All ${db.runs.length} run${db.runs.length === 1 ? '' : 's'} of the period</summary>` +
    `<table class="runs"><thead><tr>${RUN_COLUMNS.map((c) => `<th>${c}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></details>`
  );
}

function databaseSection(db: DatabaseReport, index: number, model: ReportModel): string {
  const from = new Date(model.from);
  const to = new Date(model.to);
  const period = { from, to };
  // Parsed once: each run's time is placed on five charts.
  const times = db.runs.map((r) => new Date(r.at));
  const size = chartModel(
    series(db, times, 'bytes', (r) => r.bytes),
    { ...period, title: 'Backup size', kind: 'bytes' },
  );
  const dump = chartModel(
    series(db, times, 'seconds', (r) => r.dumpSeconds),
    { ...period, title: 'Dump time', kind: 'seconds' },
  );
  const restore = chartModel(
    series(db, times, 'seconds', (r) => r.restoreSeconds),
    { ...period, title: 'Restore time (measured recovery time)', kind: 'seconds' },
  );
  const checks = checkChartModel(
    db.runs
      .filter((r) => r.status !== 'running')
      .map((r) => ({
        at: new Date(r.at),
        ...(r.checksPassed !== undefined ? { passed: r.checksPassed } : {}),
        ...(r.checksFailed !== undefined ? { failed: r.checksFailed } : {}),
        runFailed: r.status !== 'verified',
        label: () => `${runLabel(r)}: ${r.checksPassed ?? '?'} passed, ${r.checksFailed ?? '?'} failed`,
      })),
    { ...period, title: 'Checks per run (passed, failed)' },
  );
  const strip = statusStrip(
    db.runs.map((r, i) => ({ at: times[i]!, status: r.status, label: () => runLabel(r) })),
    period,
  );
  return (
    `<section id="db-${index}"><h2>${escapeHtml(db.database)}</h2>${cards(db, to)}` +
    `<div class="charts">${lineChartSvg(size)}${lineChartSvg(dump)}${lineChartSvg(restore)}${checkChartSvg(checks)}` +
    `${statusStripSvg(strip)}</div>${failures(db)}${runTable(db)}</section>`
  );
}

/** Pure: the whole page. Every text from the sources (names, errors, keys) is escaped. */
export function reportHtml(model: ReportModel): string {
  const sources = model.withHistory
    ? `Sources: ${model.historySource ?? 'the local run history'} (every run, with its failed state and error) and the backups in the bucket (sizes, dump times, restore times, checks).`
    : 'Source: the backups in the bucket (sizes, dump times, restore times, checks). A run that failed before it wrote a backup left nothing there, so this report cannot show it; a backup without a verified marker failed its verification or was not verified yet.';
  const runFailures = model.runFailures.length
    ? `<section><h2>Runs that failed before reaching a database</h2><ol class="failures">${model.runFailures
        .slice()
        .reverse()
        .map(
          (f) =>
            `<li><span class="status failed">${escapeHtml(when(f.at))} ${escapeHtml(f.label)}</span> — ${
              f.error
                ? `<code>${escapeHtml(f.error.name)}</code> in <code>${escapeHtml(f.error.state)}</code>: ${escapeHtml(f.error.message)}`
                : 'no error recorded'
            } <span class="muted">(${escapeHtml(f.runId)})</span></li>`,
        )
        .join('')}</ol></section>`
    : '';
  const nav = model.databases.map((db, i) => `<a href="#db-${i}">${escapeHtml(db.database)}</a>`).join('');
  const body = model.databases.length
    ? model.databases.map((db, i) => databaseSection(db, i, model)).join('')
    : model.runFailures.length
      ? ''
      : '<p>No backups or runs found.</p>';
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">` +
    `<title>pgproof report</title><style>${STYLE}</style></head><body>` +
    `<header><h1>pgproof report</h1><p class="muted">The last ${model.days === 1 ? 'day' : `${model.days} days`}: ${escapeHtml(when(model.from))} to ${escapeHtml(when(model.to))} UTC. ` +
    `Generated ${escapeHtml(when(model.generatedAt))} UTC.</p><p class="muted">${escapeHtml(sources)}</p><nav>${nav}</nav></header>` +
    `<main>${runFailures}${body}</main><footer class="muted">Crosses on an axis and tall timeline marks are runs that were not verified.</footer></body></html>\n`
  );
}
