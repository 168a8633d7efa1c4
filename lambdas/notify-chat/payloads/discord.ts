import { truncate } from '../../common/format';
import { type ChatMessage, fitLines, moreFailedLine } from '../chat-message';

const GREEN = 0x2eb67d;
const RED = 0xe01e5a;
const DESCRIPTION_MAX = 4096;
const EMBED_MAX = 6000;

/**
 * A Discord webhook payload: the headline as content (what the notification shows) and an embed with the
 * facts. `allowed_mentions` is empty so an error text containing `@everyone` pings nobody. Limits respected:
 * content 2000, title 256, description 4096, 25 fields with values of 1024, and 6000 over the embed's texts (the
 * description gets what the title and fields leave).
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
  const fields = embed.fields as { name: string; value: string }[];
  const others = String(embed.title).length + fields.reduce((sum, f) => sum + f.name.length + f.value.length, 0);
  const max = Math.max(0, Math.min(DESCRIPTION_MAX, EMBED_MAX - others));
  if (message.databases?.failures.lines.length) {
    const title = '**Failed databases**';
    const budget = max - [...description, title].join('\n').length - 1;
    const { lines, more } = message.databases.failures;
    description.push(title, ...fitLines(lines, more, budget, (l) => `• ${l}`, moreFailedLine));
  }
  if (description.length) embed.description = truncate(description.join('\n'), max);
  return { content: truncate(message.headline, 2000), embeds: [embed], allowed_mentions: { parse: [] } };
}
