/** How an HTTP call is retried. Every number is a bound: attempts, per-attempt timeout, waits. */
export interface RetryPolicy {
  /** Requests sent at most, the first included. */
  readonly maxAttempts: number;
  /** Each request (headers and body) is aborted after this long. */
  readonly timeoutMs: number;
  /** The first backoff; it doubles for each retry. */
  readonly baseDelayMs: number;
  /** Backoff never waits longer than this. */
  readonly maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the call fails at once and says so. */
  readonly maxRetryAfterMs: number;
}

/**
 * 4 attempts, 5 s each, backoff about 1 s, 2 s, 4 s, Retry-After honoured up to 10 s. Worst case 50 s, which
 * fits the functions' 60 s timeout with room for a cold start and the secret read (see `worstCaseMs`).
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  timeoutMs: 5_000,
  baseDelayMs: 1_000,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 10_000,
};

/** 408 and 429 are "try again later"; 5xx are the service's own trouble. Other 4xx will not get better. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/**
 * Exponential backoff with equal jitter for the n-th retry (1-based): half the delay fixed, half random, so
 * several functions failing together do not retry in lockstep, yet each waits at least half the step.
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

/** Parses `Retry-After` (delay seconds or an HTTP date) into milliseconds; undefined when absent or garbled. */
export function parseRetryAfterMs(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** The longest a call can take under `policy`: what the Lambda function's timeout must exceed. */
export function worstCaseMs(policy: RetryPolicy): number {
  const waits = Math.max(0, policy.maxAttempts - 1) * Math.max(policy.maxDelayMs, policy.maxRetryAfterMs);
  return policy.maxAttempts * policy.timeoutMs + waits;
}
