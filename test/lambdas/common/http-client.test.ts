import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpRequestFailed } from '../../../lambdas/common/errors';
import { sendWithRetry, type RetryNotice } from '../../../lambdas/common/http-client';
import { scrubError, urlRedactor } from '../../../lib/common/redact';
import { refusedUrl, startFakeHttpServer, type FakeHttpServer } from '../../helpers/fake-http-server';
import { errorTexts, thrown } from '../../helpers/runs';

const TOKEN = 'S3cr3tT0kenXYZ123456';
/** Fast but real: short timeout and backoff, a Retry-After cap above the 1 s used below. */
const policy = { maxAttempts: 3, timeoutMs: 300, baseDelayMs: 10, maxDelayMs: 40, maxRetryAfterMs: 1_500 };

describe('sendWithRetry against a local HTTP server', () => {
  let server: FakeHttpServer;
  let url: string;
  beforeEach(async () => {
    server = await startFakeHttpServer();
    url = `${server.baseUrl}/services/T0000/B0000/${TOKEN}`;
  });
  afterEach(async () => {
    await server.close();
  });

  it('sends the method, headers and body once on success', async () => {
    // Act
    const result = await sendWithRetry(
      { method: 'POST', url, headers: { 'content-type': 'application/json' }, body: '{"text":"hi"}' },
      { policy },
    );

    // Assess
    expect(result).toEqual({ status: 200, attempts: 1, body: 'ok' });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      url: `/services/T0000/B0000/${TOKEN}`,
      body: '{"text":"hi"}',
    });
    expect(server.requests[0]?.headers['content-type']).toBe('application/json');
  });

  it('retries a 500 and succeeds on the second attempt, telling onRetry', async () => {
    server.script({ status: 500, body: 'oops' }, { status: 204 });
    const notices: RetryNotice[] = [];

    const result = await sendWithRetry({ method: 'POST', url, body: 'x' }, { policy, onRetry: (n) => notices.push(n) });

    expect(result).toMatchObject({ status: 204, attempts: 2 });
    expect(server.requests.map((r) => r.body)).toEqual(['x', 'x']);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ attempt: 1, reason: 'HTTP 500: oops' });
    expect(notices[0]?.delayMs).toBeGreaterThanOrEqual(5);
    expect(notices[0]?.delayMs).toBeLessThanOrEqual(10);
  });

  it("waits as long as a 429's Retry-After says (1 s, real time) before retrying", async () => {
    server.script({ status: 429, headers: { 'retry-after': '1' }, body: 'rate limited' });
    const started = Date.now();

    const result = await sendWithRetry({ method: 'POST', url, body: 'x' }, { policy });

    expect(result).toMatchObject({ status: 200, attempts: 2 });
    const gap = (server.requests[1]?.at ?? 0) - (server.requests[0]?.at ?? 0);
    expect(gap).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(1_400 + 1_000);
  });

  it('uses Retry-After instead of the backoff, via the injected sleep', async () => {
    server.script({ status: 503, headers: { 'retry-after': '1' } }, { status: 429, headers: { 'retry-after': '0' } });
    const waits: number[] = [];

    const result = await sendWithRetry({ method: 'GET', url }, { policy, sleep: async (ms) => void waits.push(ms) });

    expect(result.attempts).toBe(3);
    expect(waits).toEqual([1000, 0]);
  });

  it('gives up at once when Retry-After is longer than the cap, and says so', async () => {
    server.script({ status: 429, headers: { 'retry-after': '120' } });

    const error = await thrown(() => sendWithRetry({ method: 'POST', url, body: 'x' }, { policy }));

    expect(error).toBeInstanceOf(HttpRequestFailed);
    expect(error.message).toBe(
      'HTTP 429; the service asked to retry after 120 s, longer than the 1.5 s this function waits (gave up after 1 attempt)',
    );
    expect(server.requests).toHaveLength(1);
  });

  it('fails with HttpRequestFailed after the bounded retries when every attempt is a 5xx', async () => {
    server.script({ status: 502 }, { status: 503 }, { status: 500, body: 'still down' });

    const error = await thrown(() => sendWithRetry({ method: 'POST', url, body: 'x' }, { policy }));

    expect(error.name).toBe('HttpRequestFailed');
    expect(error.message).toBe('HTTP 500: still down (gave up after 3 attempts)');
    expect((error as HttpRequestFailed).attempts).toBe(3);
    expect((error as HttpRequestFailed).status).toBe(500);
    expect(server.requests).toHaveLength(3);
  });

  it("does not retry a 4xx other than 408/429, and masks the URL's token in an echoed body", async () => {
    server.script({ status: 403, body: `invalid_token for /services/T0000/B0000/${TOKEN}` });

    const error = await thrown(() => sendWithRetry({ method: 'POST', url, body: 'x' }, { policy }));

    expect(error.message).toBe(
      'HTTP 403: invalid_token for /***/T0000/B0000/*** (not retried: this status will not change on a retry)',
    );
    expect(server.requests).toHaveLength(1);
    expect(errorTexts(error)).not.toContain(TOKEN);
  });

  it('times out a server that never answers, retries, and fails with a timeout error', async () => {
    server.script({ hang: true }, { hang: true }, { hang: true });
    const started = Date.now();

    const error = await thrown(() => sendWithRetry({ method: 'POST', url, body: 'x' }, { policy }));

    expect(error.message).toBe('no response within 0.3 s (timeout) (gave up after 3 attempts)');
    expect((error.cause as Error).name).toBe('TimeoutError');
    expect(server.requests).toHaveLength(3);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(3 * 300 - 50);
    expect(elapsed).toBeLessThan(3_000);
    expect(errorTexts(error)).not.toContain(TOKEN);
  });
});

describe('sendWithRetry without a server', () => {
  it('fails quickly with a typed error after bounded retries when the connection is refused', async () => {
    // Prepare
    const url = await refusedUrl(`/p/${TOKEN}/backup`);
    const notices: RetryNotice[] = [];
    const started = Date.now();

    // Act
    const error = await thrown(() =>
      sendWithRetry({ method: 'GET', url }, { policy, onRetry: (n) => notices.push(n) }),
    );

    // Assess
    expect(error.name).toBe('HttpRequestFailed');
    expect(error.message).toBe('connection refused (ECONNREFUSED) (gave up after 3 attempts)');
    expect(notices.map((n) => n.attempt)).toEqual([1, 2]);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(errorTexts(error)).not.toContain(TOKEN);
  });

  it('scrubs a fetch error that quotes the URL, keeping its name and code down the cause chain', async () => {
    const url = `https://hooks.example.com/hook/${TOKEN}?sig=AnotherSecretSig99`;
    const leaky: typeof fetch = async () => {
      const cause = Object.assign(new Error(`getaddrinfo ENOTFOUND for ${url}`), { code: 'ENOTFOUND' });
      throw new TypeError(`fetch failed: ${url}`, { cause });
    };

    const error = await thrown(() =>
      sendWithRetry({ method: 'GET', url }, { policy: { ...policy, maxAttempts: 1 }, fetch: leaky }),
    );

    expect(error.message).toBe('host not found (ENOTFOUND) (gave up after 1 attempt)');
    const cause = error.cause as Error & { cause: Error & { code: string } };
    expect(cause.name).toBe('TypeError');
    expect(cause.message).toBe('fetch failed: ***');
    expect(cause.cause.code).toBe('ENOTFOUND');
    expect(errorTexts(error)).not.toContain(TOKEN);
    expect(errorTexts(error)).not.toContain('AnotherSecretSig99');
  });
});

describe('urlRedactor and scrubError', () => {
  it('masks the URL, its long path segments and query values, encoded or not', () => {
    const redact = urlRedactor(
      `https://chat.googleapis.com/v1/spaces/AAAAspace/messages?key=KEYkeyKEY123&token=${TOKEN}%3D`,
    );

    expect(redact(`token=${TOKEN}= key KEYkeyKEY123 space AAAAspace v1`)).toBe('token=*** key *** space *** v1');
  });

  it('copies errors that are not Errors', () => {
    const copy = scrubError('plain text with secret-value-123', (t) => t.replace('secret-value-123', '***'));

    expect(copy).toBeInstanceOf(Error);
    expect(copy.message).toBe('plain text with ***');
  });
});
