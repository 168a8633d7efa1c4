import path from 'node:path';
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
      const { createS3Client } = await import('../../../containers/common/s3');
      const { EMBEDDED_S3_CREDENTIALS, startEmbeddedS3 } = await import('../../../lib/local/embedded-s3');
      const { readLocalConfigFile } = await import('../../../lib/local/local-config');
      const { retentionPolicyOf } = await import('../../../lib/config');
      const { backupRows, backupTable } = await import('../backup-list');
      let policy: ReturnType<typeof retentionPolicyOf>;
      try {
        policy = retentionPolicyOf(
          flags.config !== undefined ? await readLocalConfigFile(flags.config) : {},
          flags.config,
        );
      } catch (error) {
        throw usageError((error as Error).message);
      }
      const embedded = flags.local ? await startEmbeddedS3(path.resolve(flags.stateDir)) : undefined;
      try {
        const endpoint = embedded?.endpoint ?? flags.s3Endpoint;
        const storage = {
          bucket: embedded?.bucket ?? flags.bucket!,
          prefix: flags.prefix,
          ...(endpoint ? { endpoint } : {}),
        };
        const s3 = createS3Client(
          storage,
          embedded
            ? {
                accessKeyId: EMBEDDED_S3_CREDENTIALS.AWS_ACCESS_KEY_ID,
                secretAccessKey: EMBEDDED_S3_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
              }
            : undefined,
        );
        const catalog = await listBackups(s3, storage, flags.database);
        const now = new Date();
        const rows = backupRows(catalog, policy, now).filter(
          (r) => flags.database === undefined || r.database === flags.database,
        );
        print(flags.json ? JSON.stringify(rows, null, 2) : rows.length ? backupTable(rows, now) : 'no backups yet');
      } finally {
        await embedded?.stop();
      }
    });
}
