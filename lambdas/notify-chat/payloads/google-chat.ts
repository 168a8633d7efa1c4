import { truncate } from '../../common/format';
import { type ChatMessage, fitLines, moreFailedLine } from '../chat-message';

/** Google Chat's limit on a text message. */
const TEXT_MAX = 4096;

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
  const rest: string[] = [];
  for (const fact of message.facts) rest.push(`*${fact.label}:* ${fact.value}`);
  if (message.failedChecks.length) {
    rest.push('*Failed checks:*');
    for (const check of message.failedChecks.slice(0, 10)) rest.push(`• ${check}`);
  }
  if (message.link) rest.push(`<${message.link.url}|${message.link.label}>`);
  if (message.databases?.failures.lines.length) {
    // The failed databases get what the rest of the message leaves, so the facts and the link are never cut off.
    const title = '*Failed databases:*';
    const budget = TEXT_MAX - [...lines, ...rest].join('\n').length - title.length - 2;
    const { lines: failed, more } = message.databases.failures;
    lines.push(title, ...fitLines(failed, more, budget, (l) => `• ${l}`, moreFailedLine));
  }
  return { text: truncate([...lines, ...rest].join('\n'), TEXT_MAX) };
}
