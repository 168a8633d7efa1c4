// A real browser opens the report: Debian's headless Chromium, no driver. Console messages come from its log,
// chart pixels from its screenshots, the phone-width layout from the DOM it dumps.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_COLORS, reportHtml } from '../../../containers/report/report-html';
import { buildReportModel } from '../../../containers/report/report-model';
import { DEFAULT_RETENTION_POLICY } from '../../../lib/common/defaults';
import { CHROMIUM, consoleMessages, countColor, decodePng, hasChromium, runChromium } from '../../helpers/chromium';
import { syntheticHistory } from '../../helpers/synthetic-catalog';

const now = new Date('2026-12-01T12:00:00Z');
const rgb = (hex: string): [number, number, number] =>
  [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];

if (!hasChromium()) {
  // The only reason to skip: the browser is not installed (`.ci/run` installs Debian's chromium package).
  console.warn(`SKIPPED the report's browser test: ${CHROMIUM} is missing (apt-get install chromium)`);
}

describe.skipIf(!hasChromium())('the report in headless Chromium', () => {
  let dir: string;
  let report: string;
  let emptyReport: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-report-browser-'));
    const { catalog, runs } = syntheticHistory({ databases: 2, days: 60, now });
    report = path.join(dir, 'report.html');
    await writeFile(
      report,
      reportHtml(buildReportModel({ catalog, runs, now, days: 60, policy: DEFAULT_RETENTION_POLICY })),
    );
    // The same page with empty charts: what "the charts are not empty" is measured against.
    emptyReport = path.join(dir, 'empty.html');
    await writeFile(
      emptyReport,
      reportHtml(
        buildReportModel({
          catalog: { backups: [], incomplete: [], foreign: [] },
          now,
          days: 60,
          databases: ['db_01', 'db_02'],
        }),
      ),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const screenshot = async (page: string, name: string, extra: string[] = []) => {
    const file = path.join(dir, name);
    const run = await runChromium([`--screenshot=${file}`, '--window-size=1200,1600', ...extra, `file://${page}`]);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    return { run, png: decodePng(await readFile(file)) };
  };

  it('finds console errors, blocked requests and uncaught exceptions in its log (the check below can fail)', async () => {
    // GIVEN a page that logs an error, throws, and asks for an image the report's policy forbids
    const bad = path.join(dir, 'bad.html');
    await writeFile(
      bad,
      reportHtml(buildReportModel({ catalog: { backups: [], incomplete: [], foreign: [] }, now, days: 1 })).replace(
        '</body>',
        '<img src="https://example.com/x.png"></body>',
      ),
    );
    const unsafe = path.join(dir, 'unsafe.html');
    await writeFile(unsafe, '<!doctype html><script>console.error("boom"); notAFunction();</script>');
    // WHEN opened
    const blocked = await runChromium(['--dump-dom', `file://${bad}`]);
    const thrown = await runChromium(['--dump-dom', `file://${unsafe}`]);
    // THEN each shows in the log
    expect(consoleMessages(blocked.stderr).join('\n')).toMatch(/example\.com.*Content Security Policy/);
    expect(consoleMessages(thrown.stderr).join('\n')).toMatch(/"boom"/);
    expect(consoleMessages(thrown.stderr).join('\n')).toMatch(/Uncaught ReferenceError/);
  });

  it('opens with no console message, and its charts are drawn: series, passed checks and failed runs', async () => {
    // WHEN the report and the same page with empty charts are shot at 1200 × 1600
    const { run, png } = await screenshot(report, 'report.png');
    const { png: blank } = await screenshot(emptyReport, 'empty.png');
    // THEN the browser logged nothing from the page
    expect(consoleMessages(run.stderr)).toEqual([]);
    // AND the page is light, and the charts hold the series, passed-check and failed-run colours the empty page lacks
    const light = REPORT_COLORS.light;
    expect(png.pixel(2, 2).slice(0, 3)).toEqual(rgb(light.bg));
    const series = countColor(png, rgb(light.line));
    const passed = countColor(png, rgb(light.ok));
    const failed = countColor(png, rgb(light.fail));
    expect(series).toBeGreaterThan(2000);
    expect(passed).toBeGreaterThan(2000);
    expect(failed).toBeGreaterThan(50);
    expect(countColor(blank, rgb(light.line))).toBeLessThan(series / 20);
    expect(countColor(blank, rgb(light.ok))).toBeLessThan(passed / 20);
  });

  it('follows a dark colour scheme', async () => {
    const { run, png } = await screenshot(report, 'dark.png', ['--force-dark-mode']);
    expect(consoleMessages(run.stderr)).toEqual([]);
    const dark = REPORT_COLORS.dark;
    expect(png.pixel(2, 2).slice(0, 3)).toEqual(rgb(dark.bg));
    expect(countColor(png, rgb(dark.line))).toBeGreaterThan(2000);
  });

  it('fits a phone: no horizontal scrolling at 360 px, with every run table open (and a too-wide page is caught)', async () => {
    // A frame 360 px wide holds the page (headless windows are at least 500 px); a script of this harness measures it.
    const frame = async (page: string) => {
      const harness = path.join(dir, `phone-${path.basename(page)}`);
      await writeFile(
        harness,
        `<!doctype html><body style="margin:0"><iframe id="f" src="${path.basename(page)}" style="width:360px;height:800px;border:0"></iframe><script>
const f = document.getElementById('f');
f.addEventListener('load', () => {
  const d = f.contentDocument;
  d.querySelectorAll('details').forEach((e) => { e.open = true; });
  document.body.setAttribute('data-overflow', String(d.documentElement.scrollWidth - d.documentElement.clientWidth));
});
</script></body>`,
      );
      const run = await runChromium([
        '--allow-file-access-from-files',
        '--window-size=800,900',
        '--dump-dom',
        `file://${harness}`,
      ]);
      const overflow = /data-overflow="(-?\d+)"/.exec(run.stdout);
      expect(overflow, run.stderr.slice(-2000)).not.toBeNull();
      return Number(overflow![1]);
    };
    const wide = path.join(dir, 'wide.html');
    await writeFile(
      wide,
      '<!doctype html><meta name="viewport" content="width=device-width"><div style="width:900px">x</div>',
    );
    expect(await frame(wide)).toBeGreaterThan(0);
    expect(await frame(report)).toBe(0);
  });
});
