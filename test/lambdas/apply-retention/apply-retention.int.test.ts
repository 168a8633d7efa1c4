// apply-retention against the local S3 server, over backups written the way the engines write them.
import {
  GetObjectTaggingCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
  type Tag,
} from '@aws-sdk/client-s3';
import { describe, expect, it, vi } from 'vitest';
import { dumpKey, manifestKeyFor, rolesKeyFor, verifiedKeyFor } from '../../../containers/common/keys';
import { writeManifest, writeVerificationRecord, type Manifest } from '../../../containers/common/manifest';
import { createApplyRetentionHandler } from '../../../lambdas/apply-retention/handler';
import type { LambdaLogger } from '../../../lambdas/common/logger';
import { createBucket, testS3 } from '../../helpers/fixtures';

const PREFIX = 'pgproof';
const POLICY = { keepDaily: 2, keepWeekly: 0, keepMonthly: 0, keepYearly: 0, keepVerifiedMin: 1, unverifiedDays: 7 };
const NOW = new Date('2026-12-01T04:00:00Z');

const A = '20261201T030000Z-aaaaaaaaaa'; // verified, with role definitions: the run that just verified
const B = '20261130T030000Z-bbbbbbbbbb'; // verified
const C = '20261129T030000Z-cccccccccc'; // verified, a third day: expired
const D = '20261128T030000Z-dddddddddd'; // never verified, 3 days old
const F = '20261120T030000Z-ffffffffff'; // died before its manifest, 11 days old: expired
const OLD_BLOG = '20261001T030000Z-1111111111'; // another database's folder: not this run's business

const key = (database: string, runId: string) => dumpKey(PREFIX, database, runId, '.dump.zst');
const FOREIGN = `${PREFIX}/shop/README.txt`;

function manifestOf(database: string, runId: string): Manifest {
  return {
    manifestVersion: 1,
    runId,
    database,
    key: key(database, runId),
    bytes: 64,
    sha256: 'a'.repeat(64),
    format: 'custom',
    compression: { method: 'zstd', level: 1, threads: 0 },
    server: { version: '16.4', major: 16, encoding: 'UTF8' },
    pgDump: { version: '16.4', major: 16 },
    startedAt: '2026-11-24T03:00:00Z',
    finishedAt: '2026-11-24T03:01:00Z',
    snapshotAt: '2026-11-24T03:00:01Z',
    dumpSeconds: 60,
    tables: [],
    largeObjects: 0,
    roles: [],
    deepProof: false,
    sizeGuard: { maxShrink: 0.5 },
  };
}

async function put(s3: S3Client, bucket: string, objectKey: string, body: string | Buffer): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: body }));
}

/** A backup as the engines leave it: dump, manifest, and after a passed verification the marker. */
async function writeBackup(s3: S3Client, bucket: string, database: string, runId: string, verified: boolean) {
  const manifest = manifestOf(database, runId);
  await put(s3, bucket, manifest.key, Buffer.alloc(64, 7));
  await writeManifest(s3, bucket, manifest);
  if (verified)
    await writeVerificationRecord(s3, bucket, {
      runId,
      key: manifest.key,
      verifiedAt: '2026-11-24T03:05:00Z',
      restoreSeconds: 4,
      serverMajor: 16,
      tables: 0,
      rows: 0,
      checks: [{ name: 'row counts', passed: true }],
      deepProof: false,
      skippedExtensions: [],
    });
}

/** The bucket of the scenario above. */
async function seed(s3: S3Client): Promise<string> {
  const bucket = await createBucket('pgproof-mark');
  await writeBackup(s3, bucket, 'shop', A, true);
  await put(s3, bucket, rolesKeyFor(key('shop', A)), 'CREATE ROLE shop_owner;\n');
  await writeBackup(s3, bucket, 'shop', B, true);
  await writeBackup(s3, bucket, 'shop', C, true);
  await writeBackup(s3, bucket, 'shop', D, false);
  await put(s3, bucket, key('shop', F), Buffer.alloc(16));
  await put(s3, bucket, FOREIGN, 'notes');
  await writeBackup(s3, bucket, 'blog', OLD_BLOG, true);
  return bucket;
}

const objectsOf = (database: string, runId: string, endings: readonly string[]) =>
  endings.map((e) => key(database, runId).replace(/\.dump\.zst$/, e));
const ALL = ['.dump.zst', '.manifest.json', '.verified.json'];

async function tagsOf(s3: S3Client, bucket: string, objectKey: string): Promise<Record<string, string>> {
  const out = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: objectKey }));
  return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key, t.Value]));
}

const quietLogger: LambdaLogger = { debug() {}, info() {}, warn() {}, error() {} };

function handlerFor(s3: S3Client, bucket: string, now = NOW) {
  return createApplyRetentionHandler({
    env: { PGPROOF_BUCKET: bucket, PGPROOF_PREFIX: PREFIX, PGPROOF_RETENTION: JSON.stringify(POLICY) },
    s3,
    logger: quietLogger,
    clock: () => now,
  });
}

/** How many commands of each kind went through the client. */
function countCommands(s3: S3Client): Map<string, number> {
  const counts = new Map<string, number>();
  const send = s3.send.bind(s3);
  vi.spyOn(s3, 'send').mockImplementation(((command: { constructor: { name: string } }, ...rest: unknown[]) => {
    counts.set(command.constructor.name, (counts.get(command.constructor.name) ?? 0) + 1);
    return (send as (...args: unknown[]) => unknown)(command, ...rest);
  }) as typeof s3.send);
  return counts;
}

describe('apply-retention (local S3 server)', () => {
  it('tags every object of every backup and dead run in the folder, merging other tags; foreign objects untouched', async () => {
    // GIVEN the scenario, with B's dump already carrying two tags of its owner
    const s3 = testS3();
    const bucket = await seed(s3);
    await s3.send(
      new PutObjectTaggingCommand({
        Bucket: bucket,
        Key: key('shop', B),
        Tagging: {
          TagSet: [
            { Key: 'team', Value: 'data' },
            { Key: 'cost-center', Value: '42' },
          ],
        },
      }),
    );
    // WHEN the run that verified A applies retention
    const output = await handlerFor(s3, bucket)({ backupKey: key('shop', A) });
    // THEN three backups are kept, C and the dead run F expire, and each of their 13 objects got its tag
    expect(output).toEqual({ kept: 3, expired: 2, tagged: 13, locked: 0 });
    expect(JSON.stringify(output).length).toBeLessThan(200);
    const expected: Array<[string, string]> = [
      ...objectsOf('shop', A, [...ALL, '.roles.sql']).map((k) => [k, 'daily+min'] as [string, string]),
      ...objectsOf('shop', B, ALL).map((k) => [k, 'daily'] as [string, string]),
      ...objectsOf('shop', C, ALL).map((k) => [k, 'expired'] as [string, string]),
      ...objectsOf('shop', D, ['.dump.zst', '.manifest.json']).map((k) => [k, 'unverified'] as [string, string]),
      [key('shop', F), 'expired'],
    ];
    for (const [objectKey, value] of expected)
      expect((await tagsOf(s3, bucket, objectKey))['pgproof-retention'], objectKey).toBe(value);
    // AND B's own tags are still there
    expect(await tagsOf(s3, bucket, key('shop', B))).toEqual({
      team: 'data',
      'cost-center': '42',
      'pgproof-retention': 'daily',
    });
    // AND the foreign file and the other database's folder carry no tag
    expect(await tagsOf(s3, bucket, FOREIGN)).toEqual({});
    for (const objectKey of objectsOf('blog', OLD_BLOG, ALL)) expect(await tagsOf(s3, bucket, objectKey)).toEqual({});
  });

  it('writes no tag that is already right, and re-tags what a newer verified backup changes', async () => {
    // GIVEN the scenario marked once
    const s3 = testS3();
    const bucket = await seed(s3);
    await handlerFor(s3, bucket)({ backupKey: key('shop', A) });
    // WHEN the same run applies it again
    const counts = countCommands(s3);
    const again = await handlerFor(s3, bucket)({ backupKey: key('shop', A) });
    // THEN every object is read, none is written
    expect(again).toEqual({ kept: 3, expired: 2, tagged: 0, locked: 0 });
    expect(counts.get('GetObjectTaggingCommand')).toBe(13);
    expect(counts.get('PutObjectTaggingCommand')).toBeUndefined();
    vi.restoreAllMocks();
    // WHEN the next day's backup G verifies
    const G = '20261202T030000Z-9999999999';
    await writeBackup(s3, bucket, 'shop', G, true);
    const next = await handlerFor(s3, bucket, new Date('2026-12-02T04:00:00Z'))({ backupKey: key('shop', G) });
    // THEN G is daily+min, A only daily, B expires: G's 3 objects, A's 4 and B's 3 change
    expect(next).toEqual({ kept: 3, expired: 3, tagged: 10, locked: 0 });
    expect((await tagsOf(s3, bucket, key('shop', G)))['pgproof-retention']).toBe('daily+min');
    expect((await tagsOf(s3, bucket, rolesKeyFor(key('shop', A))))['pgproof-retention']).toBe('daily');
    expect((await tagsOf(s3, bucket, verifiedKeyFor(key('shop', B))))['pgproof-retention']).toBe('expired');
  });

  it('refuses with NotVerified and marks nothing when the backup is not verified, or not there', async () => {
    // GIVEN the scenario, never marked
    const s3 = testS3();
    const bucket = await seed(s3);
    const counts = countCommands(s3);
    // WHEN retention is asked after D (never verified) and after a backup that does not exist
    const unverified = handlerFor(s3, bucket)({ backupKey: key('shop', D) });
    await expect(unverified).rejects.toMatchObject({ name: 'NotVerified' });
    await expect(unverified).rejects.toThrow(/has no valid verified marker.*nothing was marked/);
    const missing = handlerFor(s3, bucket)({ backupKey: key('shop', '20261201T050000Z-0123456789') });
    await expect(missing).rejects.toMatchObject({ name: 'NotVerified' });
    await expect(missing).rejects.toThrow(/is not a complete backup in the catalog/);
    // THEN no tag was read or written
    expect(counts.get('GetObjectTaggingCommand')).toBeUndefined();
    expect(counts.get('PutObjectTaggingCommand')).toBeUndefined();
    vi.restoreAllMocks();
    expect(await tagsOf(s3, bucket, key('shop', C))).toEqual({});
  });

  it('fails naming the object when it already has 10 other tags', async () => {
    // GIVEN C's manifest carrying ten tags of its owner
    const s3 = testS3();
    const bucket = await seed(s3);
    const tenTags: Tag[] = Array.from({ length: 10 }, (_, i) => ({ Key: `owner-${i}`, Value: String(i) }));
    const crowded = manifestKeyFor(key('shop', C));
    await s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: crowded, Tagging: { TagSet: tenTags } }));
    // WHEN / THEN
    const run = handlerFor(s3, bucket)({ backupKey: key('shop', A) });
    await expect(run).rejects.toMatchObject({ name: 'TooManyTags' });
    await expect(run).rejects.toThrow(`s3://${bucket}/${crowded} already has 10 other tags`);
    // AND its tags are as they were
    expect(Object.keys(await tagsOf(s3, bucket, crowded))).toHaveLength(10);
  });
});
