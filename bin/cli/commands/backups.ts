import type { Command } from 'commander';
import { print } from '../output';
import { usageError } from '../usage-error';
import { DEFAULT_KEY_PREFIX } from '../../../lib/common/defaults';

interface BackupsFlags {
  local?: boolean;
  stateDir: string;
  s3Endpoint?: string;
  bucket?: string;
  prefix: string;
  database?: string;
  config?: string;
  json?: boolean;
}

/** `pgproof backups`: every backup in the bucket, verified or not, and what the retention policy keeps. */
export function addBackupsCommand(program: Command): void {
  program
    .command('backups')
    .description('list the backups in the bucket: date, size, verified, restore time, and the rule that keeps each')
    .option('--local', 'the embedded S3 data under the state dir')
    .option('--state-dir <dir>', 'local state directory', '.pgproof')
    .option('--s3-endpoint <url>', 'an S3-compatible endpoint instead of AWS')
    .option('--bucket <name>', 'the backup bucket (AWS or --s3-endpoint)')
    .option('--prefix <prefix>', 'key prefix', DEFAULT_KEY_PREFIX)
    .option('--database <name>', "only this database's backups")
    .option('--config <file>', "the configuration whose `retention` to apply (default: the policy's defaults)")
    .option('--json', 'print an array of { key, database, createdAt, bytes, verified, keptBy, expiresAt }')
    .action(async (flags: BackupsFlags) => {
      if (!flags.local && !flags.bucket) throw usageError('backups needs --local or --bucket');
      if (flags.local && flags.bucket) throw usageError('give --local or --bucket, not both');
      // Loaded here, not at start: `--help` must not wait for the S3 client or s3rver.
      const { listBackups } = await import('../../../containers/common/backup-catalog');
      const { openCatalogStore, retentionPolicyFrom } = await import('../catalog-store');
      const { backupRows, backupTable } = await import('../backup-list');
      const policy = await retentionPolicyFrom(flags.config);
      const { s3, storage, stop } = await openCatalogStore(flags);
      try {
        const catalog = await listBackups(s3, storage, flags.database);
        const now = new Date();
        const rows = backupRows(catalog, policy, now).filter(
          (r) => flags.database === undefined || r.database === flags.database,
        );
        print(flags.json ? JSON.stringify(rows, null, 2) : rows.length ? backupTable(rows, now) : 'no backups yet');
      } finally {
        await stop();
      }
    });
}
