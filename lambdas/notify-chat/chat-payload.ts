import type { RunResult } from '../common/run-result';
import type { ChatKind } from './chat-kind';
import type { ChatMessage } from './chat-message';
import { discordPayload } from './payloads/discord';
import { genericPayload } from './payloads/generic';
import { googleChatPayload } from './payloads/google-chat';
import { slackPayload } from './payloads/slack';
import { teamsPayload } from './payloads/teams';

/** Pure: the JSON body for a chat service. */
export function buildChatPayload(kind: ChatKind, message: ChatMessage, run: RunResult): Record<string, unknown> {
  switch (kind) {
    case 'slack':
      return slackPayload(message);
    case 'teams':
      return teamsPayload(message);
    case 'google-chat':
      return googleChatPayload(message);
    case 'discord':
      return discordPayload(message);
    case 'generic':
      return genericPayload(message, run);
  }
}
