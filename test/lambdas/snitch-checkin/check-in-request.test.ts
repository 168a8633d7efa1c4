import { describe, expect, it } from 'vitest';
import { parseRunResult } from '../../../lambdas/common/run-result';
import { buildCheckInRequest, DMS_MESSAGE_LIMIT } from '../../../lambdas/snitch-checkin/check-in-request';
import { longSummary, shortSummary } from '../../../lambdas/snitch-checkin/check-in-summary';
import { chooseSnitchBody, chooseSnitchKind, detectSnitchKind } from '../../../lambdas/snitch-checkin/snitch-kind';
import { succeededRun, thrown } from '../../helpers/runs';

const run = parseRunResult(succeededRun());

describe('snitch kind', () => {
  it.each([
    ['https://nosnch.in/c2354d53d2', 'deadmanssnitch'],
    ['https://hc-ping.com/5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278', 'healthchecks'],
    ['https://hc-ping.com/fqOOd6-F4MMNuCEnzTU01w/db-backups', 'healthchecks'],
    ['https://cronitor.link/p/abc123key/nightly-backup', 'cronitor'],
    ['https://hc.example.com/ping/5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278', 'generic'],
    ['https://example.com/heartbeat/xyz', 'generic'],
  ])('%s → %s', (url, kind) => {
    expect(detectSnitchKind(url)).toBe(kind);
  });

  it("prefers the secret's kind and body, then the configured ones, and rejects unknown values by origin", async () => {
    expect(chooseSnitchKind('https://nosnch.in/x', 'generic', 'secret "s"', 'cronitor')).toBe('generic');
    expect(chooseSnitchKind('https://nosnch.in/x', undefined, 'secret "s"', 'cronitor')).toBe('cronitor');
    expect(chooseSnitchKind('https://nosnch.in/x', undefined, 'secret "s"', undefined)).toBe('deadmanssnitch');
    expect(chooseSnitchBody(undefined, 'secret "s"', undefined)).toBe('none');
    expect(chooseSnitchBody('json', 'secret "s"', 'text')).toBe('json');

    const error = await thrown(async () => chooseSnitchBody('xml', 'secret "pgproof/snitch"', undefined));
    expect(error.name).toBe('ConfigError');
    expect(error.message).toBe('the "body" in secret "pgproof/snitch" must be one of none, text, json; got "xml"');
  });
});

describe('check-in summary', () => {
  it('is one line with database, size, durations and checks', () => {
    expect(shortSummary(run)).toBe(
      'pgproof app: backup verified, 1.21 GiB, dump 2 min 05 s, restore 1 min 40 s, checks 3/3 passed, run 20261124T030000Z-0123456789',
    );
  });

  it('has a long form with the comparison, key and checksum for services that keep a body', () => {
    const text = longSummary(run);

    expect(text.split('\n')).toEqual([
      'pgproof: backup of app verified',
      'Size: 1.21 GiB (+4.0% vs previous run)',
      'Dump: 2 min 05 s',
      "Restore: 1 min 40 s (−9.1% vs previous run), today's measured recovery time",
      'Checks: 3/3 passed',
      'Run: 20261124T030000Z-0123456789',
      'Backup key: pgproof/app/2026-11-24/20261124T030000Z-0123456789.dump.zst',
      `SHA-256: ${'ab'.repeat(32)}`,
      `Console: ${run.consoleUrl}`,
    ]);
  });
});

describe('buildCheckInRequest', () => {
  it("Dead Man's Snitch: POST form with m (at most 250 characters) and s=0", () => {
    const long = parseRunResult(succeededRun({ database: 'd'.repeat(400) }));

    const request = buildCheckInRequest('deadmanssnitch', 'https://nosnch.in/c2354d53d2', long);

    expect(request.method).toBe('POST');
    expect(request.url).toBe('https://nosnch.in/c2354d53d2');
    expect(request.headers).toEqual({ 'content-type': 'application/x-www-form-urlencoded' });
    const form = new URLSearchParams(request.body);
    expect(form.get('s')).toBe('0');
    expect(form.get('m')).toHaveLength(DMS_MESSAGE_LIMIT);
    expect(form.get('m')).toMatch(/^pgproof d+…$/);
  });

  it('lists the RDS-only extensions verify skipped in the long form', () => {
    const base = succeededRun();
    const text = longSummary(parseRunResult({ ...base, verify: { ...base.verify, skippedExtensions: ['aws_s3'] } }));
    expect(text.split('\n')).toContain('Extensions: not restorable outside RDS: skipped: aws_s3');
  });

  it('Healthchecks.io: POST the long summary as text to the ping URL itself', () => {
    const request = buildCheckInRequest('healthchecks', 'https://hc-ping.com/fqOOd6-F4MMNuCEnzTU01w/db-backups', run);

    expect(request).toEqual({
      method: 'POST',
      url: 'https://hc-ping.com/fqOOd6-F4MMNuCEnzTU01w/db-backups',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: longSummary(run),
    });
  });

  it('Healthchecks.io: a body over 100 kB is cut to 100 kB', () => {
    const huge = parseRunResult(succeededRun({ reason: 'r'.repeat(150_000) }));

    const request = buildCheckInRequest('healthchecks', 'https://hc-ping.com/x', huge);

    expect(Buffer.byteLength(request.body ?? '')).toBe(100_000);
  });

  it("Cronitor: GET with state=complete, message and duration metric, keeping the URL's own parameters", () => {
    const request = buildCheckInRequest(
      'cronitor',
      'https://cronitor.link/p/abc123key/nightly-backup?env=production',
      run,
    );

    const url = new URL(request.url);
    expect(request.method).toBe('GET');
    expect(request.body).toBeUndefined();
    expect(url.pathname).toBe('/p/abc123key/nightly-backup');
    expect(url.searchParams.get('env')).toBe('production');
    expect(url.searchParams.get('state')).toBe('complete');
    expect(url.searchParams.get('message')).toBe(shortSummary(run));
    expect(url.searchParams.get('metric')).toBe('duration:225.4');
  });

  it('generic: GET by default, POST text or JSON when a body is configured', () => {
    const url = 'https://example.com/heartbeat/xyz';

    expect(buildCheckInRequest('generic', url, run)).toEqual({ method: 'GET', url });
    expect(buildCheckInRequest('generic', url, run, 'text')).toMatchObject({ method: 'POST', body: longSummary(run) });
    const json = buildCheckInRequest('generic', url, run, 'json');
    expect(json.headers).toEqual({ 'content-type': 'application/json; charset=utf-8' });
    expect(JSON.parse(json.body ?? '')).toEqual({
      source: 'pgproof',
      status: 'SUCCEEDED',
      database: 'app',
      runId: run.runId,
      summary: shortSummary(run),
      backup: { key: run.backup?.key, bytes: 1_300_000_000, sha256: 'ab'.repeat(32), seconds: 125.4 },
      verify: { restoreSeconds: 100, checksPassed: 3, checksTotal: 3 },
    });
  });
});
