import { truncate } from '../common/format';
import type { HttpRequest } from '../common/http-client';
import { asSingleRun, type SingleRun } from '../common/run-outcomes';
import type { RunResult } from '../common/run-result';
import { fleetTotals, longSummary, shortSummary } from './check-in-summary';
import type { SnitchBody, SnitchKind } from './snitch-kind';

/** Dead Man's Snitch keeps about 250 characters of `m`. */
export const DMS_MESSAGE_LIMIT = 250;
/** Healthchecks.io keeps up to 100 kB of a ping's body (the hosted service's default). */
export const HEALTHCHECKS_BODY_LIMIT = 100_000;
/** Cronitor keeps up to 2000 characters of `message`. */
export const CRONITOR_MESSAGE_LIMIT = 2_000;

/**
 * Pure: the check-in request for a successful run, in the form each service keeps:
 * - Dead Man's Snitch: POST form `m=<summary>&s=0` (exit status 0 = success);
 * - Healthchecks.io: POST the multi-line summary as text to the ping URL itself (a success ping);
 * - Cronitor telemetry: GET with `state=complete`, `message=` and `metric=duration:<seconds>`;
 * - generic: GET, or POST the summary as text or JSON when a body is configured.
 * A run of one database (no outcomes, or one) gets the same request either way; a run of several reports sums over
 * its databases (`fleetTotals`): sizes, dump and restore seconds, checks.
 */
export function buildCheckInRequest(
  kind: SnitchKind,
  url: string,
  run: RunResult,
  body: SnitchBody = 'none',
): HttpRequest {
  switch (kind) {
    case 'deadmanssnitch': {
      const form = new URLSearchParams({ m: truncate(shortSummary(run), DMS_MESSAGE_LIMIT), s: '0' });
      return {
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      };
    }
    case 'healthchecks':
      return {
        method: 'POST',
        url,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: truncateBytes(longSummary(run), HEALTHCHECKS_BODY_LIMIT),
      };
    case 'cronitor': {
      const target = new URL(url);
      target.searchParams.set('state', 'complete');
      target.searchParams.set('message', truncate(shortSummary(run), CRONITOR_MESSAGE_LIMIT));
      const seconds = totalSeconds(run);
      if (seconds !== undefined) target.searchParams.set('metric', `duration:${seconds}`);
      return { method: 'GET', url: target.toString() };
    }
    case 'generic':
      if (body === 'text')
        return {
          method: 'POST',
          url,
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: longSummary(run),
        };
      if (body === 'json')
        return {
          method: 'POST',
          url,
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify(jsonSummary(run)),
        };
      return { method: 'GET', url };
  }
}

/**
 * Dump plus restore: the run's working time, which Cronitor charts as the job's duration. A fleet's is the sum over
 * its databases (their work, not the wall time: they run in parallel).
 */
function totalSeconds(run: RunResult): number | undefined {
  const single = asSingleRun(run);
  let total: number;
  if (single) {
    if (!single.backup && !single.verify) return undefined;
    total = (single.backup?.seconds ?? 0) + (single.verify?.restoreSeconds ?? 0);
  } else {
    const totals = fleetTotals(run.outcomes ?? []);
    total = totals.dumpSeconds + totals.restoreSeconds;
  }
  return Math.round(total * 1000) / 1000;
}

function jsonSummary(run: RunResult): Record<string, unknown> {
  const single = asSingleRun(run);
  const head = {
    source: 'pgproof',
    status: run.status,
    database: run.database,
    runId: run.runId,
    summary: shortSummary(run),
  };
  return single ? { ...head, ...singleFigures(single) } : { ...head, ...fleetFigures(run) };
}

function singleFigures(run: SingleRun): Record<string, unknown> {
  const checks = run.verify?.checks;
  return {
    ...(run.backup
      ? {
          backup: {
            key: run.backup.key,
            bytes: run.backup.bytes,
            ...(run.backup.sha256 ? { sha256: run.backup.sha256 } : {}),
            seconds: run.backup.seconds,
          },
        }
      : {}),
    ...(run.verify && checks !== undefined
      ? {
          verify: {
            restoreSeconds: run.verify.restoreSeconds,
            // An outcome's count is of checks passed, all of its checks for a verified database.
            checksPassed: typeof checks === 'number' ? checks : checks.filter((c) => c.passed).length,
            checksTotal: typeof checks === 'number' ? checks : checks.length,
          },
        }
      : {}),
  };
}

/** The sums (`fleetTotals`) where a single run has its figures, and each database's own under `databases`. */
function fleetFigures(run: RunResult): Record<string, unknown> {
  const outcomes = run.outcomes ?? [];
  const totals = fleetTotals(outcomes);
  return {
    backup: { bytes: totals.bytes, seconds: totals.dumpSeconds },
    verify: { restoreSeconds: totals.restoreSeconds, checksPassed: totals.checks, checksTotal: totals.checks },
    databases: outcomes.map((o) => ({
      database: o.database,
      status: o.status,
      isNew: o.isNew === true,
      ...(o.backup ? { backup: { key: o.backup.key, bytes: o.backup.bytes, seconds: o.backup.seconds } } : {}),
      ...(o.verify ? { verify: { restoreSeconds: o.verify.restoreSeconds, checksPassed: o.verify.checks } } : {}),
    })),
  };
}

function truncateBytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  // Cutting mid-character leaves a replacement char at worst; the summary is ASCII in practice.
  return bytes.subarray(0, maxBytes).toString('utf8');
}
