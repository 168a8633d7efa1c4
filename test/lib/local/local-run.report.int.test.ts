// A local run writes the AWS report too: each database's report.html and runs.json in the state dir's bucket.
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../../containers/common/s3';
import { type DemoSource, startDemoSource } from '../../../lib/local/demo-source';
import { EMBEDDED_S3_CREDENTIALS, startEmbeddedS3 } from '../../../lib/local/embedded-s3';
import { lastJson, pgproof } from '../../helpers/pgproof-process';

/** Reads objects of the state dir's embedded bucket (the runs have ended: the server is started for the reads). */
async function readObjects(stateDir: string, keys: readonly string[]) {
  const s3 = await startEmbeddedS3(stateDir);
  try {
    const client = createS3Client(
      { endpoint: s3.endpoint, region: 'us-east-1' },
      {
        accessKeyId: EMBEDDED_S3_CREDENTIALS.AWS_ACCESS_KEY_ID,
        secretAccessKey: EMBEDDED_S3_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
      },
    );
    const out: Record<string, { body: string; contentType?: string }> = {};
    for (const key of keys) {
      const head = await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
      const got = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
      out[key] = {
        body: await got.Body!.transformToString('utf8'),
        ...(head.ContentType ? { contentType: head.ContentType } : {}),
      };
    }
    return out;
  } finally {
    await s3.stop();
  }
}

describe('the report a local run writes to its bucket', () => {
  let dir: string;
  let source: DemoSource;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-awsreport-'));
    source = await startDemoSource(200);
  }, 120_000);
  afterAll(async () => {
    await source?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('`pgproof demo` leaves pgproof/shop/report.html and runs.json naming the run', { timeout: 240_000 }, async () => {
    const stateDir = path.join(dir, 'demo');
    const demo = await pgproof(['demo', '--state-dir', stateDir]);
    expect(demo.code, demo.stderr).toBe(0);
    const history = await pgproof(['history', '--local', '--state-dir', stateDir, '--json']);
    const { runId } = (JSON.parse(history.stdout) as Array<{ runId: string }>)[0]!;
    const objects = await readObjects(stateDir, [
      'pgproof/shop/report.html',
      'pgproof/shop/runs.json',
      'pgproof/blog/report.html',
    ]);
    const report = objects['pgproof/shop/report.html']!;
    expect(report.contentType).toBe('text/html; charset=utf-8');
    expect(report.body).toMatch(/^<!doctype html>/i);
    expect(report.body).toContain('<h2>shop</h2>');
    expect(report.body).not.toContain('<h2>blog</h2>');
    expect(report.body).toContain(runId);
    const log = JSON.parse(objects['pgproof/shop/runs.json']!.body);
    expect(log.runs).toEqual([
      expect.objectContaining({ runId, database: 'shop', status: 'SUCCEEDED', verify: expect.any(Object) }),
    ]);
    expect(objects['pgproof/blog/report.html']!.body).toContain('<h2>blog</h2>');
  });

  it("shows a failed database's state and error in its report, which the bucket alone could not", {
    timeout: 240_000,
  }, async () => {
    // GIVEN a run of two databases, one of which does not exist on the server
    const stateDir = path.join(dir, 'failed');
    const c = source.connection;
    const url = `postgres://${c.user}@${c.host}:${c.port}/shop?sslmode=disable`;
    const run = await pgproof(
      ['run', '--local', '--database-url', url, '--databases', 'shop,nosuchdb', '--state-dir', stateDir, '--json'],
      { env: { PGPASSWORD: c.password! } },
    );
    const record = lastJson(run);
    expect(record.status).toBe('FAILED');
    const failed = (record.databases as Array<{ database: string; error?: { state: string; name: string } }>).find(
      (d) => d.database === 'nosuchdb',
    )!;
    // THEN its report and run log exist though it has no backup, with the failed state and error
    const objects = await readObjects(stateDir, ['pgproof/nosuchdb/report.html', 'pgproof/nosuchdb/runs.json']);
    const html = objects['pgproof/nosuchdb/report.html']!.body;
    expect(html).toContain(String(record.runId));
    expect(html).toContain(failed.error!.state);
    expect(html).toContain(failed.error!.name);
    expect(html).toContain('the run log in the bucket');
    expect(JSON.parse(objects['pgproof/nosuchdb/runs.json']!.body).runs).toEqual([
      expect.objectContaining({ status: 'FAILED', error: expect.objectContaining({ state: failed.error!.state }) }),
    ]);
    // AND the password never reaches the bucket
    expect(html).not.toContain(c.password!);
    expect(objects['pgproof/nosuchdb/runs.json']!.body).not.toContain(c.password!);
  });
});
