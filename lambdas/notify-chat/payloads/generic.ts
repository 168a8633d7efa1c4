import { asSingleRun } from '../../common/run-outcomes';
import type { RunResult } from '../../common/run-result';
import type { ChatMessage } from '../chat-message';

/**
 * A generic JSON payload for any other receiver (a Slack workflow trigger, an incident tool, your own
 * endpoint): flat fields a workflow can map, the plain-text message, and the whole run state under `run`. A run of
 * several databases adds `databases`, one entry per database: its id, status, whether it is new, and its error.
 */
export function genericPayload(message: ChatMessage, run: RunResult): Record<string, unknown> {
  const databases =
    run.outcomes && !asSingleRun(run)
      ? run.outcomes.map((o) => ({
          database: o.database,
          status: o.status,
          isNew: o.isNew === true,
          ...(o.error ? { error: { state: o.error.state, name: o.error.name, message: o.error.message } } : {}),
        }))
      : undefined;
  return {
    source: 'pgproof',
    status: run.status,
    database: run.database,
    runId: run.runId,
    headline: message.headline,
    text: message.text,
    ...(run.consoleUrl ? { consoleUrl: run.consoleUrl } : {}),
    ...(databases ? { databases } : {}),
    run,
  };
}
