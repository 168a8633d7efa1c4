import { describe, expect, it } from 'vitest';
import { parseRunResult, type RunResultInput } from '../../../lambdas/common/run-result';
import { buildCheckInRequest } from '../../../lambdas/snitch-checkin/check-in-request';
import { fleetTotals, longSummary, shortSummary } from '../../../lambdas/snitch-checkin/check-in-summary';
import type { SnitchBody, SnitchKind } from '../../../lambdas/snitch-checkin/snitch-kind';
import { fleetRun, verifiedOutcome, withOneOutcome } from '../../helpers/outcome-runs';
import { succeededRun } from '../../helpers/runs';

const requests: [SnitchKind, SnitchBody, string][] = [
  ['deadmanssnitch', 'none', 'https://nosnch.in/c2354d53d2'],
  ['healthchecks', 'none', 'https://hc-ping.com/fqOOd6-F4MMNuCEnzTU01w/db-backups'],
  ['cronitor', 'none', 'https://cronitor.link/p/abc123key/nightly-backup?env=production'],
  ['generic', 'none', 'https://example.com/heartbeat/xyz'],
  ['generic', 'text', 'https://example.com/heartbeat/xyz'],
  ['generic', 'json', 'https://example.com/heartbeat/xyz'],
];

describe('check-in of a run with one outcome', () => {
  const legacy: RunResultInput[] = [
    succeededRun({ reason: 'before the migration' }),
    succeededRun({
      verify: { restoreSeconds: 3, checks: [{ name: 'a', passed: true }], skippedExtensions: ['aws_s3'] },
    }),
  ];

  it.each(requests)('%s (body %s): exactly the request of the run without outcomes', (kind, body, url) => {
    for (const run of legacy) {
      const before = parseRunResult(run);
      const after = parseRunResult(withOneOutcome(run));
      expect(after.outcomes).toHaveLength(1);

      expect(buildCheckInRequest(kind, url, after, body)).toEqual(buildCheckInRequest(kind, url, before, body));
    }
  });

  it("leaves out the checksum an outcome's backup does not carry, rather than inventing one", () => {
    const state = withOneOutcome(succeededRun()) as { outcomes: { backup: Record<string, unknown> }[] };
    delete state.outcomes[0]?.backup.sha256;
    const run = parseRunResult(state);

    expect(longSummary(run)).not.toContain('SHA-256');
    expect(longSummary(run)).toContain('Backup key: pgproof/app/2026-11-24/20261124T030000Z-0123456789.dump.zst');
    const json = JSON.parse(buildCheckInRequest('generic', 'https://example.com/x', run, 'json').body ?? '');
    expect(json.backup).toEqual({ key: run.outcomes?.[0]?.backup?.key, bytes: 1_300_000_000, seconds: 125.4 });
    expect(json.verify).toEqual({ restoreSeconds: 100, checksPassed: 3, checksTotal: 3 });
  });
});

describe('check-in of a run of several databases', () => {
  const run = parseRunResult(
    fleetRun(
      [
        verifiedOutcome('orders', {
          backup: { key: 'k/orders', bytes: 1024 ** 3, seconds: 100.5, previousBytes: 1000 * 1024 ** 2 },
          verify: { restoreSeconds: 80, checks: 7 },
        }),
        verifiedOutcome('billing', { isNew: true }),
        verifiedOutcome('audit', { verify: { restoreSeconds: 20.25, checks: 3 } }),
      ],
      { reason: 'after the upgrade' },
    ),
  );

  it('sums sizes, durations and checks over the databases', () => {
    expect(fleetTotals(run.outcomes ?? [])).toEqual({
      databases: 3,
      bytes: 1024 ** 3 + 2 * 100 * 1024 ** 2,
      dumpSeconds: 120.5,
      restoreSeconds: 120.25,
      checks: 17,
      newDatabases: ['billing'],
    });
  });

  it('one line with the label, the count and the sums', () => {
    expect(shortSummary(run)).toBe(
      'pgproof prod: 3 databases verified, 1.20 GiB, dump 2 min 01 s, restore 2 min 00 s, checks 17/17 passed, run 20261124T030000Z-0123456789',
    );
  });

  it('a long form with the sums, the new databases, and one line per database', () => {
    expect(longSummary(run).split('\n')).toEqual([
      'pgproof: 3 databases of prod verified',
      'Size: 1.20 GiB in total',
      'Dump: 2 min 01 s in total',
      "Restore: 2 min 00 s in total, the sum of today's measured recovery times",
      'Checks: 17/17 passed',
      'New: billing',
      'Run: 20261124T030000Z-0123456789',
      'Databases:',
      '  orders: 1.00 GiB (+2.4% vs previous run), dump 1 min 41 s, restore 1 min 20 s, checks 7/7 passed',
      '  billing (new): 100 MiB, dump 10 s, restore 20 s, checks 7/7 passed',
      '  audit: 100 MiB, dump 10 s, restore 20 s, checks 3/3 passed',
      'Reason: after the upgrade',
      `Console: ${run.consoleUrl}`,
    ]);
  });

  it('Cronitor: the summed dump and restore seconds as the duration metric', () => {
    const request = buildCheckInRequest('cronitor', 'https://cronitor.link/p/k/m', run);

    const url = new URL(request.url);
    expect(url.searchParams.get('metric')).toBe('duration:240.75');
    expect(url.searchParams.get('message')).toBe(shortSummary(run));
  });

  it("Dead Man's Snitch: the short summary; generic JSON: the sums and each database's figures", () => {
    const dms = buildCheckInRequest('deadmanssnitch', 'https://nosnch.in/x', run);
    const json = buildCheckInRequest('generic', 'https://example.com/x', run, 'json');

    expect(new URLSearchParams(dms.body).get('m')).toBe(shortSummary(run));
    expect(JSON.parse(json.body ?? '')).toEqual({
      source: 'pgproof',
      status: 'SUCCEEDED',
      database: 'prod',
      runId: run.runId,
      summary: shortSummary(run),
      backup: { bytes: 1024 ** 3 + 2 * 100 * 1024 ** 2, seconds: 120.5 },
      verify: { restoreSeconds: 120.25, checksPassed: 17, checksTotal: 17 },
      databases: [
        {
          database: 'orders',
          status: 'SUCCEEDED',
          isNew: false,
          backup: { key: 'k/orders', bytes: 1024 ** 3, seconds: 100.5 },
          verify: { restoreSeconds: 80, checksPassed: 7 },
        },
        {
          database: 'billing',
          status: 'SUCCEEDED',
          isNew: true,
          backup: { key: 'pgproof/billing/2026-11-24/r.dump.zst', bytes: 100 * 1024 ** 2, seconds: 10 },
          verify: { restoreSeconds: 20, checksPassed: 7 },
        },
        {
          database: 'audit',
          status: 'SUCCEEDED',
          isNew: false,
          backup: { key: 'pgproof/audit/2026-11-24/r.dump.zst', bytes: 100 * 1024 ** 2, seconds: 10 },
          verify: { restoreSeconds: 20.25, checksPassed: 3 },
        },
      ],
    });
  });
});
