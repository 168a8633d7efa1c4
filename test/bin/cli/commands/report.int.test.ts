import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedS3 } from '../../../../lib/local/embedded-s3';
import { pgproof } from '../../../helpers/pgproof-process';

/** The run ids the page's run tables list. */
const listedRuns = (html: string) => [...html.matchAll(/<td>(\d{8}T\d{6}Z-[0-9a-f]+)<\/td><\/tr>/g)].map((m) => m[1]);

describe('pgproof report', () => {
  let stateDir: string;
  let runIds: string[];
  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-report-'));
    // Two demo runs (two databases each) in one state dir
    for (let i = 0; i < 2; i++) {
      const demo = await pgproof(['demo', '--state-dir', stateDir]);
      expect(demo.code, demo.stderr).toBe(0);
    }
    const history = await pgproof(['history', '--local', '--state-dir', stateDir, '--json']);
    runIds = (JSON.parse(history.stdout) as Array<{ runId: string }>).map((r) => r.runId);
    expect(runIds).toHaveLength(2);
  }, 240_000);
  afterAll(() => rm(stateDir, { recursive: true, force: true }));

  it('writes one self-contained page with both runs of both databases, from the history and the embedded bucket', {
    timeout: 60_000,
  }, async () => {
    // WHEN
    const out = path.join(stateDir, 'report.html');
    const run = await pgproof(['report', '--local', '--state-dir', stateDir, '--out', out]);
    // THEN
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/wrote .*report\.html: 2 databases, 4 runs in the last 90 days/);
    const html = await readFile(out, 'utf8');
    expect(listedRuns(html).sort()).toEqual([...runIds, ...runIds].sort());
    for (const db of ['shop', 'blog']) expect(html).toContain(`<h2>${db}</h2>`);
    // Every run verified: restore times and checks from the verified markers, the newest backup kept by every rule
    expect(html.match(/<td class="status verified">verified<\/td>/g)).toHaveLength(4);
    expect(html).toContain('kept: daily, weekly, monthly, min');
    expect(html).toContain('none in this period');
    expect(html.match(/<polyline class="series"/g)?.length).toBeGreaterThanOrEqual(2 * 3);
    expect(html).toContain('the local run history');
  });

  it('--database keeps one database; --bucket reads the bucket and the run logs the runs wrote there', {
    timeout: 60_000,
  }, async () => {
    const shopOnly = path.join(stateDir, 'shop.html');
    const one = await pgproof(['report', '--local', '--state-dir', stateDir, '--database', 'shop', '--out', shopOnly]);
    expect(one.code, one.stderr).toBe(0);
    const html = await readFile(shopOnly, 'utf8');
    expect(html).toContain('<h2>shop</h2>');
    expect(html).not.toContain('<h2>blog</h2>');
    expect(listedRuns(html).sort()).toEqual([...runIds].sort());

    // GIVEN the state dir's data served as a plain S3-compatible bucket
    const s3 = await startEmbeddedS3(stateDir);
    try {
      const fromBucket = path.join(stateDir, 'bucket.html');
      const run = await pgproof([
        'report',
        '--bucket',
        s3.bucket,
        '--s3-endpoint',
        s3.endpoint,
        '--days',
        '7',
        '--out',
        fromBucket,
      ]);
      expect(run.code, run.stderr).toBe(0);
      const page = await readFile(fromBucket, 'utf8');
      expect(listedRuns(page)).toHaveLength(4);
      // Every run wrote its database's run log (WriteReport): the bucket alone now has the history
      expect(page).toContain('the run log in the bucket');
      expect(page).toContain('The last 7 days');
    } finally {
      await s3.stop();
    }
  });

  it('refuses a bad command line with the cause and the fix', async () => {
    const noOut = await pgproof(['report', '--local', '--state-dir', stateDir]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/report needs --out FILE\.html/);
    const badDays = await pgproof(['report', '--local', '--state-dir', stateDir, '--days', '0', '--out', 'x.html']);
    expect(badDays.code).toBe(2);
    expect(badDays.stderr).toMatch(/--days must be a whole number from 1 to 3660, got "0"/);
    const noSource = await pgproof(['report', '--out', 'x.html']);
    expect(noSource.code).toBe(2);
    expect(noSource.stderr).toMatch(/--local or --bucket/);
    const badDir = await pgproof([
      'report',
      '--local',
      '--state-dir',
      stateDir,
      '--out',
      path.join(stateDir, 'no', 'such', 'dir', 'r.html'),
    ]);
    expect(badDir.code).toBe(2);
    expect(badDir.stderr).toMatch(/cannot write the report to .*r\.html: ENOENT/);
  });
});
