import { truncate } from '../../common/format';
import { type ChatMessage, fitLines, moreFailedLine } from '../chat-message';

/** The fleet's failed-database list stays far below Teams' 28 KB message limit (20 lines of 300 fit). */
const FAILED_LIST_MAX = 7000;

/**
 * A Teams workflow webhook payload ("Post to a channel when a webhook request is received"): a message with
 * one Adaptive Card attachment, which is what that workflow template posts. Version 1.4 renders on desktop,
 * web and mobile.
 */
export function teamsPayload(message: ChatMessage): Record<string, unknown> {
  const body: Record<string, unknown>[] = [
    {
      type: 'TextBlock',
      text: message.headline,
      weight: 'Bolder',
      size: 'Medium',
      wrap: true,
      color: message.succeeded ? 'Good' : 'Attention',
    },
  ];
  if (message.errorLines.length) {
    body.push({ type: 'TextBlock', text: `Error: ${message.errorName ?? 'unknown'}`, weight: 'Bolder', wrap: true });
    body.push({
      type: 'TextBlock',
      text: truncate(message.errorLines.join('\n\n'), 3000),
      fontType: 'Monospace',
      wrap: true,
    });
  }
  if (message.databases?.failures.lines.length) {
    const { lines, more } = message.databases.failures;
    body.push({ type: 'TextBlock', text: 'Failed databases', weight: 'Bolder', wrap: true });
    body.push({
      type: 'TextBlock',
      text: fitLines(lines, more, FAILED_LIST_MAX, (l) => `- ${l}`, moreFailedLine).join('\n'),
      wrap: true,
    });
  }
  body.push({ type: 'FactSet', facts: message.facts.map((f) => ({ title: f.label, value: f.value })) });
  if (message.failedChecks.length) {
    body.push({ type: 'TextBlock', text: 'Failed checks', weight: 'Bolder', wrap: true });
    body.push({
      type: 'TextBlock',
      text: message.failedChecks
        .slice(0, 10)
        .map((c) => `- ${c}`)
        .join('\n'),
      wrap: true,
    });
  }
  const card: Record<string, unknown> = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
    msteams: { width: 'Full' },
  };
  if (message.link) card.actions = [{ type: 'Action.OpenUrl', title: message.link.label, url: message.link.url }];
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }],
  };
}
