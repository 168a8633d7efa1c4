import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  backoffDelayMs,
  isRetryableStatus,
  parseRetryAfterMs,
  worstCaseMs,
} from '../../../lambdas/common/retry-policy';

describe('retry policy', () => {
  it('retries 408, 429 and 5xx only', () => {
    expect([408, 429, 500, 502, 503, 504, 599].every(isRetryableStatus)).toBe(true);
    expect([200, 301, 400, 401, 403, 404, 410, 413].some(isRetryableStatus)).toBe(false);
  });

  it('doubles the backoff per retry, with half of it jittered, up to the maximum', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 1000, maxDelayMs: 3000 };

    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, policy, () => 0))).toEqual([500, 1000, 1500, 1500]);
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, policy, () => 1))).toEqual([1000, 2000, 3000, 3000]);
  });

  it('parses Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-24T03:00:00Z');

    expect(parseRetryAfterMs('1', now)).toBe(1000);
    expect(parseRetryAfterMs(' 2.5 ', now)).toBe(2500);
    expect(parseRetryAfterMs('Tue, 24 Nov 2026 03:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfterMs('Tue, 24 Nov 2026 02:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs(null, now)).toBeUndefined();
  });

  it("bounds the worst case of the default policy to 50 s, inside the functions' 60 s timeout", () => {
    expect(worstCaseMs(DEFAULT_RETRY_POLICY)).toBe(50_000);
  });
});
