import { describe, expect, it } from 'vitest';
import { ProgressDisplay } from '../../../lib/local/progress';

/** A ProgressDisplay writing plain lines into an array. */
function display(fleet: boolean) {
  const lines: string[] = [];
  const stream = {
    write: (text: string) => lines.push(...text.split('\n').filter(Boolean)),
  } as unknown as NodeJS.WriteStream;
  const progress = new ProgressDisplay(stream, false);
  progress.fleet = fleet;
  return { progress, lines };
}

describe('ProgressDisplay', () => {
  it("names a Map item's database on its lines when the run proves several", () => {
    const { progress, lines } = display(true);
    progress.onEvent({
      type: 'StateEntered',
      timestamp: 0,
      state: 'BackupDatabase',
      index: 1,
      input: { item: { database: 'blog' } },
    });
    progress.onEvent({ type: 'StateFailed', timestamp: 1, state: 'BackupDatabase', index: 1, error: 'DumpFailed' });
    progress.onEvent({ type: 'StateEntered', timestamp: 2, state: 'NotifyRun', input: {} });
    expect(lines).toEqual(['→ BackupDatabase [blog]', '  BackupDatabase failed: DumpFailed [blog]', '→ NotifyRun']);
  });

  it('shows the states alone for a single database', () => {
    const { progress, lines } = display(false);
    progress.onEvent({
      type: 'StateEntered',
      timestamp: 0,
      state: 'BackupDatabase',
      index: 0,
      input: { item: { database: 'shop' } },
    });
    expect(lines).toEqual(['→ BackupDatabase']);
  });
});
