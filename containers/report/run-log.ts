// The run log of one database in the bucket (`<prefix>/<folder>/runs.json`): what the local history gives the report
// (status, failed state and error, figures) for runs in AWS, where no history file exists. Written by WriteReport.
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { redact } from '../../lib/common/redact';
import type { DatabaseRunRecord, RunError, RunStatus } from '../../lib/contracts/run-record';
import { keySegment } from '../common/keys';
import { runIdTime } from '../common/retention-plan';
import { joinKey } from '../common/s3';

/** The newest entries a run log keeps: two years of daily runs and some manual ones (about 400 bytes each). */
export const RUN_LOG_MAX_ENTRIES = 800;
/** The longest reason a run log keeps (the state machine caps it at 2,000; the report shows it nowhere yet). */
const MAX_LOG_REASON_CHARS = 200;
export const RUN_LOG_VERSION = 1;

const count = z.number().int().nonnegative();
const seconds = z.number().nonnegative();

/** One run of one database, as the run log keeps it: the fields of a history row the report reads. */
export const runLogEntrySchema = z.object({
  runId: z.string().min(1),
  /** The database's name (the report groups by it, as the manifests do). */
  database: z.string().min(1),
  startedAt: z.string().min(1),
  finishedAt: z.string().min(1).optional(),
  status: z.enum(['SUCCEEDED', 'FAILED']),
  reason: z.string().optional(),
  verifyBackup: z.string().optional(),
  isNew: z.boolean().optional(),
  backup: z.object({ key: z.string().min(1), bytes: count, seconds }).optional(),
  verify: z.object({ restoreSeconds: seconds, checks: count }).optional(),
  error: z.object({ state: z.string(), name: z.string(), message: z.string() }).optional(),
});
export type RunLogEntry = z.infer<typeof runLogEntrySchema>;

const runLogSchema = z.object({ version: z.literal(RUN_LOG_VERSION), runs: z.array(runLogEntrySchema) });

/** `<prefix>/<folder>/runs.json`: beside the database's backups and report (the catalog lists it as foreign). */
export function runLogKeyFor(prefix: string, database: string): string {
  return joinKey(prefix, keySegment(database), 'runs.json');
}

/** The fields of a database's outcome (`DatabaseOutcome`) the run log keeps. */
export interface OutcomeFields {
  readonly database: string;
  readonly status: RunStatus;
  readonly isNew?: boolean | undefined;
  readonly backup?: { readonly key: string; readonly bytes: number; readonly seconds: number } | undefined;
  readonly verify?: { readonly restoreSeconds: number; readonly checks: number } | undefined;
  readonly error?: RunError | undefined;
}

/** Pure: the run log entry of one database's outcome of run `runId` (errors masked again). */
export function runLogEntry(
  outcome: OutcomeFields,
  run: { runId: string; name: string; finishedAt: Date; reason?: string; verifyBackup?: string },
): RunLogEntry {
  const started = runIdTime(run.runId) ?? run.finishedAt;
  return {
    runId: run.runId,
    database: run.name,
    startedAt: started.toISOString(),
    finishedAt: run.finishedAt.toISOString(),
    status: outcome.status,
    ...(run.reason !== undefined ? { reason: redact(run.reason).slice(0, MAX_LOG_REASON_CHARS) } : {}),
    ...(run.verifyBackup !== undefined ? { verifyBackup: run.verifyBackup } : {}),
    ...(outcome.isNew !== undefined ? { isNew: outcome.isNew } : {}),
    ...(outcome.backup
      ? { backup: { key: outcome.backup.key, bytes: outcome.backup.bytes, seconds: outcome.backup.seconds } }
      : {}),
    ...(outcome.verify
      ? { verify: { restoreSeconds: outcome.verify.restoreSeconds, checks: outcome.verify.checks } }
      : {}),
    // Records hold no secret; masking again keeps one that slipped through out of a file anyone with read access sees.
    ...(outcome.error
      ? { error: { state: outcome.error.state, name: outcome.error.name, message: redact(outcome.error.message) } }
      : {}),
  };
}

/** What reading a run log found. */
export interface ParsedRunLog {
  readonly runs: readonly RunLogEntry[];
  /** Why the file's content was not used (it is then replaced): not JSON, or not a run log. */
  readonly corrupt?: string;
}

/** Pure: a run log's text → its entries; a text that is not a run log gives none and says why. */
export function parseRunLog(text: string): ParsedRunLog {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { runs: [], corrupt: 'not JSON' };
  }
  const parsed = runLogSchema.safeParse(json);
  if (!parsed.success)
    return { runs: [], corrupt: `not a version ${RUN_LOG_VERSION} run log (${parsed.error.issues[0]?.message})` };
  return { runs: parsed.data.runs };
}

/** Pure: `runs` with `entry` added (replacing an entry of the same run: a retried write adds nothing), oldest first, the newest `max` kept. */
export function appendRunLog(
  runs: readonly RunLogEntry[],
  entry: RunLogEntry,
  max: number = RUN_LOG_MAX_ENTRIES,
): RunLogEntry[] {
  const next = runs.filter((r) => r.runId !== entry.runId);
  next.push(entry);
  next.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.runId.localeCompare(b.runId));
  return next.slice(Math.max(0, next.length - max));
}

/** Pure: the text of a run log. */
export function runLogText(runs: readonly RunLogEntry[]): string {
  return `${JSON.stringify({ version: RUN_LOG_VERSION, runs })}\n`;
}

/** Pure: the entries as the report model reads history rows. */
export function runLogRecords(runs: readonly RunLogEntry[]): DatabaseRunRecord[] {
  return runs.map((r) => ({ ...r }));
}

const isMissing = (e: { name?: string; $metadata?: { httpStatusCode?: number } }) =>
  e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;

/** Reads a database's run log; a missing file is an empty log, a corrupt one an empty log saying why. */
export async function readRunLog(
  s3: S3Client,
  location: { bucket: string; prefix: string },
  database: string,
): Promise<ParsedRunLog> {
  try {
    const out = await s3.send(
      new GetObjectCommand({ Bucket: location.bucket, Key: runLogKeyFor(location.prefix, database) }),
    );
    return parseRunLog((await out.Body?.transformToString('utf8')) ?? '');
  } catch (error) {
    if (isMissing(error as never)) return { runs: [] };
    throw error;
  }
}

/** Writes a database's run log. */
export async function writeRunLog(
  s3: S3Client,
  location: { bucket: string; prefix: string },
  database: string,
  runs: readonly RunLogEntry[],
): Promise<string> {
  const key = runLogKeyFor(location.prefix, database);
  await s3.send(
    new PutObjectCommand({
      Bucket: location.bucket,
      Key: key,
      Body: runLogText(runs),
      ContentType: 'application/json; charset=utf-8',
    }),
  );
  return key;
}
