// The report of databases from a bucket (and, locally, the run history): the one reader both runtimes call.
import type { S3Client } from '@aws-sdk/client-s3';
import type { RetentionPolicy } from '../../lib/common/retention';
import type { DatabaseRunRecord } from '../../lib/contracts/run-record';
import { type CatalogLocation, listBackups } from '../common/backup-catalog';
import { keySegment } from '../common/keys';
import { joinKey } from '../common/s3';
import { reportHtml } from './report-html';
import { buildReportModel, type ReportModel } from './report-model';
import { readRunLog, runLogRecords } from './run-log';

/** How many days a report covers unless told otherwise. */
export const DEFAULT_REPORT_DAYS = 90;

export interface ReportOptions {
  /** Only these databases (every database under the prefix when absent). */
  readonly databases?: readonly string[];
  /** The period, in days up to `now`. @default 90 */
  readonly days?: number;
  /** @default the current time */
  readonly now?: Date;
  /** The retention policy whose status to show. @default - no retention status */
  readonly policy?: RetentionPolicy;
  /** The run history's rows (local runtime); without them the report says what the bucket cannot tell. */
  readonly runs?: readonly DatabaseRunRecord[];
  /** The history's records of runs without per-database results (see `ReportInput.runLevelRuns`). */
  readonly runLevelRuns?: readonly DatabaseRunRecord[];
  /**
   * Read each database's run log (`<prefix>/<folder>/runs.json`, written by the AWS runs) as the history: failures
   * then show with their state and error. Ignored when `runs` is given. @default false
   */
  readonly runLog?: boolean;
}

/** The report model of `options.databases` (or all) from one listing of the bucket. */
export async function reportModelFromStore(
  s3: S3Client,
  location: CatalogLocation,
  options: ReportOptions = {},
): Promise<ReportModel> {
  // One database: list its folder only; several or all: one listing of the whole prefix.
  const only = options.databases?.length === 1 ? options.databases[0] : undefined;
  const catalog = await listBackups(s3, location, only);
  const logged =
    !options.runs && options.runLog ? await runLogsOf(s3, location, options.databases, catalog) : undefined;
  return buildReportModel({
    catalog,
    ...(options.runs ? { runs: options.runs } : {}),
    // No run log at all (a bucket from before them): the page says what the bucket alone cannot show.
    ...(logged?.length
      ? { runs: logged, historySource: 'the run log in the bucket (runs.json, one per database)' }
      : {}),
    ...(options.runLevelRuns ? { runLevelRuns: options.runLevelRuns } : {}),
    ...(options.policy ? { policy: options.policy } : {}),
    ...(options.databases ? { databases: options.databases } : {}),
    now: options.now ?? new Date(),
    days: options.days ?? DEFAULT_REPORT_DAYS,
  });
}

/** The run logs of `databases` (or of every database the catalog names), one GET each; a corrupt one counts as empty. */
async function runLogsOf(
  s3: S3Client,
  location: CatalogLocation,
  databases: readonly string[] | undefined,
  catalog: Awaited<ReturnType<typeof listBackups>>,
): Promise<DatabaseRunRecord[]> {
  const names = databases ?? [...new Set(catalog.backups.map((b) => b.database))];
  const runs: DatabaseRunRecord[] = [];
  // Folders are shared by names that map to the same key segment: keep each log's rows of the names asked for.
  for (const name of names) {
    const log = await readRunLog(s3, location, name);
    runs.push(...runLogRecords(log.runs).filter((r) => r.database === name));
  }
  return runs;
}

/** The self-contained HTML report of `options.databases` (or all) from a bucket. */
export async function renderReportFromStore(
  s3: S3Client,
  location: CatalogLocation,
  options: ReportOptions = {},
): Promise<string> {
  return reportHtml(await reportModelFromStore(s3, location, options));
}

/** `<prefix>/<database>/report.html`: a fixed key per database, beside its backups (the catalog lists it as foreign). */
export function reportKeyFor(prefix: string, database: string): string {
  return joinKey(prefix, keySegment(database), 'report.html');
}
