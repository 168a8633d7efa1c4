import { describe, expect, it } from 'vitest';
import { chartModel } from '../../../containers/report/chart-model';
import { escapeHtml, lineChartSvg } from '../../../containers/report/chart-svg';
import { formatAge, REPORT_CSP, reportHtml } from '../../../containers/report/report-html';
import { buildReportModel } from '../../../containers/report/report-model';
import { DEFAULT_RETENTION_POLICY } from '../../../lib/common/defaults';
import { catalogBackup, syntheticHistory } from '../../helpers/synthetic-catalog';

const DAY_MS = 86_400_000;
const now = new Date('2026-12-01T12:00:00Z');

/** The run ids the page's run tables list. */
const listedRuns = (html: string) => [...html.matchAll(/<td>(\d{8}T\d{6}Z-[0-9a-f]+)<\/td><\/tr>/g)].map((m) => m[1]);

describe('reportHtml', () => {
  it('lists every run of the period, and none before it', () => {
    // GIVEN 60 days of daily runs of two databases, reported over the last 20 days
    const { catalog, runs } = syntheticHistory({ databases: 2, days: 60, now });
    const model = buildReportModel({ catalog, runs, now, days: 20, policy: DEFAULT_RETENTION_POLICY });
    // WHEN
    const html = reportHtml(model);
    // THEN exactly the runs started in the last 20 days are in the page, each once
    const from = now.getTime() - 20 * DAY_MS;
    const inPeriod = runs.filter((r) => Date.parse(r.startedAt) >= from).map((r) => r.runId);
    const outside = runs.filter((r) => Date.parse(r.startedAt) < from).map((r) => r.runId);
    expect(inPeriod).toHaveLength(40);
    expect(listedRuns(html).sort()).toEqual(inPeriod.sort());
    for (const runId of outside) expect(html).not.toContain(runId);
    // AND each failure is on the timeline with its state and error
    expect(html).toContain('<code>VerificationFailed</code> in <code>VerifyBackup</code>: 1 of 4 checks failed');
    expect(html).toContain('<code>DumpFailed</code> in <code>BackupDatabase</code>: pg_dump exited with status 1');
    // AND the charts: one line chart per figure, the checks, the timeline
    expect(html.match(/<svg class="chart line-chart"/g)).toHaveLength(2 * 3);
    expect(html.match(/<svg class="chart check-chart"/g)).toHaveLength(2);
    expect(html.match(/<svg class="chart timeline"/g)).toHaveLength(2);
    expect(html).toContain('class="series"');
    expect(html).toContain('class="failed-run"');
  });

  it('escapes database names and error messages, and never shows a secret', () => {
    const name = '<script>alert("db")</script>';
    const backup = catalogBackup(name, new Date(now.getTime() - DAY_MS), { bytes: 10, dumpSeconds: 1 });
    const html = reportHtml(
      buildReportModel({
        catalog: { backups: [backup], incomplete: [], foreign: [] },
        runs: [
          {
            runId: backup.runId,
            database: name,
            status: 'FAILED',
            startedAt: new Date(now.getTime() - DAY_MS).toISOString(),
            error: {
              state: 'VerifyBackup',
              name: 'RestoreFailed',
              message:
                'restore of <img src=x onerror=alert(1)> from postgresql://admin:s3cr3t-pw@db.internal/app failed & stopped',
            },
          },
        ],
        now,
        days: 7,
      }),
    );
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(&quot;db&quot;)&lt;/script&gt;');
    expect(html).toContain(
      'restore of &lt;img src=x onerror=alert(1)&gt; from postgresql://admin:***@db.internal/app failed &amp; stopped',
    );
    expect(html).not.toContain('s3cr3t-pw');
  });

  it('loads nothing: inline CSS and SVG, no script, no URL but the SVG namespace, a CSP that forbids fetching', () => {
    const { catalog, runs } = syntheticHistory({ databases: 1, days: 10, now });
    const html = reportHtml(buildReportModel({ catalog, runs, now, days: 10 }));
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`);
    expect(REPORT_CSP).toMatch(/default-src 'none'/);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html.match(/https?:\/\/[^"\s<]*/g)?.filter((u) => u !== 'http://www.w3.org/2000/svg')).toEqual([]);
    expect(html).toMatch(/@media \(prefers-color-scheme:dark\)/);
    expect(html).toMatch(/<meta name="viewport" content="width=device-width, initial-scale=1">/);
    expect(html).toMatch(/viewBox="0 0 \d+ \d+"/);
  });

  it('lists runs that failed before reaching a database, escaped', () => {
    const html = reportHtml(
      buildReportModel({
        catalog: { backups: [], incomplete: [], foreign: [] },
        runs: [],
        runLevelRuns: [
          {
            runId: '20261130T031500Z-0a0b0c0d0e',
            database: '<demo>',
            status: 'FAILED',
            startedAt: '2026-11-30T03:15:00.000Z',
            error: { state: 'DiscoverDatabases', name: 'NoDatabasesFound', message: 'no database matched' },
          },
        ],
        now,
        days: 7,
      }),
    );
    expect(html).toContain('Runs that failed before reaching a database');
    expect(html).toContain(
      '2026-11-30 03:15 &lt;demo&gt;</span> — <code>NoDatabasesFound</code> in <code>DiscoverDatabases</code>: no database matched',
    );
    expect(html).not.toContain('No backups or runs found.');
  });

  it('says when there is nothing to show, and what the bucket alone cannot tell', () => {
    const html = reportHtml(buildReportModel({ catalog: { backups: [], incomplete: [], foreign: [] }, now, days: 7 }));
    expect(html).toContain('No backups or runs found.');
    expect(html).toContain(
      'A run that failed before it wrote a backup left nothing there, so this report cannot show it',
    );
  });
});

describe('lineChartSvg', () => {
  const period = { from: new Date('2026-11-01T00:00Z'), to: new Date('2026-11-30T00:00Z'), title: 'Restore <time>' };
  it('draws a line per segment, crosses for failed runs, and escapes its title', () => {
    const svg = lineChartSvg(
      chartModel(
        [
          { at: new Date('2026-11-02T03:00Z'), value: 5, failed: false, label: 'a' },
          { at: new Date('2026-11-03T03:00Z'), value: 6, failed: false, label: 'b' },
          { at: new Date('2026-11-04T03:00Z'), failed: true, label: 'c & d' },
        ],
        { ...period, kind: 'seconds' },
      ),
    );
    expect(svg.match(/<polyline class="series" points="[\d.]+,[\d.]+ [\d.]+,[\d.]+"\/>/g)).toHaveLength(1);
    expect(svg).toContain('<title>c &amp; d</title>');
    expect(svg).toContain('Restore &lt;time&gt;');
    expect(svg).not.toContain('no runs in this period');
  });

  it('says so when the period has no runs', () => {
    expect(lineChartSvg(chartModel([], { ...period, kind: 'bytes' }))).toContain('no runs in this period');
  });
});

describe('escapeHtml, formatAge', () => {
  it('escapes the five HTML specials', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
  it('reads ages in whole units', () => {
    expect([59, 3600 * 5 + 10, 86_400 * 2 + 3600 * 3, 86_400 * 9].map(formatAge)).toEqual([
      '0 min',
      '5 h',
      '2 d 3 h',
      '9 d',
    ]);
  });
});
