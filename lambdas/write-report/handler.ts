import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../containers/common/s3';
import type { Environment } from '../common/env';
import { createLogger, type LambdaLogger } from '../common/logger';
import { reportSettingsFrom } from './report-settings';
import { parseWriteReportInput, type WriteReportOutput, writeReportInBucket } from './write-report';

export interface WriteReportHandlerDeps {
  readonly env?: Environment;
  readonly logger?: LambdaLogger;
  /** @default - a client for AWS S3 (or `PGPROOF_S3_ENDPOINT`), created on first use and kept for the container */
  readonly s3?: S3Client;
  /** @default - the current time, read per invocation */
  readonly clock?: () => Date;
}

// Created once per container: the logger and the S3 client.
const defaultLogger = createLogger('pgproof-write-report');
let defaultS3: S3Client | undefined;
/** The function's own client, created on first use and kept for the container's later invocations. */
function defaultS3Client(endpoint: string | undefined): S3Client {
  defaultS3 ??= createS3Client({ endpoint });
  return defaultS3;
}

/**
 * Builds a handler bound to its dependencies: the local runner passes a client for its embedded S3 server, tests
 * pass mocks. The environment is read per invocation, and a bad setting fails before anything is read.
 */
export function createWriteReportHandler(
  deps: WriteReportHandlerDeps = {},
): (event: unknown) => Promise<WriteReportOutput> {
  return async (event) => {
    const logger = deps.logger ?? defaultLogger;
    const settings = reportSettingsFrom(deps.env ?? process.env);
    const input = parseWriteReportInput(event);
    const s3 = deps.s3 ?? defaultS3Client(settings.s3Endpoint);
    try {
      return await writeReportInBucket(input, settings, { s3, logger, now: (deps.clock ?? (() => new Date()))() });
    } catch (error) {
      logger.error('writing the report failed', { database: input.outcome.database, error });
      throw error;
    }
  };
}

/**
 * The Lambda entry point: event `{ outcome, runId, reason? }` (one database's outcome of the run), result
 * `{ database, written: true, key }`. Writes `<prefix>/<database>/runs.json` and `report.html`; deletes nothing.
 */
export const handler = createWriteReportHandler();
