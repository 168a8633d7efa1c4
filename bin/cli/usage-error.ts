import { CommanderError } from 'commander';

/** The exit status of a command line that cannot run as given (a bad flag, a missing stack, an unreadable config). */
export const USAGE_EXIT_CODE = 2;

/** The commander error code that marks pgproof's own usage errors (commander's start with `commander.`). */
export const USAGE_ERROR_CODE = 'pgproof.usage';

/**
 * The one way a command refuses its command line: throw what this returns, and pgproof prints
 * `error: <message>` on stderr and exits 2, as commander does for its own usage errors.
 */
export function usageError(message: string): CommanderError {
  return new CommanderError(USAGE_EXIT_CODE, USAGE_ERROR_CODE, `error: ${message}`);
}

/** Runs `parse`; whatever it throws becomes a usage error whose message is `prefix` and the error's message. */
export function parsedOrUsage<T>(parse: () => T, prefix = ''): T {
  try {
    return parse();
  } catch (error) {
    throw usageError(`${prefix}${(error as Error).message}`);
  }
}
