import { describe, expect, it } from 'vitest';
import { chooseChatKind, detectChatKind } from '../../../lambdas/notify-chat/chat-kind';
import { thrown } from '../../helpers/runs';

describe('detectChatKind', () => {
  it.each([
    ['https://hooks.slack.com/services/T0000/B0000/example-token', 'slack'],
    ['https://hooks.slack.com/triggers/T0000/1234/abcdef', 'generic'],
    [
      'https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=SIG',
      'teams',
    ],
    [
      'https://default0a1b.2c.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=SIG',
      'teams',
    ],
    ['https://contoso.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456', 'teams'],
    ['https://chat.googleapis.com/v1/spaces/AAAA/messages?key=KEY&token=TOKEN', 'google-chat'],
    ['https://discord.com/api/webhooks/123456/TOKEN', 'discord'],
    ['https://discordapp.com/api/webhooks/123456/TOKEN', 'discord'],
    ['https://discord.com/channels/1/2', 'generic'],
    ['https://mattermost.example.com/hooks/abc', 'generic'],
    ['not a url', 'generic'],
  ])('%s → %s', (url, kind) => {
    expect(detectChatKind(url)).toBe(kind);
  });
});

describe('chooseChatKind', () => {
  const slackUrl = 'https://hooks.slack.com/services/T0000/B0000/example-token';

  it('prefers the kind stored with the URL, then the configured kind, then the URL', () => {
    expect(chooseChatKind(slackUrl, 'generic', 'secret "s"', 'discord')).toBe('generic');
    expect(chooseChatKind(slackUrl, undefined, 'secret "s"', 'discord')).toBe('discord');
    expect(chooseChatKind(slackUrl, undefined, 'secret "s"', undefined)).toBe('slack');
  });

  it('rejects an unknown kind in the secret, naming where it came from', async () => {
    const error = await thrown(async () => chooseChatKind(slackUrl, 'msteams', 'secret "pgproof/chat"', undefined));

    expect(error.name).toBe('ConfigError');
    expect(error.message).toBe(
      'the "kind" in secret "pgproof/chat" must be one of slack, teams, google-chat, discord, generic; got "msteams"',
    );
  });
});
