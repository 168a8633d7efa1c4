import { CommanderError } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProgram, reportFailure } from '../../../bin/cli/program';
import { usageError } from '../../../bin/cli/usage-error';

describe('createProgram', () => {
  it('has one command per module: demo, run, history, start, restore, backups, prune, verify, report', () => {
    expect(createProgram('1.2.3').commands.map((c) => c.name())).toEqual([
      'demo',
      'run',
      'history',
      'start',
      'restore',
      'backups',
      'prune',
      'verify',
      'report',
    ]);
  });

  it('refuses a bad --limit as a usage error before it loads anything or reads the history', async () => {
    const program = createProgram('1.2.3');

    const parsed = program.parseAsync(['history', '--local', '--limit', '0'], { from: 'user' });

    await expect(parsed).rejects.toMatchObject({
      exitCode: 2,
      code: 'pgproof.usage',
      message: 'error: --limit must be a whole number from 1 to 1000, got "0"',
    });
  });
});

describe('reportFailure', () => {
  const written: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    written.length = 0;
  });
  const captureStderr = () =>
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0);

  it('exits 2 and prints the message of a usage error', () => {
    captureStderr();
    expect(reportFailure(usageError('which stack? pass --stack NAME'))).toBe(2);
    expect(written.join('')).toBe('error: which stack? pass --stack NAME\n');
  });

  it('exits 0 after --help and --version, printing nothing more', () => {
    captureStderr();
    expect(reportFailure(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toBe(0);
    expect(reportFailure(new CommanderError(0, 'commander.version', '1.2.3'))).toBe(0);
    expect(written).toEqual([]);
  });

  it('exits 1 for any other error, naming it, with secrets masked', () => {
    captureStderr();
    class StorageError extends Error {
      override name = 'StorageError';
    }
    expect(reportFailure(new StorageError('cannot reach postgres://u:hunter22@db/x'))).toBe(1);
    expect(written.join('')).toBe('pgproof: StorageError: cannot reach postgres://u:***@db/x\n');
  });
});
