import { Annotations, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DEFAULT_LOG_RETENTION_DAYS } from './common/defaults';
import type { ObjectLockMode } from './contracts/lambda-env';
import { RETENTION_TAG } from './contracts/retention-marking';

/** Object Lock mode for the backups: governance (privileged users may lift it) or compliance (nobody may). */
export type { ObjectLockMode };

export interface BackupBucketProps {
  /** The KMS key that encrypts the backups. */
  readonly encryptionKey: kms.IKey;
  /** How long an overwritten or expired version stays restorable before the lifecycle rule deletes it for good. */
  readonly noncurrentVersionRetention: Duration;
  /**
   * Object Lock retention applied to every new object (its version cannot be deleted before); the retention step
   * then locks each kept verified backup until its rules would let it go.
   * @default - no Object Lock
   */
  readonly objectLockRetention?: Duration;
  /** @default 'GOVERNANCE' */
  readonly objectLockMode?: ObjectLockMode;
  /** @default RemovalPolicy.RETAIN - the backups outlive the stack */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The backup bucket: SSE-KMS with a bucket key, Block Public Access, TLS-only, versioned, optional Object Lock, server
 * access logs to a sibling bucket, retained by default. Its lifecycle deletes only what the retention step tagged
 * `pgproof-retention=expired` (never by age alone), then expired versions after `noncurrentVersionRetention`, and
 * cleans up incomplete multipart uploads and orphaned delete markers.
 */
export class BackupBucket extends Construct {
  /** The bucket holding dumps, manifests and verification records. */
  public readonly bucket: s3.Bucket;
  /** The bucket receiving the backup bucket's server access logs. */
  public readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: BackupBucketProps) {
    super(scope, id);
    const lockDays = props.objectLockRetention?.toDays();
    if (lockDays !== undefined && (lockDays < 1 || !Number.isInteger(lockDays)))
      throw new Error(`objectLockRetention must be a whole number of days, at least 1; got ${lockDays}`);
    const noncurrentDays = props.noncurrentVersionRetention.toDays();
    if (noncurrentDays < 1 || !Number.isInteger(noncurrentDays))
      throw new Error(`noncurrentVersionRetention must be a whole number of days, at least 1; got ${noncurrentDays}`);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const destroy = removalPolicy === RemovalPolicy.DESTROY;

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      // S3 log delivery supports SSE-S3 only, not SSE-KMS.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // Ownership left to CDK: a bucket policy for log delivery (recommended flag) or the ACL it needs otherwise.
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(DEFAULT_LOG_RETENTION_DAYS) }],
      removalPolicy,
      autoDeleteObjects: false,
    });

    const objectLock =
      lockDays === undefined
        ? undefined
        : props.objectLockMode === 'COMPLIANCE'
          ? s3.ObjectLockRetention.compliance(Duration.days(lockDays))
          : s3.ObjectLockRetention.governance(Duration.days(lockDays));

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'backup-bucket/',
      ...(objectLock ? { objectLockEnabled: true, objectLockDefaultRetention: objectLock } : {}),
      lifecycleRules: [
        {
          // Only objects a verified run marked expired: a broken pipeline marks nothing, so it expires nothing.
          // Days count from the object's creation, so a marked object older than a day goes at the next daily pass.
          // A tag filter cannot carry the multipart or delete-marker actions (S3 refuses the rule): they are below.
          id: 'expire-marked-backups',
          tagFilters: { [RETENTION_TAG.key]: RETENTION_TAG.expired },
          expiration: Duration.days(1),
        },
        {
          // Expired, overwritten or deleted versions stay restorable this long (a mistaken expiry or a compromised
          // credential loses nothing within it); a version Object Lock still protects is kept until its lock ends.
          id: 'remove-noncurrent-versions',
          noncurrentVersionExpiration: Duration.days(noncurrentDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        { id: 'remove-expired-delete-markers', expiredObjectDeleteMarker: true },
      ],
      removalPolicy,
      autoDeleteObjects: false,
    });
    if (destroy) {
      // Deleting a versioned bucket with backups in it fails; say so now rather than at `cdk destroy`.
      Annotations.of(this).addWarningV2(
        'pgproof:bucketDestroy',
        'removalPolicy DESTROY: `cdk destroy` fails until the versioned backup bucket is emptied',
      );
    }
  }
}
