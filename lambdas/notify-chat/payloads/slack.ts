import { truncate } from '../../common/format';
import { type ChatMessage, fitLines, moreFailedLine } from '../chat-message';

/** Slack's mrkdwn treats these three as markup; everything we did not write is escaped. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack's limit on a section's text. */
const SECTION_MAX = 3000;

/** Backticks inside a code block would end it early. */
function codeBlock(lines: readonly string[], max: number): string {
  return `\`\`\`${truncate(escapeSlack(lines.join('\n')).replace(/```/g, "'''"), max)}\`\`\``;
}

/**
 * An incoming-webhook payload: `text` is the notification fallback, Block Kit carries the message.
 * Limits respected: section text 3000 characters, at most 10 fields of 2000 (a fleet's failed databases: as many
 * lines as fit one section). The link is an mrkdwn link, not a button (buttons on a webhook without an app show a
 * warning).
 */
export function slackPayload(message: ChatMessage): Record<string, unknown> {
  const blocks: Record<string, unknown>[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `*${escapeSlack(message.headline)}*` } },
  ];
  if (message.errorLines.length) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Error: ${escapeSlack(message.errorName ?? 'unknown')}*\n${codeBlock(message.errorLines, 2800)}`,
      },
    });
  }
  if (message.databases?.failures.lines.length) {
    const title = '*Failed databases*';
    const { lines, more } = message.databases.failures;
    const list = fitLines(lines, more, SECTION_MAX - title.length - 1, (l) => `• ${escapeSlack(l)}`, moreFailedLine);
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: truncate([title, ...list].join('\n'), SECTION_MAX) },
    });
  }
  blocks.push({
    type: 'section',
    fields: message.facts
      .slice(0, 10)
      .map((f) => ({ type: 'mrkdwn', text: truncate(`*${escapeSlack(f.label)}*\n${escapeSlack(f.value)}`, 2000) })),
  });
  if (message.failedChecks.length) {
    const list = message.failedChecks
      .slice(0, 10)
      .map((c) => `• ${escapeSlack(c)}`)
      .join('\n');
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(`*Failed checks*\n${list}`, 3000) } });
  }
  if (message.link) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `<${message.link.url}|${escapeSlack(message.link.label)}>` }],
    });
  }
  return { text: escapeSlack(message.headline), blocks };
}
