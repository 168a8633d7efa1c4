import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRunResult } from '../../../lambdas/common/run-result';
import { buildChatMessage } from '../../../lambdas/notify-chat/chat-message';
import { buildChatPayload } from '../../../lambdas/notify-chat/chat-payload';
import { createNotifyChatHandler } from '../../../lambdas/notify-chat/handler';
import { captureOutput } from '../../helpers/capture-output';
import { startFakeHttpServer, type FakeHttpServer } from '../../helpers/fake-http-server';
import { failedOutcome, fleetRun, verifiedOutcome, withOneOutcome } from '../../helpers/outcome-runs';
import { errorTexts, succeededRun, thrown } from '../../helpers/runs';

const TOKEN = 'XyZSecretWebhookToken0987';
/** Words an engine's error should never hold; if one did, it may reach the chat, never the logs. */
const LEAK = 'password=hunter2-LeakedInAnErrorText';
const http = { policy: { maxAttempts: 2, timeoutMs: 300, baseDelayMs: 10, maxDelayMs: 40, maxRetryAfterMs: 1_500 } };

const fleet = () =>
  fleetRun([
    verifiedOutcome('orders'),
    failedOutcome('billing', { state: 'BackupDatabase', name: 'DumpFailed', message: `connection failed: ${LEAK}` }),
    verifiedOutcome('audit', { isNew: true }),
  ]);

describe('notify-chat handler, runs with outcomes', () => {
  let server: FakeHttpServer;
  let url: string;
  let logs: ReturnType<typeof captureOutput>;
  beforeEach(async () => {
    server = await startFakeHttpServer();
    url = `${server.baseUrl}/services/T0000/B0000/${TOKEN}`;
    logs = captureOutput();
  });
  afterEach(async () => {
    logs.restore();
    await server.close();
  });

  it('posts one message for the fleet, logging its label, status and counts but no error text', async () => {
    // Prepare
    const handle = createNotifyChatHandler({ env: { CHAT_WEBHOOK_URL: url, CHAT_WEBHOOK_KIND: 'slack' }, http });
    const run = parseRunResult(fleet());

    // Act
    const output = await handle(fleet());

    // Assess
    expect(server.requests).toHaveLength(1);
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual(buildChatPayload('slack', buildChatMessage(run), run));
    expect(output.text.split('\n')[0]).toBe('❌ 1 of 3 databases FAILED, 2 verified: prod');
    expect(logs.lines().find((l) => l.message === 'chat message posted')).toMatchObject({
      database: 'prod',
      runId: run.runId,
      status: 'FAILED',
      databases: 3,
      verified: 2,
      failed: 1,
    });
    expect(logs.text()).not.toContain(LEAK);
    expect(logs.text()).not.toContain(TOKEN);
  });

  it('fails with ChatPostFailed naming the label and the counts, never the URL or an error text', async () => {
    server.script({ status: 404, body: `no_service: /services/T0000/B0000/${TOKEN}` });
    const handle = createNotifyChatHandler({ env: { CHAT_WEBHOOK_URL: url, CHAT_WEBHOOK_KIND: 'slack' }, http });

    const error = await thrown(() => handle(fleet()));

    expect(error.name).toBe('ChatPostFailed');
    expect(error.message).toBe(
      'posting the failure message for prod (run 20261124T030000Z-0123456789: 1 of 3 databases failed, 2 verified) to the slack webhook failed: HTTP 404: no_service: /***/T0000/B0000/*** (not retried: this status will not change on a retry)',
    );
    expect(logs.lines().find((l) => l.message === 'chat notification failed')).toMatchObject({
      level: 'ERROR',
      database: 'prod',
      failed: 1,
      error: { name: 'ChatPostFailed' },
    });
    for (const text of [errorTexts(error), logs.text()]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(LEAK);
    }
  });

  it("a run with one outcome fails to post with today's words", async () => {
    server.script({ status: 404 });
    const handle = createNotifyChatHandler({ env: { CHAT_WEBHOOK_URL: url, CHAT_WEBHOOK_KIND: 'slack' }, http });

    const error = await thrown(() => handle(withOneOutcome(succeededRun())));

    expect(error.message).toMatch(
      /^posting the success message for app \(run 20261124T030000Z-0123456789\) to the slack webhook failed: HTTP 404/,
    );
  });
});
