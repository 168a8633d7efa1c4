import type { Command } from 'commander';
import { say } from '../output';
import { addRunOptions, type RunFlags } from '../run-options';
import { parsedOrUsage } from '../usage-error';
import { applyWorkDir, removeLeftovers } from '../work-dirs';
import { ENGINE_ENV } from '../../../lib/contracts/engine-env';

/** `pgproof run --local`: one full run of the state machine on this machine, against the user's database. */
export function addRunCommand(program: Command): void {
  addRunOptions(
    program
      .command('run')
      .description('one full run of the state machine on this machine (backup, verify, chat, snitch)')
      .requiredOption('--local', 'run on this machine (the only mode; AWS runs start with `pgproof start`)')
      .option(
        '--database-url <url>',
        'postgres://user@host:5432/db, password in PGPASSWORD or ~/.pgpass (else $PGPROOF_DATABASE_URL, else the standard PG* variables)',
      ),
  ).action(async (flags: RunFlags & { databaseUrl?: string }) => {
    // Loaded here, not at start: `--help` and usage errors must not wait for the local runtime.
    const { runLocalCommand, validateRunFlags } = await import('../local-run-command');
    const { connectionFromEnv, connectionFromUrl, urlHasPassword } = await import(
      '../../../containers/common/pg-connection'
    );
    validateRunFlags(flags);
    const url = flags.databaseUrl ?? process.env.PGPROOF_DATABASE_URL;
    const connection = parsedOrUsage(
      () => (url ? connectionFromUrl(url) : connectionFromEnv()),
      `${flags.databaseUrl ? '--database-url' : url ? 'PGPROOF_DATABASE_URL' : 'the PG* variables'}: `,
    );
    if (flags.databaseUrl && urlHasPassword(flags.databaseUrl)) {
      say(
        'warning: --database-url holds a password, which every user of this machine can read in the process list (ps, /proc/<pid>/cmdline); put it in PGPASSWORD or ~/.pgpass, or the whole URL in PGPROOF_DATABASE_URL',
      );
    }
    applyWorkDir(flags);
    await removeLeftovers(process.env[ENGINE_ENV.workDir]);
    process.exitCode = await runLocalCommand(flags, connection);
  });
}
