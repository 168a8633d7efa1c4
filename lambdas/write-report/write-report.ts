import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { keySegment } from '../../containers/common/keys';
import { renderReportFromStore, reportKeyFor } from '../../containers/report/report-store';
import { appendRunLog, readRunLog, runLogEntry, writeRunLog } from '../../containers/report/run-log';
import { redact } from '../../lib/common/redact';
import { databaseOutcomeSchema, type DatabaseOutcome } from '../../lib/contracts/run-record';
import { InvalidInput, PgProofError } from '../common/errors';
import type { LambdaLogger } from '../common/logger';
import type { ReportSettings } from './report-settings';

/** The longest error message this step throws: it reaches the run's state only through the Catch, kept small. */
const MAX_MESSAGE_CHARS = 300;

/** Reading, rendering or writing a database's report failed: the message names the step, object and S3 code. */
export class ReportNotWritten extends PgProofError {
  override readonly name = 'ReportNotWritten';
}

/** The event: one database's outcome of the run (the run Map's item result), the run id and reason. */
export interface WriteReportInput {
  readonly outcome: DatabaseOutcome;
  readonly runId: string;
  readonly reason?: string;
}

/** What goes back into the state machine's state (kept small: 200 of them sit beside the outcomes). */
export interface WriteReportOutput {
  /** The outcome's database id. */
  readonly database: string;
  readonly written: true;
  /** The report's key. */
  readonly key: string;
}

const inputSchema = z.looseObject({
  outcome: databaseOutcomeSchema,
  runId: z.string().min(1),
  reason: z.string().nullish(),
});

/** Parses the event, or throws `InvalidInput` saying what is wrong. */
export function parseWriteReportInput(event: unknown): WriteReportInput {
  const parsed = inputSchema.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInput(
      `the event must be { "outcome": <a database's outcome>, "runId": "<run id>", "reason"?: "<text>" }: ${issue?.path.join('.') || 'event'}: ${issue?.message}`,
    );
  }
  const { outcome, runId, reason } = parsed.data;
  return { outcome, runId, ...(typeof reason === 'string' ? { reason } : {}) };
}

/** The S3 error code of an SDK error (its name), or the HTTP status when it has none. */
function errorCode(error: unknown): string {
  const e = error as { name?: unknown; Code?: unknown; $metadata?: { httpStatusCode?: number } };
  if (typeof e?.Code === 'string' && e.Code) return e.Code;
  if (typeof e?.name === 'string' && e.name && e.name !== 'Error') return e.name;
  return e?.$metadata?.httpStatusCode ? `HTTP ${e.$metadata.httpStatusCode}` : 'unknown error';
}

/** Pure: the error of a failed step, naming the object and S3's code (never the SDK's text: ARNs, request ids). */
export function reportFailed(step: string, where: string, error: unknown): ReportNotWritten {
  const code = errorCode(error);
  const hint =
    code === 'AccessDenied' || code === 'HTTP 403'
      ? ": the function's role needs s3:GetObject/PutObject on the prefix (and kms:Decrypt/GenerateDataKey on the bucket's key)"
      : '';
  const message = redact(`${step} ${where} failed: ${code}${hint}`).slice(0, MAX_MESSAGE_CHARS);
  const failure = new ReportNotWritten(message, { cause: error });
  // The Lambda runtime reports the stack as the error's trace: one line keeps the state's copy of it small.
  failure.stack = `${failure.name}: ${message}`;
  return failure;
}

export interface WriteReportDeps {
  readonly s3: S3Client;
  readonly logger: LambdaLogger;
  readonly now: Date;
}

/**
 * Appends the run's record of one database to its run log (`<prefix>/<folder>/runs.json`), then renders that
 * database's report from the catalog and the run log and writes it to `<prefix>/<folder>/report.html`. The folder is
 * the database's name (the outcome names its id). A corrupt run log is replaced, with a warning.
 */
export async function writeReportInBucket(
  input: WriteReportInput,
  settings: ReportSettings,
  deps: WriteReportDeps,
): Promise<WriteReportOutput> {
  const id = input.outcome.database;
  const name = settings.names[id] ?? id;
  const location = { bucket: settings.bucket, prefix: settings.prefix };
  const folder = `s3://${settings.bucket}/${settings.prefix}/${keySegment(name)}/`;

  const log = await readRunLog(deps.s3, location, name).catch((error: unknown) => {
    throw reportFailed('reading the run log', `${folder}runs.json`, error);
  });
  if (log.corrupt)
    deps.logger.warn('run log replaced: it was not readable', {
      database: name,
      key: `${folder}runs.json`,
      why: log.corrupt,
    });
  const entry = runLogEntry(input.outcome, {
    runId: input.runId,
    name,
    finishedAt: deps.now,
    ...(input.reason !== undefined ? { reason: input.reason } : {}),
  });
  const runs = appendRunLog(log.runs, entry);
  await writeRunLog(deps.s3, location, name, runs).catch((error: unknown) => {
    throw reportFailed('writing the run log', `${folder}runs.json`, error);
  });

  const html = await renderReportFromStore(deps.s3, location, {
    databases: [name],
    now: deps.now,
    runLog: true,
    ...(settings.policy ? { policy: settings.policy } : {}),
  }).catch((error: unknown) => {
    throw reportFailed('reading the catalog of', folder, error);
  });
  const key = reportKeyFor(settings.prefix, name);
  await deps.s3
    .send(
      new PutObjectCommand({
        Bucket: settings.bucket,
        Key: key,
        Body: html,
        ContentType: 'text/html; charset=utf-8',
        // Each run replaces it: a browser or proxy should not show yesterday's.
        CacheControl: 'no-cache',
      }),
    )
    .catch((error: unknown) => {
      throw reportFailed('writing the report', `s3://${settings.bucket}/${key}`, error);
    });
  deps.logger.info('report written', {
    database: name,
    key,
    runs: runs.length,
    bytes: Buffer.byteLength(html, 'utf8'),
    status: entry.status,
  });
  return { database: id, written: true, key };
}
