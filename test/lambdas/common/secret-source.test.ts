import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createSecretsManagerSource } from '../../../lambdas/common/secret-source';
import { errorTexts, thrown } from '../../helpers/runs';

const secretsManager = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({ region: 'eu-west-1' });

describe('createSecretsManagerSource', () => {
  beforeEach(() => {
    secretsManager.reset();
  });
  afterAll(() => {
    secretsManager.restore();
  });

  it('reads a secret once and serves it from the cache afterwards', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'pgproof/chat' })
      .resolves({ SecretString: 'https://example.com/hook' });
    const source = createSecretsManagerSource({ client });

    // Act
    const values = [
      await source.getSecretString('pgproof/chat'),
      await source.getSecretString('pgproof/chat'),
      await source.getSecretString('pgproof/chat'),
    ];

    // Assess
    expect(values).toEqual(['https://example.com/hook', 'https://example.com/hook', 'https://example.com/hook']);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('reads again once the cache has expired', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'https://example.com/hook' });
    const source = createSecretsManagerSource({ client, maxAgeSeconds: 0 });

    await source.getSecretString('pgproof/chat');
    await source.getSecretString('pgproof/chat');

    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('decodes a binary secret as UTF-8', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretBinary: new TextEncoder().encode('https://example.com/binary') });

    expect(await createSecretsManagerSource({ client }).getSecretString('pgproof/bin')).toBe(
      'https://example.com/binary',
    );
  });

  it('throws SecretNotFound naming the secret when it does not exist', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(
        new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }),
      );

    const error = await thrown(() => createSecretsManagerSource({ client }).getSecretString('pgproof/missing-chat'));

    expect(error.name).toBe('SecretNotFound');
    expect(error.message).toBe(
      'secret "pgproof/missing-chat" was not found in Secrets Manager: create it (see docs/notifications.md) or fix the secret name',
    );
    expect((error.cause as Error).name).toBe('ResourceNotFoundException');
  });

  it('throws SecretReadFailed naming the secret and the SDK error when access is denied', async () => {
    secretsManager.on(GetSecretValueCommand).rejects(
      new SecretsManagerServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        message: 'not authorized',
        $metadata: {},
      }),
    );

    const error = await thrown(() => createSecretsManagerSource({ client }).getSecretString('pgproof/chat'));

    expect(error.name).toBe('SecretReadFailed');
    expect(error.message).toBe('reading secret "pgproof/chat" from Secrets Manager failed: AccessDeniedException');
  });

  it('does not cache a failure: the next call reads again', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'missing', $metadata: {} }))
      .resolves({ SecretString: 'https://example.com/now' });
    const source = createSecretsManagerSource({ client });

    expect(errorTexts(await thrown(() => source.getSecretString('pgproof/chat')))).toContain('SecretNotFound');
    expect(await source.getSecretString('pgproof/chat')).toBe('https://example.com/now');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });
});
