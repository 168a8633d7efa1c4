import { describe, expect, it } from 'vitest';
import { parseRunResult, type RunResult } from '../../../lambdas/common/run-result';
import type { CHAT_KINDS } from '../../../lambdas/notify-chat/chat-kind';
import { buildChatMessage } from '../../../lambdas/notify-chat/chat-message';
import { buildChatPayload } from '../../../lambdas/notify-chat/chat-payload';
import { failedRun, succeededRun } from '../../helpers/runs';

const ok = parseRunResult(succeededRun());
const failed = parseRunResult(failedRun());
const payload = (kind: (typeof CHAT_KINDS)[number], run: RunResult) =>
  buildChatPayload(kind, buildChatMessage(run), run);

describe('chat payloads', () => {
  it('Slack: fallback text, a bold headline section, mrkdwn fields and a console link', () => {
    const body = payload('slack', ok) as {
      text: string;
      blocks: { type: string; text?: { text: string }; fields?: { text: string }[]; elements?: { text: string }[] }[];
    };

    expect(body.text).toBe('✅ Backup verified: app');
    expect(body.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: '*✅ Backup verified: app*' } });
    expect(body.blocks[1]?.fields?.map((f) => f.text)).toEqual([
      '*Size*\n1.21 GiB (+4.0% vs previous run)',
      '*Dump*\n2 min 05 s',
      "*Restore*\n1 min 40 s (today's measured recovery time; −9.1% vs previous run)",
      '*Checks*\n3/3 passed',
      '*Run*\n20261124T030000Z-0123456789',
    ]);
    expect(body.blocks[2]).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `<${ok.consoleUrl}|Open the run in the Step Functions console>` }],
    });
  });

  it('Slack: markup characters are escaped in the notification fallback text too', () => {
    const body = payload('slack', parseRunResult(succeededRun({ database: 'a<b>&c' }))) as { text: string };
    expect(body.text).toBe('✅ Backup verified: a&lt;b&gt;&amp;c');
  });

  it("Slack: the failure's error lines in a code block, with markup characters escaped", () => {
    const run = parseRunResult(
      failedRun({ error: { state: 'VerifyBackup', name: 'VerificationFailed', message: 'count <> 0 & ```boom```' } }),
    );

    const body = payload('slack', run) as { blocks: { text?: { text: string } }[] };

    expect(body.blocks[1]?.text?.text).toBe("*Error: VerificationFailed*\n```count &lt;&gt; 0 &amp; '''boom'''```");
  });

  it('Teams: a message with one Adaptive Card attachment, facts as a FactSet, the link as an OpenUrl action', () => {
    const body = payload('teams', failed) as {
      type: string;
      attachments: {
        contentType: string;
        content: { type: string; version: string; body: Record<string, unknown>[]; actions: unknown[] };
      }[];
    };

    expect(body.type).toBe('message');
    expect(body.attachments).toHaveLength(1);
    const card = body.attachments[0]!;
    expect(card.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.content.type).toBe('AdaptiveCard');
    expect(card.content.version).toBe('1.4');
    expect(card.content.body[0]).toMatchObject({
      type: 'TextBlock',
      text: '❌ Backup FAILED: app (failed in BackupDatabase)',
      color: 'Attention',
    });
    expect(card.content.body[1]).toMatchObject({ text: 'Error: DumpFailed' });
    expect(card.content.body[2]).toMatchObject({
      fontType: 'Monospace',
      text: expect.stringContaining('permission denied for table payroll'),
    });
    expect(card.content.body[3]).toEqual({
      type: 'FactSet',
      facts: [{ title: 'Run', value: '20261124T030000Z-fedcba9876' }],
    });
    expect(card.content.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Open the run in the Step Functions console', url: failed.consoleUrl },
    ]);
  });

  it('Google Chat: one text message in Chat markup', () => {
    const body = payload('google-chat', failed) as { text: string };

    expect(Object.keys(body)).toEqual(['text']);
    expect(body.text).toBe(
      [
        '*❌ Backup FAILED: app (failed in BackupDatabase)*',
        '*Error:* DumpFailed',
        '```',
        'pg_dump exited with status 1',
        'pg_dump: error: query failed: ERROR:  permission denied for table payroll',
        'pg_dump: detail: Query was: LOCK TABLE public.payroll IN ACCESS SHARE MODE',
        '```',
        '*Run:* 20261124T030000Z-fedcba9876',
        `<${failed.consoleUrl}|Open the run in the Step Functions console>`,
      ].join('\n'),
    );
  });

  it('Discord: headline as content, a coloured embed with fields, and no mentions allowed', () => {
    const success = payload('discord', ok) as {
      content: string;
      allowed_mentions: unknown;
      embeds: { color: number; url: string; fields: { name: string; value: string }[]; description?: string }[];
    };
    const failure = payload('discord', failed) as typeof success;

    expect(success.content).toBe('✅ Backup verified: app');
    expect(success.allowed_mentions).toEqual({ parse: [] });
    expect(success.embeds[0]?.color).toBe(0x2eb67d);
    expect(success.embeds[0]?.url).toBe(ok.consoleUrl);
    expect(success.embeds[0]?.fields.map((f) => f.name)).toEqual(['Size', 'Dump', 'Restore', 'Checks', 'Run']);
    expect(success.embeds[0]?.description).toBeUndefined();
    expect(failure.embeds[0]?.color).toBe(0xe01e5a);
    expect(failure.embeds[0]?.description).toMatch(/^\*\*Error: DumpFailed\*\*\n```\npg_dump exited with status 1\n/);
  });

  it('generic: flat fields, the plain text, and the whole run state', () => {
    const body = payload('generic', ok);

    expect(body).toMatchObject({
      source: 'pgproof',
      status: 'SUCCEEDED',
      database: 'app',
      runId: ok.runId,
      headline: '✅ Backup verified: app',
      consoleUrl: ok.consoleUrl,
    });
    expect(body.text).toBe(buildChatMessage(ok).text);
    expect(body.run).toEqual(ok);
  });

  it("keeps every payload within the services' size limits for a huge error", () => {
    const run = parseRunResult(
      failedRun({
        error: {
          state: 'VerifyBackup',
          name: 'RestoreFailed',
          message: Array.from({ length: 50 }, () => 'y'.repeat(2000)).join('\n'),
        },
      }),
    );

    const slack = payload('slack', run) as { blocks: { text?: { text: string } }[] };
    const chat = payload('google-chat', run) as { text: string };
    const discord = payload('discord', run) as { embeds: { description: string }[] };

    expect(slack.blocks.every((b) => (b.text?.text.length ?? 0) <= 3000)).toBe(true);
    expect(chat.text.length).toBeLessThanOrEqual(4096);
    expect(discord.embeds[0]?.description.length).toBeLessThanOrEqual(4096);
  });
});
