// write-report against the local S3 server: the run log and the report of one database, beside its backups.
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { dumpKey } from '../../../containers/common/keys';
import { writeManifest, writeVerificationRecord, type Manifest } from '../../../containers/common/manifest';
import { renderReportFromStore } from '../../../containers/report/report-store';
import { RUN_LOG_VERSION } from '../../../containers/report/run-log';
import type { LambdaLogger } from '../../../lambdas/common/logger';
import { createWriteReportHandler } from '../../../lambdas/write-report/handler';
import { REPORT_ENV } from '../../../lib/contracts/lambda-env';
import { createBucket, testS3 } from '../../helpers/fixtures';
import { thrown } from '../../helpers/runs';

const PREFIX = 'pgproof';
const NOW = new Date('2026-12-01T04:00:00Z');
const A = '20261201T030000Z-aaaaaaaaaa'; // verified
const B = '20261130T030000Z-bbbbbbbbbb'; // failed at verification (no marker)
const PASSWORD = 's3cr3t-Passw0rd';

function manifestOf(database: string, runId: string): Manifest {
  return {
    manifestVersion: 1,
    runId,
    database,
    key: dumpKey(PREFIX, database, runId, '.dump.zst'),
    bytes: 64,
    sha256: 'a'.repeat(64),
    format: 'custom',
    compression: { method: 'zstd', level: 1, threads: 0 },
    server: { version: '16.4', major: 16, encoding: 'UTF8' },
    pgDump: { version: '16.4', major: 16 },
    startedAt: '2026-11-30T03:00:00Z',
    finishedAt: '2026-11-30T03:01:00Z',
    snapshotAt: '2026-11-30T03:00:01Z',
    dumpSeconds: 60,
    tables: [],
    largeObjects: 0,
    roles: [],
    deepProof: false,
    sizeGuard: { maxShrink: 0.5 },
  };
}

async function writeBackup(s3: S3Client, bucket: string, database: string, runId: string, verified: boolean) {
  const manifest = manifestOf(database, runId);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: manifest.key, Body: Buffer.alloc(64, 7) }));
  await writeManifest(s3, bucket, manifest);
  if (verified)
    await writeVerificationRecord(s3, bucket, {
      runId,
      key: manifest.key,
      verifiedAt: '2026-12-01T03:05:00Z',
      restoreSeconds: 4,
      serverMajor: 16,
      tables: 0,
      rows: 0,
      checks: [{ name: 'row counts', passed: true }],
      deepProof: false,
      skippedExtensions: [],
    });
}

const text = async (s3: S3Client, bucket: string, key: string) =>
  (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString('utf8');

function recordingLogger() {
  const warnings: Array<{ message: string; fields: Record<string, unknown> }> = [];
  const logger: LambdaLogger = {
    debug() {},
    info() {},
    warn: (message, ...extra) => warnings.push({ message, fields: Object.assign({}, ...extra) }),
    error() {},
  };
  return { logger, warnings };
}

const verifiedOutcome = (database: string, runId: string) => ({
  database,
  status: 'SUCCEEDED',
  isNew: false,
  backup: { key: dumpKey(PREFIX, database, runId, '.dump.zst'), bytes: 64, seconds: 60, sha256: 'a'.repeat(64) },
  verify: { restoreSeconds: 4, checks: 1, skippedExtensions: [], previous: null },
  retention: { kept: 1, expired: 0 },
});
const failedOutcome = (database: string, runId: string) => ({
  database,
  status: 'FAILED',
  isNew: false,
  backup: { key: dumpKey(PREFIX, database, runId, '.dump.zst'), bytes: 64, seconds: 60 },
  error: {
    state: 'VerifyBackup',
    name: 'RestoreFailed',
    message: `pg_restore: connection to "postgres://app:${PASSWORD}@db/shop" failed: password=${PASSWORD}`,
  },
});

function handlerFor(bucket: string, env: Record<string, string> = {}) {
  const { logger, warnings } = recordingLogger();
  const handler = createWriteReportHandler({
    env: { [REPORT_ENV.bucket]: bucket, [REPORT_ENV.prefix]: PREFIX, ...env },
    logger,
    s3: testS3(),
    clock: () => NOW,
  });
  return { handler, warnings };
}

describe('write-report', () => {
  it('appends each run to runs.json and writes an HTML report with the failure, its state and masked error', async () => {
    // GIVEN a database with one failed and one verified backup
    const s3 = testS3();
    const bucket = await createBucket('pgproof-report');
    await writeBackup(s3, bucket, 'shop', B, false);
    await writeBackup(s3, bucket, 'shop', A, true);
    const { handler } = handlerFor(bucket);
    // WHEN the failed run, then the verified one, write their reports (the failed one twice: a retried invocation)
    await handler({ outcome: failedOutcome('shop', B), runId: B, reason: 'scheduled' });
    await handler({ outcome: failedOutcome('shop', B), runId: B, reason: 'scheduled' });
    const out = await handler({ outcome: verifiedOutcome('shop', A), runId: A, reason: 'scheduled' });
    // THEN
    expect(out).toEqual({ database: 'shop', written: true, key: 'pgproof/shop/report.html' });
    const log = JSON.parse(await text(s3, bucket, 'pgproof/shop/runs.json'));
    expect(log.version).toBe(RUN_LOG_VERSION);
    expect(log.runs.map((r: { runId: string; status: string }) => [r.runId, r.status])).toEqual([
      [B, 'FAILED'],
      [A, 'SUCCEEDED'],
    ]);
    expect(log.runs[0]).toMatchObject({
      database: 'shop',
      startedAt: '2026-11-30T03:00:00.000Z',
      finishedAt: NOW.toISOString(),
      reason: 'scheduled',
      backup: { bytes: 64, seconds: 60 },
      error: { state: 'VerifyBackup', name: 'RestoreFailed' },
    });
    expect(log.runs[1]).toMatchObject({ verify: { restoreSeconds: 4, checks: 1 } });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'pgproof/shop/report.html' }));
    expect(head.ContentType).toBe('text/html; charset=utf-8');
    const html = await text(s3, bucket, 'pgproof/shop/report.html');
    expect(html).toMatch(/^<!doctype html>/i);
    for (const needle of [A, B, 'RestoreFailed', 'VerifyBackup', 'runs.json']) expect(html).toContain(needle);
    // The secret never reaches the bucket, in the log or the page
    expect(JSON.stringify(log)).not.toContain(PASSWORD);
    expect(html).not.toContain(PASSWORD);
  });

  it('reads a bucket without run logs as before: bucket-only, saying what it cannot show', async () => {
    const s3 = testS3();
    const bucket = await createBucket('pgproof-report');
    await writeBackup(s3, bucket, 'shop', A, true);
    const html = await renderReportFromStore(s3, { bucket, prefix: PREFIX }, { runLog: true, now: NOW });
    expect(html).toContain('A run that failed before it wrote a backup left nothing there');
    expect(html).not.toContain('the run log in the bucket');
  });

  it('writes to the folder of the database name when the fleet id differs, answering with the id', async () => {
    const bucket = await createBucket('pgproof-report');
    const { handler } = handlerFor(bucket, { [REPORT_ENV.databaseNames]: JSON.stringify({ 'shop-eu': 'shop' }) });
    const out = await handler({ outcome: { database: 'shop-eu', status: 'FAILED', isNew: null }, runId: B });
    expect(out).toEqual({ database: 'shop-eu', written: true, key: 'pgproof/shop/report.html' });
    const log = JSON.parse(await text(testS3(), bucket, 'pgproof/shop/runs.json'));
    expect(log.runs).toEqual([expect.objectContaining({ runId: B, database: 'shop', status: 'FAILED' })]);
  });

  it('replaces a corrupt run log with a warning, never failing the write', async () => {
    const s3 = testS3();
    const bucket = await createBucket('pgproof-report');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'pgproof/shop/runs.json', Body: '{"runs": [oops' }));
    const { handler, warnings } = handlerFor(bucket);
    await handler({ outcome: verifiedOutcome('shop', A), runId: A });
    expect(JSON.parse(await text(s3, bucket, 'pgproof/shop/runs.json')).runs).toHaveLength(1);
    expect(warnings).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('run log replaced'),
        fields: expect.objectContaining({ why: 'not JSON' }),
      }),
    ]);
  });

  it('fails with ReportNotWritten naming the object and S3 code, never the SDK text', async () => {
    const { handler } = handlerFor('pgproof-no-such-bucket-x1');
    const error = await thrown(() => handler({ outcome: verifiedOutcome('shop', A), runId: A }));
    expect(error).toMatchObject({ name: 'ReportNotWritten' });
    expect(error.message).toMatch(
      /^(reading|writing) the run log s3:\/\/pgproof-no-such-bucket-x1\/pgproof\/shop\/runs\.json failed: NoSuchBucket/,
    );
    // One line of trace: the state's copy of the error stays small
    expect(error.stack).toBe(`ReportNotWritten: ${error.message}`);
  });

  it('refuses an event that is not one outcome with a run id, and a missing bucket, before reading anything', async () => {
    const { handler } = handlerFor('unused');
    expect(await thrown(() => handler({ runId: A }))).toMatchObject({ name: 'InvalidInput' });
    expect(await thrown(() => handler({ outcome: { database: 'shop', status: 'MAYBE' }, runId: A }))).toMatchObject({
      name: 'InvalidInput',
    });
    const noBucket = createWriteReportHandler({ env: {}, s3: testS3() });
    expect(await thrown(() => noBucket({ outcome: verifiedOutcome('shop', A), runId: A }))).toMatchObject({
      name: 'MissingConfiguration',
      message: expect.stringContaining(REPORT_ENV.bucket),
    });
    const badNames = handlerFor('unused', { [REPORT_ENV.databaseNames]: '["shop"]' }).handler;
    expect(await thrown(() => badNames({ outcome: verifiedOutcome('shop', A), runId: A }))).toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining(REPORT_ENV.databaseNames),
    });
  });
});
