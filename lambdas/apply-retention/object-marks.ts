import {
  GetObjectRetentionCommand,
  GetObjectTaggingCommand,
  PutObjectRetentionCommand,
  PutObjectTaggingCommand,
  type ObjectLockRetention,
  type S3Client,
  type Tag,
} from '@aws-sdk/client-s3';
import type { ObjectLockMode } from '../../lib/contracts/lambda-env';
import { MAX_OBJECT_TAGS, RETENTION_TAG } from '../../lib/contracts/retention-marking';
import { ObjectMarkFailed, TooManyTags } from '../common/errors';

/** Where an object is: its bucket and key. */
export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
}

type S3Action = 'GetObjectTagging' | 'PutObjectTagging' | 'GetObjectRetention' | 'PutObjectRetention';

/** The S3 error code of an SDK error (its name), or the HTTP status when it has none. */
function errorCode(error: unknown): string {
  const e = error as { name?: unknown; Code?: unknown; $metadata?: { httpStatusCode?: number } };
  if (typeof e?.Code === 'string' && e.Code) return e.Code;
  if (typeof e?.name === 'string' && e.name && e.name !== 'Error') return e.name;
  return e?.$metadata?.httpStatusCode ? `HTTP ${e.$metadata.httpStatusCode}` : 'unknown error';
}

/** What a marking call did: wrote, found nothing to change, or found the object gone. */
export type MarkResult = 'written' | 'unchanged' | 'gone';

/**
 * Whether the object no longer exists: deleted (by the lifecycle rules, acting on an earlier `expired` tag) between
 * the listing and the call. S3 answers NoSuchKey, or MethodNotAllowed when a delete marker is the current version.
 */
function isGone(error: unknown): boolean {
  return ['NoSuchKey', 'NotFound', 'MethodNotAllowed', 'HTTP 404', 'HTTP 405'].includes(errorCode(error));
}

/**
 * The error for a failed call on one object: names the object, the action and the cause's code, never the SDK's
 * message (it may quote the role's ARN and request ids). AccessDenied names the permission to grant.
 */
export function markFailed(action: S3Action, object: ObjectRef, error: unknown): ObjectMarkFailed {
  const where = `s3://${object.bucket}/${object.key}`;
  const code = errorCode(error);
  if (code === 'AccessDenied' || code === 'HTTP 403')
    return new ObjectMarkFailed(
      `${action} on ${where} was denied (AccessDenied): the function's role needs s3:${action} on the backup prefix`,
      { cause: error },
    );
  const hint =
    code === 'InvalidRequest' && action.endsWith('Retention')
      ? ': is Object Lock enabled on the bucket? (the object lock mode is set, so the function locks kept backups)'
      : '';
  return new ObjectMarkFailed(`${action} on ${where} failed: ${code}${hint}`, { cause: error });
}

/**
 * Sets the `pgproof-retention` tag to `value`, keeping the object's other tags (S3 replaces the whole set). Writes
 * only when the value changes. Throws `TooManyTags` when the object already has S3's
 * maximum of other tags. No VersionId is passed: the call acts on the current version, with no version-tagging
 * permission needed.
 */
export async function setRetentionTag(s3: S3Client, object: ObjectRef, value: string): Promise<MarkResult> {
  let tags: Tag[];
  try {
    tags = (await s3.send(new GetObjectTaggingCommand({ Bucket: object.bucket, Key: object.key }))).TagSet ?? [];
  } catch (error) {
    if (isGone(error)) return 'gone';
    throw markFailed('GetObjectTagging', object, error);
  }
  if (tags.find((t) => t.Key === RETENTION_TAG.key)?.Value === value) return 'unchanged';
  const others = tags.filter((t) => t.Key !== RETENTION_TAG.key);
  if (others.length >= MAX_OBJECT_TAGS)
    throw new TooManyTags(
      `s3://${object.bucket}/${object.key} already has ${others.length} other tags, S3's maximum: remove one so pgproof can add its "${RETENTION_TAG.key}" tag`,
    );
  try {
    await s3.send(
      new PutObjectTaggingCommand({
        Bucket: object.bucket,
        Key: object.key,
        Tagging: { TagSet: [...others, { Key: RETENTION_TAG.key, Value: value }] },
      }),
    );
  } catch (error) {
    if (isGone(error)) return 'gone';
    throw markFailed('PutObjectTagging', object, error);
  }
  return 'written';
}

/** S3's answer to GetObjectRetention for an object that has no retention set. */
const NO_RETENTION = 'NoSuchObjectLockConfiguration';

/**
 * Extends the object's Object Lock retention to `until`, never shortening it: writes only when the object has no
 * retention or an earlier date. A retention still in force keeps its mode (changing a governance lock's mode would
 * need s3:BypassGovernanceRetention, which no role gets); otherwise `mode` applies.
 */
export async function extendObjectLock(
  s3: S3Client,
  object: ObjectRef,
  until: Date,
  mode: ObjectLockMode,
  now: Date,
): Promise<MarkResult> {
  let current: ObjectLockRetention | undefined;
  try {
    current = (await s3.send(new GetObjectRetentionCommand({ Bucket: object.bucket, Key: object.key }))).Retention;
  } catch (error) {
    if (isGone(error)) return 'gone';
    if (errorCode(error) !== NO_RETENTION) throw markFailed('GetObjectRetention', object, error);
  }
  const currentUntil = current?.RetainUntilDate;
  if (currentUntil && currentUntil.getTime() >= until.getTime()) return 'unchanged';
  const inForce = currentUntil !== undefined && currentUntil.getTime() > now.getTime() && current?.Mode !== undefined;
  try {
    await s3.send(
      new PutObjectRetentionCommand({
        Bucket: object.bucket,
        Key: object.key,
        Retention: { Mode: inForce ? current!.Mode : mode, RetainUntilDate: until },
      }),
    );
  } catch (error) {
    if (isGone(error)) return 'gone';
    throw markFailed('PutObjectRetention', object, error);
  }
  return 'written';
}
