import { Command, CommanderError } from 'commander';
import { addBackupsCommand } from './commands/backups';
import { addDemoCommand } from './commands/demo';
import { addHistoryCommand } from './commands/history';
import { addPruneCommand } from './commands/prune';
import { addReportCommand } from './commands/report';
import { addRestoreCommand } from './commands/restore';
import { addRunCommand } from './commands/run';
import { addStartCommand } from './commands/start';
import { addVerifyCommand } from './commands/verify';
import { say } from './output';
import { USAGE_ERROR_CODE, USAGE_EXIT_CODE } from './usage-error';

/**
 * The pgproof command line. Only commander and the command modules load here; each command imports its heavy
 * dependencies (aws-cdk-lib, the AWS SDK, s3rver, pg) when it runs, so `--help` answers at once.
 */
export function createProgram(version: string): Command {
  const program = new Command()
    .name('pgproof')
    .description('PostgreSQL backups proven by restoring them')
    .version(version, '-V, --version', 'print the pgproof version')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  addDemoCommand(program);
  addRunCommand(program);
  addHistoryCommand(program);
  addStartCommand(program);
  addRestoreCommand(program);
  addBackupsCommand(program);
  addPruneCommand(program);
  addVerifyCommand(program);
  addReportCommand(program);
  return program;
}

/**
 * The exit status for what a command threw, after telling the user: 0 after `--help`/`--version`, 2 for usage
 * errors (commander's and pgproof's), 1 for anything else.
 */
export function reportFailure(error: unknown): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
    // Commander has printed its own errors already; pgproof's usage errors are printed here.
    if (error.exitCode !== 0 && !/^error:/.test(error.message)) say(error.message);
    else if (error.code === USAGE_ERROR_CODE) say(error.message);
    return USAGE_EXIT_CODE;
  }
  const e = error as Error;
  say(`pgproof: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message ?? String(error)}`);
  return 1;
}
