import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

/**
 * The database password secret as the backup task reads it at run time (GetSecretValue with its task role).
 * Secrets Manager appends `-` and six random characters to every secret's ARN; an identifier whose name part ends
 * that way is read as a complete ARN, anything else as a name or partial ARN (AWS Secrets Manager API reference,
 * `SecretId`).
 */
const COMPLETE_ARN = /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:.+-[A-Za-z0-9]{6}$/;

export type SecretIdForm = 'name' | 'partial-arn' | 'complete-arn';

/** Which of the three forms a configured secret identifier is. */
export function secretIdForm(id: string): SecretIdForm {
  if (!id.startsWith('arn:')) return 'name';
  return COMPLETE_ARN.test(id) ? 'complete-arn' : 'partial-arn';
}

/** Imports the secret so that `secretFullArn` is set exactly when the complete ARN is known. */
export function importDatabaseSecret(scope: Construct, id: string, secretId: string): secretsmanager.ISecret {
  switch (secretIdForm(secretId)) {
    case 'name':
      return secretsmanager.Secret.fromSecretNameV2(scope, id, secretId);
    case 'partial-arn':
      return secretsmanager.Secret.fromSecretPartialArn(scope, id, secretId);
    case 'complete-arn':
      return secretsmanager.Secret.fromSecretCompleteArn(scope, id, secretId);
  }
}

/** What the task passes to GetSecretValue (`ENGINE_ENV.dbSecret`): the complete ARN when known, else the partial ARN. */
export function secretIdForTask(secret: secretsmanager.ISecret): string {
  return secret.secretFullArn ?? secret.secretArn;
}
