import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ObjectLockMode } from './backup-bucket';
import { maxLockDays, type RetentionPolicy } from './common/retention';
import { RETENTION_ENV } from './contracts/lambda-env';
import { APPLY_RETENTION_ACTIONS, RETENTION_TAG } from './contracts/retention-marking';
import { acknowledgeWildcards } from './nag';
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
      actions: [...APPLY_RETENTION_ACTIONS.bucket],
      resources: [props.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${props.prefix}/*`] } },
    }),
    new iam.PolicyStatement({
      sid: 'ReadAndTagBackups',
      actions: [...APPLY_RETENTION_ACTIONS.objects],
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
      // A folder of a few hundred objects takes seconds; the state's own timeout is the same.
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
    acknowledgeWildcards(role, [
      {
        resource: props.bucket.arnForObjects(`${props.prefix}/*`),
        reason:
          'Reads, tags and (with Object Lock) extends the lock of the objects under the prefix, never deletes: every backup of every database is a key under it, named per run.',
      },
    ]);
    this.fn = fn;
  }
}
