/**
 * The object tag apply-retention writes and the bucket's lifecycle rules read: each object of a backup carries the
 * rules that keep it joined with `+` (`daily+weekly+min`, `unverified`) or `expired`, and only `expired` is deleted.
 */
export const RETENTION_TAG = {
  /** The tag's key. */
  key: 'pgproof-retention',
  /** The value that lets the lifecycle rules delete the object. */
  expired: 'expired',
} as const;

/** S3 allows at most this many tags on one object. */
export const MAX_OBJECT_TAGS = 10;

/**
 * The IAM actions apply-retention calls, and nothing else (no delete of any kind, no version actions: no call passes
 * a VersionId). `bucket` on the bucket (conditioned on the `s3:prefix` of the backups), `objects` on
 * `<bucket>/<prefix>/*`, `objectLock` there too when an Object Lock mode is set; with SSE-KMS the role also needs
 * `kms:Decrypt` on the bucket's key (manifests and markers are read).
 */
export const APPLY_RETENTION_ACTIONS = {
  bucket: ['s3:ListBucket'],
  objects: ['s3:GetObject', 's3:GetObjectTagging', 's3:PutObjectTagging'],
  objectLock: ['s3:GetObjectRetention', 's3:PutObjectRetention'],
} as const;
