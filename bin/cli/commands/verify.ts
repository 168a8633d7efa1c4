import type { Command } from 'commander';
import { DEFAULT_KEY_PREFIX } from '../../../lib/common/defaults';
import { ENGINE_ENV } from '../../../lib/contracts/engine-env';
import { interruptOnSignals } from '../interrupt';
import { say } from '../output';
import type { RunFlags } from '../run-options';
import { addAwsOptions } from '../stack-options';
import { parsedOrUsage, usageError } from '../usage-error';
import { applyWorkDir, removeLeftovers } from '../work-dirs';

interface VerifyFlags {
  backup: string;
  database?: string;
  reason?: string;
  local?: boolean;
  databaseUrl?: string;
  config?: string;
  stateDir: string;
  s3Endpoint?: string;
  bucket?: string;
  prefix: string;
  chatWebhook?: string;
  workDir?: string;
  stack?: string;
  region?: string;
  profile?: string;
  json?: boolean;
}

/** The configuration file a stack was deployed from, when `--config` is not given (as `start` reads it). */
const DEPLOYED_CONFIG = 'pgproof.config.json';

/** `pgproof verify`: proves an existing backup again (restore and checks), locally or with a run in AWS. */
export function addVerifyCommand(program: Command): void {
  addAwsOptions(
    program
      .command('verify')
      .description(
        'verify an existing backup again (restore into a throwaway cluster, run the checks) without making a new one',
      )
      .requiredOption('--backup <latest|KEY>', '`latest` (the newest verified backup) or a key `pgproof backups` lists')
      .option('--database <name>', 'with --backup latest: the database whose backup to take')
      .option('--reason <text>', 'why, as the chat and the history show it (default: "started by hand")')
      .option('--local', 'run on this machine (as `run --local`), else start a run of the deployed state machine')
      .option(
        '--database-url <url>',
        'with --local: the server, as `run --local` takes it (only its database name labels the run; verify restores into a throwaway cluster)',
      )
      .option(
        '--config <file>',
        `with --local: the configuration whose checks apply (as \`run --local\`); in AWS: the file the stack was deployed from (default ${DEPLOYED_CONFIG})`,
      )
      .option('--state-dir <dir>', 'with --local: local S3 data and run history', '.pgproof')
      .option('--s3-endpoint <url>', 'an S3-compatible endpoint instead of the embedded server or AWS (with --bucket)')
      .option('--bucket <name>', 'the backup bucket (with --local: instead of the embedded S3; in AWS: for `latest`)')
      .option('--prefix <prefix>', 'key prefix', DEFAULT_KEY_PREFIX)
      .option('--chat-webhook <url>', 'with --local: post the chat message there (else it is printed)')
      .option(
        '--work-dir <dir>',
        `with --local: where verify decompresses and restores the backup (default $${ENGINE_ENV.workDir} or the temp dir)`,
      )
      .option('--stack <name>', 'in AWS: the deployed stack (default: PgProof-<name> from the configuration file)'),
  )
    .option('--json', 'print the result as one JSON object on the last line of stdout')
    .action(async (flags: VerifyFlags) => {
      if (flags.s3Endpoint && !flags.bucket) throw usageError('--s3-endpoint needs --bucket');
      // Loaded here, not at start: `--help` and usage errors must not wait for the AWS SDK or the local runtime.
      const { resolveBackupToVerify, verifyRunInput, verifyInAws } = await import('../verify-backup');
      const { openCatalogStore } = await import('../catalog-store');
      const store =
        flags.local || flags.bucket
          ? () => openCatalogStore({ ...flags, local: Boolean(flags.local) && !flags.bucket })
          : undefined;
      const backup = await resolveBackupToVerify(flags.backup, flags.database, store).catch((error: unknown) => {
        if ((error as Error).name === 'BackupNotFound') throw usageError((error as Error).message);
        throw error;
      });
      const input = verifyRunInput(backup.key, flags.reason);
      if (flags.local) {
        process.exitCode = await verifyLocally(flags, input, backup.database);
        return;
      }
      const { deployedStateMachineOrUsage } = await import('../deployed-stack');
      const { stateMachineArn, sfn } = await deployedStateMachineOrUsage({
        ...flags,
        config: flags.config ?? DEPLOYED_CONFIG,
      });
      const interrupt = interruptOnSignals((_signal, why) =>
        say(`\n${why}: no longer following the execution (it goes on in AWS)…`),
      );
      try {
        const code = await verifyInAws({
          sfn,
          stateMachineArn,
          input,
          json: Boolean(flags.json),
          signal: interrupt.signal,
        });
        process.exitCode = interrupt.exitCode ?? code;
      } finally {
        interrupt.dispose();
      }
    });
}

/** `run --local` with the re-verification's input: the same definition, engines and history. */
async function verifyLocally(
  flags: VerifyFlags,
  input: { verifyBackup: string; reason?: string },
  database: string,
): Promise<number> {
  const { runLocalCommand } = await import('../local-run-command');
  const { connectionFromEnv, connectionFromUrl } = await import('../../../containers/common/pg-connection');
  const url = flags.databaseUrl ?? process.env.PGPROOF_DATABASE_URL;
  const server = parsedOrUsage(
    () => (url ? connectionFromUrl(url) : connectionFromEnv()),
    `${flags.databaseUrl ? '--database-url' : url ? 'PGPROOF_DATABASE_URL' : 'the PG* variables'}: `,
  );
  const runFlags: RunFlags = {
    stateDir: flags.stateDir,
    prefix: flags.prefix,
    ...(flags.config !== undefined ? { config: flags.config } : {}),
    ...(flags.s3Endpoint !== undefined ? { s3Endpoint: flags.s3Endpoint } : {}),
    ...(flags.bucket !== undefined ? { bucket: flags.bucket } : {}),
    ...(flags.chatWebhook !== undefined ? { chatWebhook: flags.chatWebhook } : {}),
    ...(flags.workDir !== undefined ? { workDir: flags.workDir } : {}),
    ...(flags.json ? { json: true } : {}),
  };
  applyWorkDir(runFlags);
  await removeLeftovers(process.env[ENGINE_ENV.workDir]);
  // The run is labelled by the backup's database: the server's own database is not what it proves.
  return runLocalCommand(runFlags, { ...server, database }, { input: { ...input } });
}
