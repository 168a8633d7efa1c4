import { Annotations, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { objectLockProblem } from './common/rules';

/** Object Lock mode for the backups: governance (privileged users may lift it) or compliance (nobody may). */
export type ObjectLockMode = 'GOVERNANCE' | 'COMPLIANCE';

export interface BackupBucketProps {
  /** The KMS key that encrypts the backups. */
  readonly encryptionKey: kms.IKey;
  /** How long a backup is kept before the lifecycle rule expires it. */
  readonly retention: Duration;
  /**
   * Object Lock retention applied to every new backup (versions cannot be deleted or overwritten before).
   * @default - no Object Lock
   */
  readonly objectLockRetention?: Duration;
  /** @default 'GOVERNANCE' */
  readonly objectLockMode?: ObjectLockMode;
  /** @default RemovalPolicy.RETAIN - the backups outlive the stack */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The backup bucket: SSE-KMS with a bucket key, Block Public Access, TLS-only, versioned, lifecycle expiry, incomplete
 * multipart uploads cleaned up, optional Object Lock, server access logs to a sibling bucket, retained by default.
 */
export class BackupBucket extends Construct {
  /** The bucket holding dumps, manifests and verification records. */
  public readonly bucket: s3.Bucket;
  /** The bucket receiving the backup bucket's server access logs. */
  public readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: BackupBucketProps) {
    super(scope, id);
    const retentionDays = props.retention.toDays();
    const lockDays = props.objectLockRetention?.toDays();
    const lockProblem =
      lockDays === undefined
        ? undefined
        : objectLockProblem(
            { field: 'objectLockRetention', days: lockDays },
            { field: 'retention', days: retentionDays },
          );
    if (lockProblem) throw new Error(lockProblem);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const destroy = removalPolicy === RemovalPolicy.DESTROY;

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      // S3 log delivery supports SSE-S3 only, not SSE-KMS.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // Ownership left to CDK: a bucket policy for log delivery (recommended flag) or the ACL it needs otherwise.
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(Math.max(retentionDays, 90)) }],
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
          id: 'expire-backups',
          expiration: Duration.days(retentionDays),
          // Versioning keeps overwritten or deleted versions as long as a backup is kept: an overwrite or delete
          // (by a compromised credential, say) loses nothing within the retention period.
          noncurrentVersionExpiration: Duration.days(retentionDays),
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
