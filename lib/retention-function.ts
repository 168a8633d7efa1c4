import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ObjectLockMode } from './backup-bucket';
import { RETENTION_TAG } from './common/defaults';
import type { RetentionPolicy } from './common/retention';
import { RETENTION_ENV } from './contracts/lambda-env';
import { createPgProofFunction } from './pgproof-function';

export interface RetentionFunctionProps {
  readonly bucket: s3.IBucket;
  /** The key prefix of this deployment's objects. */
  readonly prefix: string;
  /** The key that encrypts the objects (manifests and markers are read). @default - none (no KMS permission) */
  readonly key?: kms.IKey;
  readonly policy: RetentionPolicy;
  /** The bucket's Object Lock mode: kept verified backups are then locked until their rules let them go. */
  readonly objectLockMode?: ObjectLockMode;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The longest lock the retention step may set, in days from now: a kept verified backup is locked until the end of
 * the longest rule keeping it (a month counted as 31 days, a year as 366), plus a day of rounding. The role's
 * condition refuses anything longer, so even a compromised function cannot lock a backup for a century.
 */
export function maxLockDays(policy: RetentionPolicy): number {
  return Math.max(policy.keepDaily, policy.keepWeekly * 7, policy.keepMonthly * 31, policy.keepYearly * 366, 1) + 1;
}

/**
 * The retention step's permissions: list the prefix, read every object (manifests, markers), read and write object
 * tags, and, with Object Lock, read and extend object retention in the bucket's mode up to `maxLockDays`. No delete
 * of any kind: the bucket's lifecycle rule deletes what this step tagged expired.
 */
export function retentionStatements(props: {
  readonly bucket: s3.IBucket;
  readonly prefix: string;
  readonly key?: kms.IKey;
  readonly policy: RetentionPolicy;
  readonly objectLockMode?: ObjectLockMode;
}): iam.PolicyStatement[] {
  const objects = props.bucket.arnForObjects(`${props.prefix}/*`);
  const statements = [
    new iam.PolicyStatement({
      sid: 'ListBackups',
      actions: ['s3:ListBucket'],
      resources: [props.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${props.prefix}/*`] } },
    }),
    new iam.PolicyStatement({
      sid: 'ReadAndTagBackups',
      actions: ['s3:GetObject', 's3:GetObjectTagging', 's3:PutObjectTagging'],
      resources: [objects],
    }),
  ];
  if (props.objectLockMode) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'ReadLocks',
        actions: ['s3:GetObjectRetention'],
        resources: [objects],
      }),
      new iam.PolicyStatement({
        sid: 'LockKeptBackups',
        // Without s3:BypassGovernanceRetention (nobody holds it) a retention can only be set or extended, never
        // shortened or removed; the conditions bound the mode and the length.
        actions: ['s3:PutObjectRetention'],
        resources: [objects],
        conditions: {
          StringEquals: { 's3:object-lock-mode': props.objectLockMode },
          NumericLessThanEquals: { 's3:object-lock-remaining-retention-days': String(maxLockDays(props.policy)) },
        },
      }),
    );
  }
  if (props.key) {
    statements.push(
      new iam.PolicyStatement({ sid: 'DecryptBackups', actions: ['kms:Decrypt'], resources: [props.key.keyArn] }),
    );
  }
  return statements;
}

/**
 * The Lambda of the ApplyRetention state: after a database verified, it applies the retention policy to that
 * database's backups by tagging every object `pgproof-retention=<rules>` or `=expired` (and locking kept verified
 * backups when the bucket has Object Lock). Its own role, no VPC (it talks to S3 only).
 */
export class RetentionFunction extends Construct {
  public readonly fn: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: RetentionFunctionProps) {
    super(scope, id);
    const { fn, role } = createPgProofFunction(this, 'ApplyRetention', {
      folder: 'apply-retention',
      description: `pgproof apply-retention: list, read and tag ${props.prefix}/ (${RETENTION_TAG.key}), no delete`,
      // A folder of a few hundred objects takes seconds; the state's own timeout is shorter than this.
      timeout: Duration.minutes(5),
      environment: {
        [RETENTION_ENV.bucket]: props.bucket.bucketName,
        [RETENTION_ENV.prefix]: props.prefix,
        [RETENTION_ENV.policy]: JSON.stringify(props.policy),
        ...(props.objectLockMode ? { [RETENTION_ENV.objectLockMode]: props.objectLockMode } : {}),
      },
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    for (const statement of retentionStatements(props)) role.addToPolicy(statement);
    this.fn = fn;
  }
}
