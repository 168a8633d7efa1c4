import { ConfigError } from '../common/errors';

export const CHAT_KINDS = ['slack', 'teams', 'google-chat', 'discord', 'generic'] as const;
/** The chat services a message can be shaped for. */
export type ChatKind = (typeof CHAT_KINDS)[number];

export function isChatKind(value: string): value is ChatKind {
  return (CHAT_KINDS as readonly string[]).includes(value);
}

/**
 * Recognises the service from its webhook URL. Unknown hosts get the generic JSON body: a Slack-compatible
 * server elsewhere (Mattermost, Rocket.Chat) must be configured as `slack` explicitly.
 */
export function detectChatKind(url: string): ChatKind {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'generic';
  }
  const host = parsed.hostname.toLowerCase();
  const path = parsed.pathname;
  // Slack's /triggers/ URLs are Workflow Builder webhooks: they take flat variables, which the generic body has.
  if (host === 'hooks.slack.com' && path.startsWith('/services/')) return 'slack';
  // Teams workflows ("Post to a channel when a webhook request is received") run on Logic Apps or Power
  // Platform hosts; the retired Office 365 connectors used *.webhook.office.com and accept the same card.
  if (
    host.endsWith('.logic.azure.com') ||
    host.endsWith('.api.powerplatform.com') ||
    host.endsWith('.webhook.office.com')
  )
    return 'teams';
  if (host === 'chat.googleapis.com') return 'google-chat';
  if (
    ['discord.com', 'discordapp.com', 'ptb.discord.com', 'canary.discord.com'].includes(host) &&
    path.startsWith('/api/webhooks/')
  )
    return 'discord';
  return 'generic';
}

/**
 * The kind to use: the one stored with the URL in the secret, else the configured one (`CHAT_WEBHOOK_KIND`),
 * else recognised from the URL. The secret wins because it travels with the URL it describes.
 */
export function chooseChatKind(
  url: string,
  fromSecret: string | undefined,
  origin: string,
  fromEnv: ChatKind | undefined,
): ChatKind {
  if (fromSecret !== undefined) {
    if (!isChatKind(fromSecret))
      throw new ConfigError(`the "kind" in ${origin} must be one of ${CHAT_KINDS.join(', ')}; got "${fromSecret}"`);
    return fromSecret;
  }
  return fromEnv ?? detectChatKind(url);
}
