import { truncate } from '../common/format';
import type { HttpRequest } from '../common/http-client';
import type { RunResult } from '../common/run-result';
import { longSummary, shortSummary } from './check-in-summary';
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

/** Dump plus restore: the run's working time, which Cronitor charts as the job's duration. */
function totalSeconds(run: RunResult): number | undefined {
  if (!run.backup && !run.verify) return undefined;
  const total = (run.backup?.seconds ?? 0) + (run.verify?.restoreSeconds ?? 0);
  return Math.round(total * 1000) / 1000;
}

function jsonSummary(run: RunResult): Record<string, unknown> {
  return {
    source: 'pgproof',
    status: run.status,
    database: run.database,
    runId: run.runId,
    summary: shortSummary(run),
    ...(run.backup
      ? {
          backup: {
            key: run.backup.key,
            bytes: run.backup.bytes,
            sha256: run.backup.sha256,
            seconds: run.backup.seconds,
          },
        }
      : {}),
    ...(run.verify
      ? {
          verify: {
            restoreSeconds: run.verify.restoreSeconds,
            checksPassed: run.verify.checks.filter((c) => c.passed).length,
            checksTotal: run.verify.checks.length,
          },
        }
      : {}),
  };
}

function truncateBytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  // Cutting mid-character leaves a replacement char at worst; the summary is ASCII in practice.
  return bytes.subarray(0, maxBytes).toString('utf8');
}
