import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseRunResult } from '../../../lambdas/common/run-result';
import { CHAT_KINDS } from '../../../lambdas/notify-chat/chat-kind';
import { buildChatMessage } from '../../../lambdas/notify-chat/chat-message';
import { buildChatPayload } from '../../../lambdas/notify-chat/chat-payload';
import { createNotifyChatHandler } from '../../../lambdas/notify-chat/handler';
import { captureOutput } from '../../helpers/capture-output';
import { refusedUrl, startFakeHttpServer, type FakeHttpServer } from '../../helpers/fake-http-server';
import { errorTexts, failedRun, succeededRun, thrown } from '../../helpers/runs';

const TOKEN = 'XyZSecretWebhookToken0987';
const SECRET_NAME = 'pgproof/app/chat-webhook';
const http = { policy: { maxAttempts: 3, timeoutMs: 300, baseDelayMs: 10, maxDelayMs: 40, maxRetryAfterMs: 1_500 } };
const secretsManager = mockClient(SecretsManagerClient);

describe('notify-chat handler', () => {
  let server: FakeHttpServer;
  let url: string;
  let logs: ReturnType<typeof captureOutput>;
  beforeEach(async () => {
    secretsManager.reset();
    server = await startFakeHttpServer();
    url = `${server.baseUrl}/services/T0000/B0000/${TOKEN}`;
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

  /** Nothing a person or a log could read holds the token. */
  function expectNoToken(...texts: string[]): void {
    for (const text of [...texts, logs.text()]) expect(text).not.toContain(TOKEN);
  }

  it.each(CHAT_KINDS.map((kind, i) => [kind, [200, 202, 200, 204, 200][i]!] as const))(
    'posts the %s payload to the webhook (answer %d)',
    async (kind, status) => {
      // Prepare
      server.script({ status });
      const handle = createNotifyChatHandler({ env: { CHAT_WEBHOOK_URL: url, CHAT_WEBHOOK_KIND: kind }, http });
      const run = parseRunResult(succeededRun());

      // Act
      const output = await handle(succeededRun());

      // Assess
      const expected = buildChatPayload(kind, buildChatMessage(run), run);
      expect(server.requests).toHaveLength(1);
      expect(server.requests[0]?.method).toBe('POST');
      expect(server.requests[0]?.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual(expected);
      expect(output).toEqual({
        posted: true,
        kind,
        text: buildChatMessage(run).text,
        payload: expected,
        httpStatus: status,
        attempts: 1,
      });
      expectNoToken(JSON.stringify(output));
    },
  );

  it('returns the message without posting when no webhook is configured and asked to skip (local runs print it)', async () => {
    const handle = createNotifyChatHandler({ env: {}, http, whenUnconfigured: 'skip' });

    const output = await handle(failedRun());

    expect(output).toEqual({ posted: false, text: buildChatMessage(parseRunResult(failedRun())).text });
    expect(server.requests).toHaveLength(0);
  });

  it('fails with MissingConfiguration naming the variable when no webhook is configured (the default)', async () => {
    const handle = createNotifyChatHandler({ env: {}, http });

    const error = await thrown(() => handle(succeededRun()));

    expect(error.name).toBe('MissingConfiguration');
    expect(error.message).toBe(
      'CHAT_WEBHOOK_SECRET_NAME is not set, so the function does not know which Secrets Manager secret holds the chat webhook URL: redeploy the pgproof stack (it sets CHAT_WEBHOOK_SECRET_NAME), or set CHAT_WEBHOOK_URL to the chat webhook URL itself',
    );
    expect(server.requests).toHaveLength(0);
  });

  it('retries a 500, then posts, logging the retry without the URL', async () => {
    server.script({ status: 500, body: `upstream error at /services/T0000/B0000/${TOKEN}` });
    const handle = createNotifyChatHandler({ env: { CHAT_WEBHOOK_URL: url, CHAT_WEBHOOK_KIND: 'slack' }, http });

    const output = await handle(failedRun());

    expect(output).toMatchObject({ posted: true, kind: 'slack', attempts: 2, httpStatus: 200 });
    const lines = logs.lines();
    expect(lines.find((l) => l.message === 'chat post failed, retrying')).toMatchObject({
      level: 'WARN',
      attempt: 1,
      kind: 'slack',
      reason: 'HTTP 500: upstream error at /***/T0000/B0000/***',
    });
    expect(lines.find((l) => l.message === 'chat message posted')).toMatchObject({
      level: 'INFO',
      service: 'pgproof-notify-chat',
      database: 'app',
      attempts: 2,
    });
    expectNoToken(JSON.stringify(output));
  });

  it('fails with ChatPostFailed when the webhook refuses, without the token in the error or the logs', async () => {
    server.script({ status: 404, body: `no_service: /services/T0000/B0000/${TOKEN}` });
    const handle = createNotifyChatHandler({ env: { CHAT_WEBHOOK_URL: url, CHAT_WEBHOOK_KIND: 'slack' }, http });

    const error = await thrown(() => handle(succeededRun()));

    expect(error.name).toBe('ChatPostFailed');
    expect(error.message).toBe(
      'posting the success message for app (run 20261124T030000Z-0123456789) to the slack webhook failed: HTTP 404: no_service: /***/T0000/B0000/*** (not retried: this status will not change on a retry)',
    );
    expect((error.cause as Error).name).toBe('HttpRequestFailed');
    const logged = logs.lines().find((l) => l.message === 'chat notification failed');
    expect(logged).toMatchObject({ level: 'ERROR', error: { name: 'ChatPostFailed' } });
    expectNoToken(errorTexts(error));
  });

  it('fails quickly with ChatPostFailed after bounded retries when the connection is refused', async () => {
    const refused = await refusedUrl(`/api/webhooks/123/${TOKEN}`);
    const handle = createNotifyChatHandler({ env: { CHAT_WEBHOOK_URL: refused, CHAT_WEBHOOK_KIND: 'discord' }, http });
    const started = Date.now();

    const error = await thrown(() => handle(failedRun()));

    expect(error.name).toBe('ChatPostFailed');
    expect(error.message).toMatch(
      /^posting the failure message for app .* to the discord webhook failed: connection refused \(ECONNREFUSED\) \(gave up after 3 attempts\)$/,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(logs.lines().filter((l) => l.message === 'chat post failed, retrying')).toHaveLength(2);
    expectNoToken(errorTexts(error));
  });

  it('rejects an invalid event with InvalidInput before touching the webhook', async () => {
    const handle = createNotifyChatHandler({ env: { CHAT_WEBHOOK_URL: url }, http });

    const error = await thrown(() => handle({ database: 'app', status: 'SUCCEEDED' }));

    expect(error.name).toBe('InvalidInput');
    expect(error.message).toMatch(/runId/);
    expect(server.requests).toHaveLength(0);
  });

  it('rejects an unknown CHAT_WEBHOOK_KIND with ConfigError naming the variable', async () => {
    const handle = createNotifyChatHandler({ env: { CHAT_WEBHOOK_URL: url, CHAT_WEBHOOK_KIND: 'msteams' }, http });

    const error = await thrown(() => handle(succeededRun()));

    expect(error.name).toBe('ConfigError');
    expect(error.message).toBe(
      'CHAT_WEBHOOK_KIND must be one of slack, teams, google-chat, discord, generic; got "msteams"',
    );
  });

  describe('the Lambda entry point with Secrets Manager', () => {
    it('reads the secret once per container, using the kind stored with the URL', async () => {
      // Prepare
      vi.stubEnv('CHAT_WEBHOOK_SECRET_NAME', SECRET_NAME);
      vi.stubEnv('CHAT_WEBHOOK_URL', '');
      vi.stubEnv('AWS_REGION', 'eu-west-1');
      secretsManager
        .on(GetSecretValueCommand, { SecretId: SECRET_NAME })
        .resolves({ SecretString: JSON.stringify({ url, kind: 'google-chat' }) });
      vi.resetModules();
      const { handler } = await import('../../../lambdas/notify-chat/handler');

      // Act
      const first = await handler(succeededRun());
      const second = await handler(failedRun());

      // Assess
      expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
      expect([first.kind, second.kind]).toEqual(['google-chat', 'google-chat']);
      expect(server.requests.map((r) => (JSON.parse(r.body) as { text: string }).text.split('\n')[0])).toEqual([
        '*✅ Backup verified: app*',
        '*❌ Backup FAILED: app (failed in BackupDatabase)*',
      ]);

      // A new container (module instance) reads it again.
      vi.resetModules();
      const fresh = await import('../../../lambdas/notify-chat/handler');
      await fresh.handler(succeededRun());
      expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
      expectNoToken(JSON.stringify([first, second]));
    });

    it('the Lambda entry point fails with MissingConfiguration when its secret setting is missing, for success and failure messages', async () => {
      vi.stubEnv('CHAT_WEBHOOK_SECRET_NAME', '');
      vi.stubEnv('CHAT_WEBHOOK_URL', '');
      vi.stubEnv('AWS_REGION', 'eu-west-1');
      vi.resetModules();
      const { handler } = await import('../../../lambdas/notify-chat/handler');

      for (const event of [succeededRun(), failedRun()]) {
        const error = await thrown(() => handler(event));
        expect(error).toMatchObject({ name: 'MissingConfiguration', variable: 'CHAT_WEBHOOK_SECRET_NAME' });
        expect(error.message).toMatch(/^CHAT_WEBHOOK_SECRET_NAME is not set/);
      }
      expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(0);
      expect(server.requests).toHaveLength(0);
    });

    it('fails with SecretNotFound naming the secret (not its value) when it does not exist', async () => {
      vi.stubEnv('CHAT_WEBHOOK_SECRET_NAME', SECRET_NAME);
      vi.stubEnv('CHAT_WEBHOOK_URL', '');
      vi.stubEnv('AWS_REGION', 'eu-west-1');
      secretsManager
        .on(GetSecretValueCommand)
        .rejects(
          new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }),
        );
      vi.resetModules();
      const { handler } = await import('../../../lambdas/notify-chat/handler');

      const error = await thrown(() => handler(succeededRun()));

      expect(error.name).toBe('SecretNotFound');
      expect(error.message).toContain(`secret "${SECRET_NAME}" was not found`);
      expect(server.requests).toHaveLength(0);
    });

    it('fails with SecretInvalid naming the secret when it holds no URL, never quoting the value', async () => {
      vi.stubEnv('CHAT_WEBHOOK_SECRET_NAME', SECRET_NAME);
      vi.stubEnv('CHAT_WEBHOOK_URL', '');
      vi.stubEnv('AWS_REGION', 'eu-west-1');
      secretsManager
        .on(GetSecretValueCommand)
        .resolves({ SecretString: `hooks.slack.com/services/T0000/B0000/${TOKEN}` });
      const handle = createNotifyChatHandler({ env: process.env, http });

      const error = await thrown(() => handle(succeededRun()));

      expect(error.name).toBe('SecretInvalid');
      expect(error.message).toBe(
        `secret "${SECRET_NAME}" does not hold a valid URL (expected https://… or JSON {"url": "https://…"})`,
      );
      expectNoToken(errorTexts(error));
    });
  });
});
