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
