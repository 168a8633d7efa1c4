import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseRunResult } from '../../../lambdas/common/run-result';
import { longSummary, shortSummary } from '../../../lambdas/snitch-checkin/check-in-summary';
import { createSnitchCheckInHandler } from '../../../lambdas/snitch-checkin/handler';
import { captureOutput } from '../../helpers/capture-output';
import { refusedUrl, startFakeHttpServer, type FakeHttpServer } from '../../helpers/fake-http-server';
import { errorTexts, failedRun, succeededRun, thrown } from '../../helpers/runs';

const TOKEN = 'c2354d53d2SnitchToken77';
const SECRET_NAME = 'pgproof/app/snitch-url';
const http = { policy: { maxAttempts: 3, timeoutMs: 300, baseDelayMs: 10, maxDelayMs: 40, maxRetryAfterMs: 1_500 } };
const secretsManager = mockClient(SecretsManagerClient);
const run = parseRunResult(succeededRun());

describe('snitch-checkin handler', () => {
  let server: FakeHttpServer;
  let url: string;
  let logs: ReturnType<typeof captureOutput>;
  beforeEach(async () => {
    secretsManager.reset();
    server = await startFakeHttpServer();
    url = `${server.baseUrl}/${TOKEN}`;
    logs = captureOutput();
  });
  afterEach(async () => {
    logs.restore();
    vi.unstubAllEnvs();
    await server.close();
  });
  afterAll(() => {
    secretsManager.restore();
  });

  function expectNoToken(...texts: string[]): void {
    for (const text of [...texts, logs.text()]) expect(text).not.toContain(TOKEN);
  }

  it("Dead Man's Snitch: POSTs m= and s=0 as a form", async () => {
    server.script({ status: 202, body: 'Got it, thanks!' });
    const handle = createSnitchCheckInHandler({ env: { SNITCH_URL: url, SNITCH_KIND: 'deadmanssnitch' }, http });

    const output = await handle(succeededRun());

    const request = server.requests[0];
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe(`/${TOKEN}`);
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(request?.body))).toEqual({ m: shortSummary(run), s: '0' });
    expect(output).toEqual({
      checkedIn: true,
      kind: 'deadmanssnitch',
      method: 'POST',
      summary: shortSummary(run),
      httpStatus: 202,
      attempts: 1,
    });
    expectNoToken(JSON.stringify(output));
  });

  it('Healthchecks.io: POSTs the long summary as the ping body', async () => {
    const handle = createSnitchCheckInHandler({
      env: { SNITCH_URL: `${url}/db-backups`, SNITCH_KIND: 'healthchecks' },
      http,
    });

    await handle(succeededRun());

    expect(server.requests[0]).toMatchObject({ method: 'POST', url: `/${TOKEN}/db-backups`, body: longSummary(run) });
  });

  it('Cronitor: GETs with state, message and duration metric', async () => {
    const handle = createSnitchCheckInHandler({
      env: { SNITCH_URL: `${server.baseUrl}/p/${TOKEN}/nightly`, SNITCH_KIND: 'cronitor' },
      http,
    });

    const output = await handle(succeededRun());

    const received = new URL(server.requests[0]?.url ?? '', server.baseUrl);
    expect(server.requests[0]?.method).toBe('GET');
    expect(received.pathname).toBe(`/p/${TOKEN}/nightly`);
    expect(Object.fromEntries(received.searchParams)).toEqual({
      state: 'complete',
      message: shortSummary(run),
      metric: 'duration:225.4',
    });
    expect(output.method).toBe('GET');
  });

  it('generic: a GET by default', async () => {
    const handle = createSnitchCheckInHandler({ env: { SNITCH_URL: url }, http });

    const output = await handle(succeededRun());

    expect(server.requests[0]).toMatchObject({ method: 'GET', url: `/${TOKEN}`, body: '' });
    expect(output.kind).toBe('generic');
  });

  it('generic: POSTs JSON when the secret says body "json" (read through the Lambda entry point)', async () => {
    vi.stubEnv('SNITCH_URL_SECRET_NAME', SECRET_NAME);
    vi.stubEnv('SNITCH_URL', '');
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    secretsManager
      .on(GetSecretValueCommand, { SecretId: SECRET_NAME })
      .resolves({ SecretString: JSON.stringify({ url, kind: 'generic', body: 'json' }) });
    vi.resetModules();
    const { handler } = await import('../../../lambdas/snitch-checkin/handler');

    await handler(succeededRun());
    await handler(succeededRun());

    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(server.requests[0]?.body ?? '')).toMatchObject({
      source: 'pgproof',
      status: 'SUCCEEDED',
      database: 'app',
      summary: shortSummary(run),
    });
  });

  it('refuses a failed run with CheckInRefused, before reading the secret or sending anything', async () => {
    const secrets = { getSecretString: vi.fn(async () => url) };
    const handle = createSnitchCheckInHandler({ env: { SNITCH_URL_SECRET_NAME: SECRET_NAME }, secrets, http });

    const error = await thrown(() => handle(failedRun()));

    expect(error.name).toBe('CheckInRefused');
    expect(error.message).toBe(
      "refusing to check in for app (run 20261124T030000Z-fedcba9876): its status is FAILED, and the dead-man's switch must only hear about fully successful runs so that it alerts on failures",
    );
    expect(secrets.getSecretString).not.toHaveBeenCalled();
    expect(server.requests).toHaveLength(0);
  });

  it('fails with MissingConfiguration naming the variable when no snitch URL is configured (the default)', async () => {
    const handle = createSnitchCheckInHandler({ env: {}, http });

    const error = await thrown(() => handle(succeededRun()));

    expect(error).toMatchObject({ name: 'MissingConfiguration', variable: 'SNITCH_URL_SECRET_NAME' });
    expect(error.message).toBe(
      'SNITCH_URL_SECRET_NAME is not set, so the function does not know which Secrets Manager secret holds the snitch check-in URL: redeploy the pgproof stack (it sets SNITCH_URL_SECRET_NAME), or set SNITCH_URL to the snitch check-in URL itself',
    );
    expect(server.requests).toHaveLength(0);
  });

  it('the Lambda entry point fails with MissingConfiguration when its secret setting is missing', async () => {
    vi.stubEnv('SNITCH_URL_SECRET_NAME', '');
    vi.stubEnv('SNITCH_URL', '');
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.resetModules();
    const { handler } = await import('../../../lambdas/snitch-checkin/handler');

    const error = await thrown(() => handler(succeededRun()));

    expect(error).toMatchObject({ name: 'MissingConfiguration', variable: 'SNITCH_URL_SECRET_NAME' });
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(server.requests).toHaveLength(0);
  });

  it('does not check in, and says so, when no snitch URL is configured and asked to skip (local runs)', async () => {
    const handle = createSnitchCheckInHandler({ env: {}, http, whenUnconfigured: 'skip' });

    const output = await handle(succeededRun());

    expect(output).toEqual({ checkedIn: false, summary: shortSummary(run) });
    expect(logs.lines().find((l) => l.message === 'no snitch URL configured: not checking in')).toMatchObject({
      level: 'WARN',
    });
  });

  it('retries a 503 and a 429 with Retry-After, then checks in', async () => {
    server.script({ status: 503 }, { status: 429, headers: { 'retry-after': '0' } });
    const handle = createSnitchCheckInHandler({ env: { SNITCH_URL: url, SNITCH_KIND: 'healthchecks' }, http });

    const output = await handle(succeededRun());

    expect(output).toMatchObject({ checkedIn: true, attempts: 3, httpStatus: 200 });
    expect(
      logs
        .lines()
        .filter((l) => l.message === 'snitch check-in failed, retrying')
        .map((l) => l.reason),
    ).toEqual(['HTTP 503', 'HTTP 429']);
    expectNoToken(JSON.stringify(output));
  });

  it('fails with SnitchCheckInFailed after a timeout on every attempt', async () => {
    server.script({ hang: true }, { hang: true }, { hang: true });
    const handle = createSnitchCheckInHandler({ env: { SNITCH_URL: url, SNITCH_KIND: 'deadmanssnitch' }, http });

    const error = await thrown(() => handle(succeededRun()));

    expect(error.name).toBe('SnitchCheckInFailed');
    expect(error.message).toBe(
      "checking in with the deadmanssnitch dead-man's switch for app (run 20261124T030000Z-0123456789) failed: no response within 0.3 s (timeout) (gave up after 3 attempts)",
    );
    expect(server.requests).toHaveLength(3);
    expectNoToken(errorTexts(error));
  });

  it('fails quickly with SnitchCheckInFailed when the connection is refused, logging it without the URL', async () => {
    const refused = await refusedUrl(`/${TOKEN}`);
    const handle = createSnitchCheckInHandler({ env: { SNITCH_URL: refused }, http });
    const started = Date.now();

    const error = await thrown(() => handle(succeededRun()));

    expect(error.name).toBe('SnitchCheckInFailed');
    expect(error.message).toMatch(/connection refused \(ECONNREFUSED\) \(gave up after 3 attempts\)$/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(logs.lines().find((l) => l.message === 'snitch check-in failed')).toMatchObject({
      level: 'ERROR',
      error: { name: 'SnitchCheckInFailed' },
    });
    expectNoToken(errorTexts(error));
  });

  it('fails with SecretNotFound naming the secret when it does not exist', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(
        new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }),
      );
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    const handle = createSnitchCheckInHandler({ env: { SNITCH_URL_SECRET_NAME: SECRET_NAME }, http });

    const error = await thrown(() => handle(succeededRun()));

    expect(error.name).toBe('SecretNotFound');
    expect(error.message).toContain(`secret "${SECRET_NAME}" was not found`);
  });

  it('rejects an unknown SNITCH_BODY with ConfigError naming the variable', async () => {
    const handle = createSnitchCheckInHandler({ env: { SNITCH_URL: url, SNITCH_BODY: 'form' }, http });

    const error = await thrown(() => handle(succeededRun()));

    expect(error.name).toBe('ConfigError');
    expect(error.message).toBe('SNITCH_BODY must be one of none, text, json; got "form"');
  });
});
