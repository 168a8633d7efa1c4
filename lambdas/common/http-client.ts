import { HttpRequestFailed } from './errors';
import { scrubError, urlRedactor } from '../../lib/common/redact';
import {
  DEFAULT_RETRY_POLICY,
  backoffDelayMs,
  isRetryableStatus,
  parseRetryAfterMs,
  type RetryPolicy,
} from './retry-policy';

/** One request to a webhook or check-in URL. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  /** Secret: never logged, never in an error (only masked text derived from it). */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** What came back from the successful attempt. */
export interface HttpResult {
  readonly status: number;
  readonly attempts: number;
  /** The start of the response body, with every secret part of the URL masked. */
  readonly body: string;
}

/** One retry about to happen; for logging. Holds no URL. */
export interface RetryNotice {
  readonly attempt: number;
  readonly reason: string;
  readonly delayMs: number;
}

/** Everything the client depends on, injectable so tests run against a local server in milliseconds. */
export interface HttpDeps {
  /** @default - Node's global fetch */
  readonly fetch?: typeof globalThis.fetch;
  /** @default - a timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default - Math.random (the backoff jitter) */
  readonly random?: () => number;
  /** @default - DEFAULT_RETRY_POLICY */
  readonly policy?: Partial<RetryPolicy>;
  /** Told before each retry. @default - nothing */
  readonly onRetry?: (notice: RetryNotice) => void;
}

/** Response text kept for messages: enough for "invalid_token" or Discord's JSON error, not a whole page. */
const BODY_LIMIT = 300;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type Outcome =
  | { kind: 'response'; status: number; body: string; retryAfterMs: number | undefined }
  | { kind: 'error'; error: Error; reason: string };

/**
 * Sends `request` with a per-attempt timeout, retrying network errors, timeouts, 408, 429 and 5xx with
 * exponential backoff and honouring `Retry-After` up to a cap. Resolves on 2xx; otherwise throws
 * `HttpRequestFailed` whose message and cause have the URL and its tokens masked.
 */
export async function sendWithRetry(request: HttpRequest, deps: HttpDeps = {}): Promise<HttpResult> {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...deps.policy };
  const fetchFn = deps.fetch ?? globalThis.fetch;
  const wait = deps.sleep ?? sleep;
  const redact = urlRedactor(request.url);

  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptOnce(fetchFn, request, policy.timeoutMs, redact);
    if (outcome.kind === 'response' && outcome.status >= 200 && outcome.status < 300) {
      return { status: outcome.status, attempts: attempt, body: outcome.body };
    }
    const status = outcome.kind === 'response' ? outcome.status : undefined;
    const reason = outcome.kind === 'response' ? describeStatus(outcome.status, outcome.body) : outcome.reason;
    const cause = outcome.kind === 'error' ? outcome.error : undefined;

    if (outcome.kind === 'response' && !isRetryableStatus(outcome.status)) {
      throw new HttpRequestFailed(`${reason} (not retried: this status will not change on a retry)`, {
        attempts: attempt,
        status,
        cause,
      });
    }
    if (attempt >= policy.maxAttempts) {
      throw new HttpRequestFailed(`${reason} (gave up after ${attempt} attempt${attempt === 1 ? '' : 's'})`, {
        attempts: attempt,
        status,
        cause,
      });
    }
    const retryAfterMs = outcome.kind === 'response' ? outcome.retryAfterMs : undefined;
    if (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs) {
      throw new HttpRequestFailed(
        `${reason}; the service asked to retry after ${Math.ceil(retryAfterMs / 1000)} s, longer than the ${policy.maxRetryAfterMs / 1000} s this function waits (gave up after ${attempt} attempt${attempt === 1 ? '' : 's'})`,
        { attempts: attempt, status, cause },
      );
    }
    const delayMs = retryAfterMs ?? backoffDelayMs(attempt, policy, deps.random);
    deps.onRetry?.({ attempt, reason, delayMs });
    await wait(delayMs);
  }
}

async function attemptOnce(
  fetchFn: typeof globalThis.fetch,
  request: HttpRequest,
  timeoutMs: number,
  redact: (text: string) => string,
): Promise<Outcome> {
  try {
    // One signal for headers and body: a server that stalls mid-body is a timeout too.
    const response = await fetchFn(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    return {
      kind: 'response',
      status: response.status,
      // Redact before cutting: a cut could leave half a token that no longer matches.
      body: redact(text).slice(0, BODY_LIMIT),
      retryAfterMs: parseRetryAfterMs(response.headers.get('retry-after')),
    };
  } catch (error) {
    return { kind: 'error', error: scrubError(error, redact), reason: describeNetworkError(error, timeoutMs) };
  }
}

function describeStatus(status: number, body: string): string {
  const text = body.replace(/\s+/g, ' ').trim();
  return `HTTP ${status}${text ? `: ${text}` : ''}`;
}

const networkCodes: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
};

/** A short, URL-free description: only error names and codes are used, never the raw message. */
function describeNetworkError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no response within ${timeoutMs / 1000} s (timeout)`;
  }
  const code = findCode(error);
  if (code) return `${networkCodes[code] ?? 'network error'} (${code})`;
  return `network error (${error instanceof Error ? error.name : 'unknown'})`;
}

function findCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code) return code;
  }
  return undefined;
}
