import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { manifestCompressionSchema } from './compression';
import { BackupNotFound, StorageError } from './errors';
import { manifestKeyFor, verifiedKeyFor } from './keys';

export const tableStatSchema = z.object({
  schema: z.string(),
  name: z.string(),
  rows: z.number().int().min(0),
  /** Order-independent content hash (deep proof only). */
  contentHash: z.string().optional(),
});
export type TableStat = z.infer<typeof tableStatSchema>;

/** Role attributes that matter to recreate a role the dump refers to (never a password). */
export const roleAttributesSchema = z.object({
  name: z.string(),
  superuser: z.boolean(),
  createdb: z.boolean(),
  createrole: z.boolean(),
  inherit: z.boolean(),
  replication: z.boolean(),
  bypassrls: z.boolean(),
});
export type RoleAttributes = z.infer<typeof roleAttributesSchema>;

/** The role-definitions object beside the dump (`<runId>.roles.sql`): its key, or why it could not be taken. */
export const roleDefinitionsSchema = z.object({
  key: z.string().optional(),
  sha256: z.string().optional(),
  error: z.string().optional(),
});
export type RoleDefinitions = z.infer<typeof roleDefinitionsSchema>;

/** One privilege on the database held by a role other than its owner (`grantee` null: PUBLIC). */
export const databaseGrantSchema = z.object({
  grantee: z.string().nullable(),
  privilege: z.enum(['CONNECT', 'TEMPORARY', 'CREATE']),
  grantable: z.boolean(),
});
export type DatabaseGrant = z.infer<typeof databaseGrantSchema>;

export const databaseSettingsSchema = z.object({
  /** `ALTER DATABASE … SET` (role null) and `ALTER ROLE … IN DATABASE … SET`, as stored in pg_db_role_setting. */
  settings: z.array(z.object({ role: z.string().nullable(), name: z.string(), value: z.string() })),
  comment: z.string().nullable(),
  /** The database's privileges of everyone but its owner (the default ACL spelled out when it was never changed). */
  grants: z.array(databaseGrantSchema),
});
export type DatabaseSettings = z.infer<typeof databaseSettingsSchema>;

/** Everything verify and a human need to trust, restore and compare a dump; written beside it as `<runId>.manifest.json`. */
export const manifestSchema = z.object({
  manifestVersion: z.literal(1),
  runId: z.string(),
  database: z.string(),
  key: z.string(),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  format: z.literal('custom'),
  compression: manifestCompressionSchema,
  server: z.object({ version: z.string(), major: z.number().int(), encoding: z.string() }),
  pgDump: z.object({ version: z.string(), major: z.number().int() }),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** The snapshot's time (`now()` in the exporting transaction): what freshness checks measure against. */
  snapshotAt: z.string(),
  dumpSeconds: z.number().min(0),
  tables: z.array(tableStatSchema),
  largeObjects: z.number().int().min(0),
  /**
   * Roles the dump refers to (owners, grantees, default privileges, policies, role settings of the database);
   * verify creates them so owners and grants restore as they are. Manifests written before this field meant
   * "every role of the server" read it the same way.
   */
  roles: z.array(z.string()),
  /** Attributes of the roles in `roles` (absent in older manifests: verify then creates plain NOLOGIN roles). */
  roleAttributes: z.array(roleAttributesSchema).optional(),
  /** Where the server's role definitions (`pg_dumpall --roles-only --no-role-passwords`) were stored, or why not. */
  roleDefinitions: roleDefinitionsSchema.optional(),
  /** Database-level settings, comment and grants, which pg_dump leaves out without `--create`. */
  databaseSettings: databaseSettingsSchema.optional(),
  deepProof: z.boolean(),
  /** How `tables[].contentHash` was computed (table-stats.ts); absent means version 1 (row text in column order). */
  hashVersion: z.union([z.literal(1), z.literal(2)]).optional(),
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
  /** RDS-only extensions the dump creates that the restore left out (absent in records of older versions). */
  skippedExtensions: z.array(z.string()).optional(),
});
export type VerificationRecord = z.infer<typeof verificationRecordSchema>;

async function readBody(client: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await out.Body?.transformToString('utf8');
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) return undefined;
    throw new StorageError(`cannot read s3://${bucket}/${key}: ${e.name ?? ''} ${(error as Error).message}`, {
      cause: error,
    });
  }
}

async function putJson(
  client: S3Client,
  bucket: string,
  key: string,
  value: unknown,
  kmsKeyId?: string,
): Promise<void> {
  try {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: `${JSON.stringify(value, null, 2)}\n`,
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

export function writeVerificationRecord(
  client: S3Client,
  bucket: string,
  record: VerificationRecord,
  kmsKeyId?: string,
): Promise<void> {
  return putJson(client, bucket, verifiedKeyFor(record.key), record, kmsKeyId);
}

/** Reads and validates a manifest, given the dump key or the manifest key. */
export async function readManifest(client: S3Client, bucket: string, key: string): Promise<Manifest> {
  const manifestKey = key.endsWith('.manifest.json') ? key : manifestKeyFor(key);
  const text = await readBody(client, bucket, manifestKey);
  if (text === undefined) {
    throw new BackupNotFound(
      `no manifest at s3://${bucket}/${manifestKey}: the backup does not exist or did not complete`,
    );
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
    throw new BackupNotFound(
      `the manifest s3://${bucket}/${manifestKey} is invalid: ${issue?.path.join('.')}: ${issue?.message}`,
    );
  }
  return parsed.data;
}

export async function readVerificationRecord(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<VerificationRecord | undefined> {
  const text = await readBody(client, bucket, verifiedKeyFor(key));
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // A marker that is not JSON proves nothing: the backup counts as unverified.
    return undefined;
  }
  const parsed = verificationRecordSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}
