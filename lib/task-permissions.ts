import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/**
 * Every permission the engines' task roles hold, built in one place so the tests can assert least privilege:
 * the backup task may list, write and read manifests but never delete; the verify task may read and write the
 * verification record only; neither may delete or change retention.
 */
export interface EngineAccess {
  readonly bucket: s3.IBucket;
  /** The key prefix of this pipeline's objects, e.g. `pgproof`. */
  readonly prefix: string;
  /** The key that encrypts new objects. @default - the bucket's default encryption (no KMS permissions) */
  readonly key?: kms.IKey;
  /** ARN of the state machine whose task tokens the tasks answer. */
  readonly stateMachineArn: string;
}

const objects = (access: EngineAccess, pattern: string) => access.bucket.arnForObjects(`${access.prefix}/${pattern}`);

function listUnderPrefix(access: EngineAccess): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'ListBackups',
    actions: ['s3:ListBucket'],
    resources: [access.bucket.bucketArn],
    conditions: { StringLike: { 's3:prefix': [`${access.prefix}/*`] } },
  });
}

function answerTaskToken(access: EngineAccess): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'ReportToStateMachine',
    actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
    resources: [access.stateMachineArn],
  });
}

/** Backup: list, upload (multipart, abort included: a failed dump must leave no object), read manifests and verification records. */
export function backupTaskStatements(access: EngineAccess): iam.PolicyStatement[] {
  const statements = [
    listUnderPrefix(access),
    new iam.PolicyStatement({
      sid: 'WriteBackups',
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      // Dumps, manifests and role definitions only: the backup task can never write a verification record (only a
      // proven restore may), nor any other object under the prefix.
      resources: [
        objects(access, '*.dump'),
        objects(access, '*.dump.zst'),
        objects(access, '*.manifest.json'),
        objects(access, '*.roles.sql'),
      ],
    }),
    new iam.PolicyStatement({
      sid: 'ReadManifests',
      actions: ['s3:GetObject'],
      resources: [objects(access, '*.manifest.json'), objects(access, '*.verified.json')],
    }),
    answerTaskToken(access),
  ];
  if (access.key) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'EncryptBackups',
        // Decrypt: multipart uploads with SSE-KMS and reading manifests need it.
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: [access.key.keyArn],
      }),
    );
  }
  return statements;
}

/** Verify: list and read everything under the prefix, write only `*.verified.json`. */
export function verifyTaskStatements(access: EngineAccess): iam.PolicyStatement[] {
  const statements = [
    listUnderPrefix(access),
    new iam.PolicyStatement({
      sid: 'ReadBackups',
      actions: ['s3:GetObject'],
      resources: [objects(access, '*')],
    }),
    new iam.PolicyStatement({
      sid: 'MarkVerified',
      actions: ['s3:PutObject'],
      resources: [objects(access, '*.verified.json')],
    }),
    answerTaskToken(access),
  ];
  if (access.key) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'DecryptBackups',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: [access.key.keyArn],
      }),
    );
  }
  return statements;
}

/**
 * Read access to the database secrets and nothing else: GetSecretValue on each exact ARN when it is complete, else
 * on `<partial ARN>-??????` (exactly the six-character suffix, never `*`: `name-*` would also match `name-old`);
 * and, for customer-managed keys, kms:Decrypt on those keys only through Secrets Manager in this region. One
 * statement each, listing every distinct secret and key (the caller passes each once).
 */
export function databaseSecretStatements(
  secrets: secretsmanager.ISecret | readonly secretsmanager.ISecret[],
  keys: kms.IKey | undefined | readonly kms.IKey[],
  region: string,
): iam.PolicyStatement[] {
  const secretList = Array.isArray(secrets) ? secrets : [secrets as secretsmanager.ISecret];
  const keyList = keys === undefined ? [] : Array.isArray(keys) ? keys : [keys as kms.IKey];
  const statements = [
    new iam.PolicyStatement({
      sid: 'ReadDatabaseSecret',
      actions: ['secretsmanager:GetSecretValue'],
      resources: secretList.map(secretPolicyResource),
    }),
  ];
  if (keyList.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'DecryptDatabaseSecret',
        actions: ['kms:Decrypt'],
        resources: keyList.map((k) => k.keyArn),
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
      }),
    );
  }
  return statements;
}

/** The IAM resource matching the secret: its complete ARN, or the partial ARN plus the six-character wildcard. */
export function secretPolicyResource(secret: secretsmanager.ISecret): string {
  return secret.secretFullArn ?? `${secret.secretArn}-??????`;
}
