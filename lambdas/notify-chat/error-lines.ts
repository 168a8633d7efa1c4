import { truncate } from '../common/format';

const MAX_LINES = 8;
const MAX_LINE_CHARS = 300;

/**
 * Pure: the first useful lines of a failure message. Step Functions hands over a Lambda failure's `Cause` as
 * JSON with `errorMessage` (and a stack trace): the message is unwrapped and stack frames and blank lines are
 * dropped, so the chat shows pg_dump's or the check's own words.
 */
export function usefulErrorLines(message: string): string[] {
  const lines = unwrapCause(message)
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '' && !isStackFrame(line));
  const kept = lines.slice(0, MAX_LINES).map((line) => truncate(line, MAX_LINE_CHARS));
  if (lines.length > MAX_LINES)
    kept.push(`… ${lines.length - MAX_LINES} more line${lines.length - MAX_LINES === 1 ? '' : 's'}`);
  return kept;
}

function unwrapCause(message: string): string {
  const text = message.trim();
  if (!text.startsWith('{')) return text;
  try {
    const json: unknown = JSON.parse(text);
    if (json && typeof json === 'object') {
      for (const key of ['errorMessage', 'message', 'Cause', 'cause']) {
        const value = (json as Record<string, unknown>)[key];
        if (typeof value === 'string' && value.trim()) return unwrapCause(value);
      }
    }
  } catch {
    // Not JSON after all: show it as it is.
  }
  return text;
}

function isStackFrame(line: string): boolean {
  return /^\s+at\s+\S.*(:\d+:\d+\)?|\(native\)|\(<anonymous>\))$/.test(line);
}
