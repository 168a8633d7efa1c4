import { vi } from 'vitest';

/**
 * Captures what the process writes to stdout and stderr (Powertools Logger writes INFO lines to stdout, WARN and
 * ERROR to stderr) until `restore`. Tests read it to prove that nothing secret was logged.
 */
export function captureOutput(): { text: () => string; lines: () => Record<string, unknown>[]; restore: () => void } {
  const chunks: string[] = [];
  const record = (chunk: string | Uint8Array): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(record),
    vi.spyOn(process.stderr, 'write').mockImplementation(record),
  ];
  return {
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}
