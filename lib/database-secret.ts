import { Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { secretIdForm } from './common/rules';

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

/**
 * The secret's id in the keyed task settings: the complete ARN, else the partial ARN or the name as configured.
 * Plain text rather than a CloudFormation reference, so the settings' size is known at synth.
 */
export function secretIdForSettings(secret: secretsmanager.ISecret): string {
  if (secret.secretFullArn !== undefined && !Token.isUnresolved(secret.secretFullArn)) return secret.secretFullArn;
  return Token.isUnresolved(secret.secretArn) ? secret.secretName : secret.secretArn;
}
