import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { BackupNotFound, StorageError } from './errors';
import { databasePrefix, manifestKeyFor, runIdOfKey, verifiedKeyFor } from './keys';

export const tableStatSchema = z.object({
  schema: z.string(),
  name: z.string(),
  rows: z.number().int().min(0),
  /** Order-independent content hash (deep proof only). */
  contentHash: z.string().optional(),
});
export type TableStat = z.infer<typeof tableStatSchema>;

/** Everything verify and a human need to trust, restore and compare a dump (DESIGN.md §4). */
export const manifestSchema = z.object({
  manifestVersion: z.literal(1),
  runId: z.string(),
  database: z.string(),
  key: z.string(),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  format: z.literal('custom'),
  compression: z.discriminatedUnion('method', [
    z.object({ method: z.literal('zstd'), level: z.number(), threads: z.number() }),
    z.object({ method: z.literal('pg_dump'), level: z.number() }),
    z.object({ method: z.literal('none') }),
  ]),
  server: z.object({ version: z.string(), major: z.number().int(), encoding: z.string() }),
  pgDump: z.object({ version: z.string(), major: z.number().int() }),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** The snapshot's time (`now()` in the exporting transaction): what freshness checks measure against. */
  snapshotAt: z.string(),
  dumpSeconds: z.number().min(0),
  tables: z.array(tableStatSchema),
  largeObjects: z.number().int().min(0),
  /** Roles that exist on the source server; verify creates them so owners and grants restore as they are. */
  roles: z.array(z.string()),
  deepProof: z.boolean(),
  sizeGuard: z.object({
    maxShrink: z.number(),
    previousKey: z.string().optional(),
    previousBytes: z.number().optional(),
  }),
  reason: z.string().optional(),
  /** Bytes pg_dump wrote (the archive verify decompresses to disk); absent in manifests of older versions. */
  uncompressedBytes: z.number().int().min(0).optional(),
  /** `pg_database_size` in the snapshot (what the restored cluster will hold); absent in older manifests. */
  databaseBytes: z.number().int().min(0).optional(),
});
export type Manifest = z.infer<typeof manifestSchema>;

/** Written beside a dump only after it restored and passed every check. */
export const verificationRecordSchema = z.object({
  runId: z.string(),
  key: z.string(),
  verifiedAt: z.string(),
  restoreSeconds: z.number(),
  serverMajor: z.number().int(),
  tables: z.number().int(),
  rows: z.number().int(),
  checks: z.array(z.object({ name: z.string(), passed: z.boolean() })),
  deepProof: z.boolean(),
});
export type VerificationRecord = z.infer<typeof verificationRecordSchema>;

async function readBody(client: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await out.Body?.transformToString('utf8');
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) return undefined;
    throw new StorageError(`cannot read s3://${bucket}/${key}: ${e.name ?? ''} ${(error as Error).message}`, { cause: error });
  }
}

async function putJson(client: S3Client, bucket: string, key: string, value: unknown, kmsKeyId?: string): Promise<void> {
  try {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: JSON.stringify(value, null, 2) + '\n',
        ContentType: 'application/json',
        ...(kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: kmsKeyId } : {}),
      }),
    );
  } catch (error) {
    throw new StorageError(`cannot write s3://${bucket}/${key}: ${(error as Error).message}`, { cause: error });
  }
}

export function writeManifest(client: S3Client, bucket: string, manifest: Manifest, kmsKeyId?: string): Promise<void> {
  return putJson(client, bucket, manifestKeyFor(manifest.key), manifest, kmsKeyId);
}

export function writeVerificationRecord(client: S3Client, bucket: string, record: VerificationRecord, kmsKeyId?: string): Promise<void> {
  return putJson(client, bucket, verifiedKeyFor(record.key), record, kmsKeyId);
}

/** Reads and validates a manifest, given the dump key or the manifest key. */
export async function readManifest(client: S3Client, bucket: string, key: string): Promise<Manifest> {
  const manifestKey = key.endsWith('.manifest.json') ? key : manifestKeyFor(key);
  const text = await readBody(client, bucket, manifestKey);
  if (text === undefined) {
    throw new BackupNotFound(`no manifest at s3://${bucket}/${manifestKey}: the backup does not exist or did not complete`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new BackupNotFound(`the manifest s3://${bucket}/${manifestKey} is not valid JSON`, { cause: error });
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BackupNotFound(`the manifest s3://${bucket}/${manifestKey} is invalid: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  return parsed.data;
}

export async function readVerificationRecord(client: S3Client, bucket: string, key: string): Promise<VerificationRecord | undefined> {
  const text = await readBody(client, bucket, verifiedKeyFor(key));
  if (text === undefined) return undefined;
  const parsed = verificationRecordSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : undefined;
}

/** Every key under a prefix (all pages). */
export async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    let out;
    try {
      out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    } catch (error) {
      throw new StorageError(`cannot list s3://${bucket}/${prefix}: ${(error as Error).message}`, { cause: error });
    }
    for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** The newest manifest of a database that has a verification record, if any (the size guard's baseline). */
export async function newestVerifiedManifest(client: S3Client, bucket: string, prefix: string, database: string): Promise<Manifest | undefined> {
  const keys = await listKeys(client, bucket, databasePrefix(prefix, database));
  const verified = new Set(keys.filter((k) => k.endsWith('.verified.json')).map((k) => runIdOfKey(k)));
  const candidates = keys
    .filter((k) => k.endsWith('.manifest.json') && verified.has(runIdOfKey(k)))
    .sort((a, b) => (runIdOfKey(b) ?? '').localeCompare(runIdOfKey(a) ?? ''));
  for (const key of candidates) {
    let manifest: Manifest;
    try {
      manifest = await readManifest(client, bucket, key);
    } catch {
      // An unreadable manifest cannot serve as a baseline; try the next older one.
      continue;
    }
    // Different names can share a key folder ("my db", "my_db"): only the same database is a baseline.
    if (manifest.database === database) return manifest;
  }
  return undefined;
}
