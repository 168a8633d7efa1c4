import { ChatPostFailed, HttpRequestFailed } from '../common/errors';
import { sendWithRetry, type HttpDeps } from '../common/http-client';
import type { LambdaLogger } from '../common/logger';
import { countOutcomes, runLogContext } from '../common/run-outcomes';
import type { RunResult } from '../common/run-result';
import type { ChatKind } from './chat-kind';
import { buildChatMessage } from './chat-message';
import { buildChatPayload } from './chat-payload';

/** Where to post. `url` is secret. */
export interface ChatTarget {
  readonly url: string;
  readonly kind: ChatKind;
}

export interface NotifyChatDeps {
  /** @default - nothing is posted; the message is only returned (local runs print it) */
  readonly target?: ChatTarget;
  readonly logger: LambdaLogger;
  /** fetch, sleep, retry policy: injectable for tests and the local runner. */
  readonly http?: HttpDeps;
  /** The report's S3 console URL (one database's deployment). @default - no link */
  readonly reportUrl?: string;
}

/** What the function returns: what was (or would have been) posted, never where. */
export interface NotifyChatOutput {
  /** False when no webhook is configured: the message is only returned. */
  readonly posted: boolean;
  readonly kind?: ChatKind;
  /** The message as plain text. */
  readonly text: string;
  /** The JSON body that was posted. */
  readonly payload?: Record<string, unknown>;
  /** The webhook's HTTP status. */
  readonly httpStatus?: number;
  /** Requests sent (1 unless retried). */
  readonly attempts?: number;
}

/**
 * Builds the run's chat message and posts it to the target, retrying within bounds. Throws `ChatPostFailed`
 * (the HTTP failure kept as `cause`) when it cannot be delivered, so the state machine sees it.
 */
export async function notifyChat(run: RunResult, deps: NotifyChatDeps): Promise<NotifyChatOutput> {
  const message = buildChatMessage(run, deps.reportUrl ? { reportUrl: deps.reportUrl } : {});
  const context = runLogContext(run);
  if (!deps.target) {
    deps.logger.info('no chat webhook configured: returning the message without posting', context);
    return { posted: false, text: message.text };
  }
  const { kind } = deps.target;
  const payload = buildChatPayload(kind, message, run);
  try {
    const result = await sendWithRetry(
      {
        method: 'POST',
        url: deps.target.url,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(payload),
      },
      {
        ...deps.http,
        onRetry: (notice) => {
          deps.logger.warn('chat post failed, retrying', { ...context, kind, ...notice });
          deps.http?.onRetry?.(notice);
        },
      },
    );
    deps.logger.info('chat message posted', { ...context, kind, httpStatus: result.status, attempts: result.attempts });
    return { posted: true, kind, text: message.text, payload, httpStatus: result.status, attempts: result.attempts };
  } catch (error) {
    if (error instanceof HttpRequestFailed) {
      throw new ChatPostFailed(
        `posting the ${message.succeeded ? 'success' : 'failure'} message for ${run.database} (${describeRun(run)}) to the ${kind} webhook failed: ${error.message}`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** `run <id>`, and for several databases how they ended: `run <id>: 2 of 200 databases failed, 198 verified`. */
function describeRun(run: RunResult): string {
  if (!run.outcomes || run.outcomes.length === 1) return `run ${run.runId}`;
  const { total, verified, failed } = countOutcomes(run.outcomes);
  return `run ${run.runId}: ${failed} of ${total} databases failed, ${verified} verified`;
}
