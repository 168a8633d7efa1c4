import { truncate } from '../../common/format';
import type { ChatMessage } from '../chat-message';

/**
 * A Google Chat webhook payload: one text message in Chat's own markup (`*bold*`, ``` blocks, `<url|label>`
 * links). Text messages render everywhere, cards need more setup for no gain here. Limit: 4096 characters.
 */
export function googleChatPayload(message: ChatMessage): Record<string, unknown> {
  const lines = [`*${message.headline}*`];
  if (message.errorLines.length) {
    lines.push(`*Error:* ${message.errorName ?? 'unknown'}`);
    lines.push(`\`\`\`\n${truncate(message.errorLines.join('\n').replace(/```/g, "'''"), 2500)}\n\`\`\``);
  }
  for (const fact of message.facts) lines.push(`*${fact.label}:* ${fact.value}`);
  if (message.failedChecks.length) {
    lines.push('*Failed checks:*');
    for (const check of message.failedChecks.slice(0, 10)) lines.push(`• ${check}`);
  }
  if (message.link) lines.push(`<${message.link.url}|${message.link.label}>`);
  return { text: truncate(lines.join('\n'), 4096) };
}
