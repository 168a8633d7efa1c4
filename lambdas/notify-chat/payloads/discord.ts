import { truncate } from '../../common/format';
import type { ChatMessage } from '../chat-message';

const GREEN = 0x2eb67d;
const RED = 0xe01e5a;

/**
 * A Discord webhook payload: the headline as content (what the notification shows) and an embed with the
 * facts. `allowed_mentions` is empty so an error text containing `@everyone` pings nobody. Limits respected:
 * content 2000, title 256, description 4096, 25 fields with values of 1024.
 */
export function discordPayload(message: ChatMessage): Record<string, unknown> {
  const embed: Record<string, unknown> = {
    title: truncate(message.link ? message.link.label : message.headline, 256),
    color: message.succeeded ? GREEN : RED,
    fields: message.facts
      .slice(0, 25)
      .map((f) => ({ name: truncate(f.label, 256), value: truncate(f.value, 1024), inline: f.value.length <= 40 })),
  };
  if (message.link) embed.url = message.link.url;
  const description: string[] = [];
  if (message.errorLines.length) {
    description.push(`**Error: ${message.errorName ?? 'unknown'}**`);
    description.push(`\`\`\`\n${truncate(message.errorLines.join('\n').replace(/```/g, "'''"), 3000)}\n\`\`\``);
  }
  if (message.failedChecks.length) {
    description.push('**Failed checks**');
    for (const check of message.failedChecks.slice(0, 10)) description.push(`• ${check}`);
  }
  if (description.length) embed.description = truncate(description.join('\n'), 4096);
  return { content: truncate(message.headline, 2000), embeds: [embed], allowed_mentions: { parse: [] } };
}
