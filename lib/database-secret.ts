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
