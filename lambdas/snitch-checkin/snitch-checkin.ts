import { CheckInRefused, HttpRequestFailed, SnitchCheckInFailed } from '../common/errors';
import { sendWithRetry, type HttpDeps } from '../common/http-client';
import type { LambdaLogger } from '../common/logger';
import { countOutcomes, runLogContext } from '../common/run-outcomes';
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

/** How many failed databases a refusal names. */
const MAX_NAMED_FAILURES = 5;

/**
 * Pure: why the run must not be checked in, or undefined when it may: its status is SUCCEEDED and, when it carries
 * outcomes, there is at least one and every one is SUCCEEDED. The state machine routes only such runs here; this is
 * the second guard, since a check-in after a failure would silence the very alarm the switch exists for.
 */
export function checkInRefusal(run: RunResult): string | undefined {
  const refuse = (why: string) =>
    `refusing to check in for ${run.database} (run ${run.runId}): ${why}, and the dead-man's switch must only hear about fully successful runs so that it alerts on failures`;
  if (run.outcomes) {
    const { total, failed } = countOutcomes(run.outcomes);
    if (total === 0) return refuse('it proved no database');
    if (failed > 0) {
      const ids = run.outcomes.filter((o) => o.status !== 'SUCCEEDED').map((o) => o.database);
      const named = `${ids.slice(0, MAX_NAMED_FAILURES).join(', ')}${ids.length > MAX_NAMED_FAILURES ? ', …' : ''}`;
      return refuse(`${failed} of ${total} databases failed (${named})`);
    }
  }
  if (run.status !== 'SUCCEEDED') return refuse(`its status is ${run.status}`);
  return undefined;
}

/**
 * Checks in with the dead-man's switch for a successful run. Refuses any other (`CheckInRefused`, see
 * `checkInRefusal`) before any request. Throws `SnitchCheckInFailed` when the service cannot be reached after the
 * bounded retries.
 */
export async function snitchCheckIn(run: RunResult, deps: SnitchCheckInDeps): Promise<SnitchCheckInOutput> {
  const refusal = checkInRefusal(run);
  if (refusal) throw new CheckInRefused(refusal);
  const summary = shortSummary(run);
  const context = runLogContext(run);
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
        `checking in with the ${kind} dead-man's switch for ${run.database} (${describeRun(run)}) failed: ${error.message}`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** `run <id>`, and for several databases how many verified: `run <id>: 3 databases verified`. */
function describeRun(run: RunResult): string {
  if (!run.outcomes || run.outcomes.length === 1) return `run ${run.runId}`;
  return `run ${run.runId}: ${run.outcomes.length} databases verified`;
}
