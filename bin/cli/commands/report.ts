import type { Command } from 'commander';
import { say } from '../output';
import { usageError } from '../usage-error';
import { DEFAULT_KEY_PREFIX } from '../../../lib/common/defaults';
import type { DatabaseRunRecord } from '../../../lib/contracts/run-record';

interface ReportFlags {
  local?: boolean;
  stateDir: string;
  s3Endpoint?: string;
  bucket?: string;
  prefix: string;
  database?: string;
  days: string;
  config?: string;
  out?: string;
}

/** `report --days`: a whole number from 1 to 3660. */
export function parseDays(text: string): number {
  const days = Number(text);
  if (!Number.isInteger(days) || days < 1 || days > 3660)
    throw usageError(`--days must be a whole number from 1 to 3660, got "${text}"`);
  return days;
}

/** `pgproof report`: one self-contained HTML file with each database's sizes, times, checks and failures over time. */
export function addReportCommand(program: Command): void {
  program
    .command('report')
    .description(
      'write an HTML report: backup size, dump and restore time, checks and failures over time, per database',
    )
    .option('--local', 'the local state dir: its run history and embedded S3 data')
    .option('--state-dir <dir>', 'local state directory', '.pgproof')
    .option('--s3-endpoint <url>', 'an S3-compatible endpoint instead of AWS')
    .option(
      '--bucket <name>',
      'the backup bucket (AWS or --s3-endpoint): its backups, verifications and the run logs (runs.json) runs write',
    )
    .option('--prefix <prefix>', 'key prefix', DEFAULT_KEY_PREFIX)
    .option('--database <name>', 'only this database')
    .option('--days <n>', 'the period: the last N days', '90')
    .option('--config <file>', "the configuration whose `retention` to show (default: the policy's defaults)")
    .option('--out <file.html>', 'where to write the report')
    .action(async (flags: ReportFlags) => {
      if (!flags.local && !flags.bucket) throw usageError('report needs --local or --bucket');
      if (flags.local && flags.bucket) throw usageError('give --local or --bucket, not both');
      if (!flags.out) throw usageError('report needs --out FILE.html (where to write the report)');
      const days = parseDays(flags.days);
      // Loaded here, not at start: `--help` must not wait for the S3 client or s3rver.
      const path = await import('node:path');
      const { writeFile } = await import('node:fs/promises');
      const { reportModelFromStore } = await import('../../../containers/report/report-store');
      const { reportHtml } = await import('../../../containers/report/report-html');
      const { openCatalogStore, retentionPolicyFrom } = await import('../catalog-store');
      const policy = await retentionPolicyFrom(flags.config);
      let history: { runs: DatabaseRunRecord[]; runLevelRuns: DatabaseRunRecord[] } | undefined;
      if (flags.local) {
        const { readHistory } = await import('../../../lib/local/history');
        const { databaseRows } = await import('../../../lib/contracts/run-record');
        const records = await readHistory(path.resolve(flags.stateDir));
        // A run without database results is named by its own label, which need not be a database.
        history = {
          runs: records.filter((r) => r.databases?.length).flatMap(databaseRows),
          runLevelRuns: records.filter((r) => !r.databases?.length).flatMap(databaseRows),
        };
      }
      const { s3, storage, stop } = await openCatalogStore(flags);
      let model: Awaited<ReturnType<typeof reportModelFromStore>>;
      try {
        model = await reportModelFromStore(s3, storage, {
          ...(flags.database !== undefined ? { databases: [flags.database] } : {}),
          days,
          policy,
          // Without the local history, each database's run log in the bucket (written by every run) is the history.
          ...(history ?? { runLog: true }),
        });
      } finally {
        await stop();
      }
      const out = path.resolve(flags.out);
      try {
        await writeFile(out, reportHtml(model));
      } catch (error) {
        throw usageError(`cannot write the report to ${out}: ${(error as Error).message}`);
      }
      const runCount = model.databases.reduce((n, db) => n + db.runs.length, 0);
      say(
        `wrote ${out}: ${model.databases.length} database${model.databases.length === 1 ? '' : 's'}, ${runCount} run${runCount === 1 ? '' : 's'} in the last ${days} days`,
      );
    });
}
