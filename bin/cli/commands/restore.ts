import path from 'node:path';
import type { Command } from 'commander';
import { interruptOnSignals } from '../interrupt';
import { print, say } from '../output';
import { usageError } from '../usage-error';
import { removeLeftovers } from '../work-dirs';
import { ENGINE_ENV } from '../../../lib/contracts/engine-env';
import { DEFAULT_KEY_PREFIX } from '../../../lib/common/defaults';

interface RestoreFlags {
  workDir?: string;
  backup: string;
  targetUrl: string;
  local?: boolean;
  stateDir: string;
  s3Endpoint?: string;
  bucket?: string;
  prefix: string;
  database?: string;
  force?: boolean;
  terminateConnections?: boolean;
  createRoles?: boolean;
  owner?: boolean;
  json?: boolean;
}

/** `pgproof restore`: the disaster restore of a backup into a target database. */
export function addRestoreCommand(program: Command): void {
  program
    .command('restore')
    .description("disaster restore: check the backup's SHA-256, then pg_restore it into a target database")
    .requiredOption('--backup <latest|KEY>', '`latest` (the newest verified backup) or a backup.key a run printed')
    .requiredOption(
      '--target-url <url>',
      'postgres://user:password@host:5432/database to restore into (should be empty)',
    )
    .option('--local', 'read the backup from the embedded S3 data under the state dir')
    .option('--state-dir <dir>', 'local state directory', '.pgproof')
    .option('--s3-endpoint <url>', 'an S3-compatible endpoint instead of AWS')
    .option('--bucket <name>', 'the backup bucket (AWS or --s3-endpoint)')
    .option('--prefix <prefix>', 'key prefix', DEFAULT_KEY_PREFIX)
    .option('--database <name>', 'with --backup latest: the source database whose backup to take')
    .option(
      '--force',
      'replace a non-empty target database: restore into a new database on the same server, check it, then swap it in and drop the old one',
    )
    .option(
      '--terminate-connections',
      'with --force: end other sessions on the target before the swap (else they are named and the restore refused)',
    )
    .option('--create-roles', 'create roles the backup refers to and the target lacks (NOLOGIN)')
    .option('--no-owner', "restore without owners and grants (for a target without the source's roles)")
    .option(
      '--work-dir <dir>',
      `where the downloaded archive is decompressed (needs room for the whole dump; default $${ENGINE_ENV.workDir} or the temp dir)`,
    )
    .option('--json', 'print the result as one JSON object on the last line of stdout')
    .action(async (flags: RestoreFlags) => {
      // With --json, a usage error also ends with a result object on stdout.
      const refuse = (message: string) => {
        if (flags.json)
          print(JSON.stringify({ status: 'FAILED', backup: flags.backup, error: { name: 'UsageError', message } }));
        return usageError(message);
      };
      if (!flags.local && !flags.bucket)
        throw refuse('restore needs --local or --bucket (with --s3-endpoint for S3-compatible servers)');
      // Loaded here, not at start: `--help` and usage errors must not wait for pg, the S3 client or s3rver.
      const { connectionFromUrl } = await import('../../../containers/common/pg-connection');
      const { restoreBackup } = await import('../../restore/restore-backup');
      const { targetStateOf } = await import('../../restore/restore-errors');
      const { createLogger } = await import('../../../containers/common/log');
      const { discoveryOptionsFromEnv } = await import('../../../containers/common/pg-tools');
      const { which } = await import('../../../containers/common/which');
      const { openCatalogStore } = await import('../catalog-store');
      const { describeRestore, describeRestoreFailure } = await import('../restore-output');
      await removeLeftovers(flags.workDir ?? process.env[ENGINE_ENV.workDir]);
      let target: ReturnType<typeof connectionFromUrl>;
      try {
        target = connectionFromUrl(flags.targetUrl);
      } catch (error) {
        throw refuse(`--target-url: ${(error as Error).message}`);
      }
      const interrupt = interruptOnSignals((signal) =>
        say(`\n${signal}: stopping the restore (ending pg_restore, removing the downloaded archive)…`),
      );
      const out = flags.json ? say : print;
      const workDir = flags.workDir ?? process.env[ENGINE_ENV.workDir];
      try {
        const { s3, storage, stop } = await openCatalogStore(flags);
        try {
          const result = await restoreBackup(
            {
              storage,
              backup: flags.backup,
              ...(flags.database ? { database: flags.database } : {}),
              target,
              force: Boolean(flags.force),
              terminateConnections: Boolean(flags.terminateConnections),
              roles: flags.owner === false ? 'skip-ownership' : flags.createRoles ? 'create' : 'require',
              discovery: discoveryOptionsFromEnv(),
              zstdPath: await which('zstd'),
              ...(workDir ? { workDir: path.resolve(workDir) } : {}),
            },
            {
              s3,
              logger: createLogger({ service: 'pgproof-restore', level: 'ERROR' }),
              signal: interrupt.signal,
              warn: say,
            },
          ).catch((error: unknown) => {
            const failure = describeRestoreFailure(error, flags.backup);
            if (interrupt.by) {
              say(
                `restore interrupted by ${interrupt.by}; ${targetStateOf(error)?.message ?? 'the target may hold a partial restore: drop it before trying again'}`,
              );
              process.exitCode = interrupt.exitCode;
            } else {
              for (const line of failure.lines) say(line);
              process.exitCode = failure.exitCode;
            }
            if (flags.json) print(JSON.stringify(failure.json));
            return undefined;
          });
          if (!result) return;
          for (const line of describeRestore(result)) out(line);
          if (flags.json) print(JSON.stringify({ status: 'SUCCEEDED', ...result }));
        } finally {
          await stop();
        }
      } finally {
        interrupt.dispose();
      }
    });
}
