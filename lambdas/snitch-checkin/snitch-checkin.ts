import { CheckInRefused, HttpRequestFailed, SnitchCheckInFailed } from '../common/errors';
import { sendWithRetry, type HttpDeps } from '../common/http-client';
import type { LambdaLogger } from '../common/logger';
import type { RunResult } from '../common/run-result';
import { buildCheckInRequest } from './check-in-request';
import { shortSummary } from './check-in-summary';
import type { SnitchBody, SnitchKind } from './snitch-kind';

/** Where to check in. `url` is secret. */
export interface SnitchTarget {
  readonly url: string;
  readonly kind: SnitchKind;
  /** For the generic kind. @default 'none' */
  readonly body?: SnitchBody;
}

export interface SnitchCheckInDeps {
  /** @default - no check-in (not configured); the summary is returned */
  readonly target?: SnitchTarget;
  readonly logger: LambdaLogger;
  readonly http?: HttpDeps;
}

/** What the function returns: what was sent, never where. */
export interface SnitchCheckInOutput {
  /** False when no snitch URL is configured. */
  readonly checkedIn: boolean;
  readonly kind?: SnitchKind;
  readonly method?: 'GET' | 'POST';
  /** The one-line summary sent (or that would have been). */
  readonly summary: string;
  readonly httpStatus?: number;
  readonly attempts?: number;
}

/**
 * Checks in with the dead-man's switch for a successful run. Refuses any other status (`CheckInRefused`):
 * a check-in after a failure would silence the very alarm the switch exists for. Throws
 * `SnitchCheckInFailed` when the service cannot be reached after the bounded retries.
 */
export async function snitchCheckIn(run: RunResult, deps: SnitchCheckInDeps): Promise<SnitchCheckInOutput> {
  if (run.status !== 'SUCCEEDED') {
    throw new CheckInRefused(
      `refusing to check in for ${run.database} (run ${run.runId}): its status is ${run.status}, and the dead-man's switch must only hear about fully successful runs so that it alerts on failures`,
    );
  }
  const summary = shortSummary(run);
  const context = { database: run.database, runId: run.runId };
  if (!deps.target) {
    deps.logger.warn('no snitch URL configured: not checking in', context);
    return { checkedIn: false, summary };
  }
  const { kind } = deps.target;
  const request = buildCheckInRequest(kind, deps.target.url, run, deps.target.body);
  try {
    const result = await sendWithRetry(request, {
      ...deps.http,
      onRetry: (notice) => {
        deps.logger.warn('snitch check-in failed, retrying', { ...context, kind, ...notice });
        deps.http?.onRetry?.(notice);
      },
    });
    deps.logger.info("checked in with the dead-man's switch", {
      ...context,
      kind,
      httpStatus: result.status,
      attempts: result.attempts,
    });
    return {
      checkedIn: true,
      kind,
      method: request.method,
      summary,
      httpStatus: result.status,
      attempts: result.attempts,
    };
  } catch (error) {
    if (error instanceof HttpRequestFailed) {
      throw new SnitchCheckInFailed(
        `checking in with the ${kind} dead-man's switch for ${run.database} (run ${run.runId}) failed: ${error.message}`,
        { cause: error },
      );
    }
    throw error;
  }
}
