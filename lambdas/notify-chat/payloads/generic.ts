import type { RunResult } from '../../common/run-result';
import type { ChatMessage } from '../chat-message';

/**
 * A generic JSON payload for any other receiver (a Slack workflow trigger, an incident tool, your own
 * endpoint): flat fields a workflow can map, the plain-text message, and the whole run state under `run`.
 */
export function genericPayload(message: ChatMessage, run: RunResult): Record<string, unknown> {
  return {
    source: 'pgproof',
    status: run.status,
    database: run.database,
    runId: run.runId,
    headline: message.headline,
    text: message.text,
    ...(run.consoleUrl ? { consoleUrl: run.consoleUrl } : {}),
    run,
  };
}
