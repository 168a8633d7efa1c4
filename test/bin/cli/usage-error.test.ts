import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parsedOrUsage, usageError, USAGE_ERROR_CODE, USAGE_EXIT_CODE } from '../../../bin/cli/usage-error';

describe('usageError', () => {
  it('is a commander error with exit status 2 and the message after "error: "', () => {
    const error = usageError('--s3-endpoint needs --bucket');

    expect(error).toBeInstanceOf(CommanderError);
    expect(error.exitCode).toBe(2);
    expect(USAGE_EXIT_CODE).toBe(2);
    expect(error.code).toBe(USAGE_ERROR_CODE);
    expect(error.message).toBe('error: --s3-endpoint needs --bucket');
  });
});

describe('parsedOrUsage', () => {
  it('returns what the parser returns', () => {
    expect(parsedOrUsage(() => 42)).toBe(42);
  });

  it('turns what the parser throws into a usage error, after the prefix', () => {
    const parse = () => {
      throw new Error('not a postgres:// URL');
    };

    const thrown = (() => {
      try {
        parsedOrUsage(parse, '--target-url: ');
      } catch (error) {
        return error as CommanderError;
      }
      throw new Error('parsedOrUsage did not throw');
    })();

    expect(thrown.exitCode).toBe(2);
    expect(thrown.code).toBe('pgproof.usage');
    expect(thrown.message).toBe('error: --target-url: not a postgres:// URL');
  });
});
