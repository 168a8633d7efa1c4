import type { Command } from 'commander';
import { print, say } from '../output';
import { DEFAULT_KEY_PREFIX } from '../../../lib/common/defaults';

interface PruneFlags {
  local?: boolean;
  stateDir: string;
  prefix: string;
  database?: string;
  config?: string;
  dryRun?: boolean;
  json?: boolean;
}

/** `pgproof prune --local`: deletes what the retention policy expires from the local state dir's backups. */
export function addPruneCommand(program: Command): void {
  program
    .command('prune')
    .description('delete the local backups the retention policy expires (never the newest verified ones)')
    .requiredOption(
      '--local',
      'the embedded S3 data under the state dir (the only mode: in AWS the bucket expires them)',
    )
    .option('--state-dir <dir>', 'local state directory', '.pgproof')
    .option('--prefix <prefix>', 'key prefix', DEFAULT_KEY_PREFIX)
    .option('--database <name>', "only this database's backups")
    .option('--config <file>', "the configuration whose `retention` to apply (default: the policy's defaults)")
    .option('--dry-run', 'say what would be deleted, delete nothing')
    .option('--json', 'print { deleted: [object keys], kept: [backup keys] }')
    .action(async (flags: PruneFlags) => {
      const { openCatalogStore, retentionPolicyFrom } = await import('../catalog-store');
      const { pruneBackups } = await import('../prune-backups');
      const policy = await retentionPolicyFrom(flags.config);
      const { s3, storage, stop } = await openCatalogStore(flags);
      try {
        const plan = await pruneBackups(s3, storage, policy, { database: flags.database, dryRun: flags.dryRun });
        const verb = flags.dryRun ? 'would delete' : 'deleted';
        if (flags.json) print(JSON.stringify({ ...plan, ...(flags.dryRun ? { dryRun: true } : {}) }));
        else {
          say(
            `${verb} ${plan.deleted.length} object${plan.deleted.length === 1 ? '' : 's'}; kept ${plan.kept.length} backup${plan.kept.length === 1 ? '' : 's'}`,
          );
          for (const key of plan.deleted) print(`${verb}: ${key}`);
        }
      } finally {
        await stop();
      }
    });
}
