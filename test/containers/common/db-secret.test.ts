import {
  DecryptionFailure,
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyDatabaseSecret, parseDatabaseSecret, resolveDatabaseEnv } from '../../../containers/common/db-secret';
import { connectionFromEnv } from '../../../containers/common/pg-connection';
import { clearSecrets, redact } from '../../../lib/common/redact';

const SECRET_ID = 'pgproof/orders/db-password';
const PASSWORD = 'Sup3r-s3cret-value!';
const secretsManager = mockClient(SecretsManagerClient);
/** Secrets Manager's AccessDeniedException is not modelled in the SDK: it arrives as a service exception by name. */
const accessDenied = (message: string) =>
  new SecretsManagerServiceException({ name: 'AccessDeniedException', $fault: 'client', message, $metadata: {} });
const client = () =>
  new SecretsManagerClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });

/** The message of what `fn` throws (and that it does not contain the password). */
async function failure(fn: () => Promise<unknown> | unknown): Promise<{ name: string; message: string }> {
  try {
    await fn();
  } catch (error) {
    const e = error as Error;
    expect(e.message).not.toContain(PASSWORD);
    return { name: e.name, message: e.message };
  }
  throw new Error('expected a failure');
}

beforeEach(() => {
  secretsManager.reset();
  clearSecrets();
});
afterEach(() => clearSecrets());

describe('parseDatabaseSecret', () => {
  it('takes a plain-text secret as the password and registers it for redaction', () => {
    // Act
    const secret = parseDatabaseSecret(PASSWORD, SECRET_ID);
    // Assess
    expect(secret).toEqual({ password: PASSWORD });
    expect(redact(`login failed with ${PASSWORD}`)).toBe('login failed with ***');
  });

  it('reads the configured JSON field', () => {
    const secret = parseDatabaseSecret(JSON.stringify({ pw: PASSWORD, note: 'x' }), SECRET_ID, 'pw');
    expect(secret).toEqual({ password: PASSWORD });
    expect(redact(PASSWORD)).toBe('***');
  });

  it('reads an RDS-style JSON secret with username, host, port and dbname', () => {
    const text = JSON.stringify({
      username: 'pgproof_backup',
      password: PASSWORD,
      engine: 'postgres',
      host: 'db.example.com',
      port: 5433,
      dbname: 'orders',
      dbClusterIdentifier: 'orders',
    });
    expect(parseDatabaseSecret(text, SECRET_ID)).toEqual({
      password: PASSWORD,
      username: 'pgproof_backup',
      host: 'db.example.com',
      port: 5433,
      dbname: 'orders',
    });
  });

  it('names the missing field, the secret and the setting, listing the fields present but never a value', async () => {
    const f = await failure(() => parseDatabaseSecret(JSON.stringify({ username: 'app', pass: PASSWORD }), SECRET_ID));
    expect(f.name).toBe('ConfigError');
    expect(f.message).toContain(`"${SECRET_ID}"`);
    expect(f.message).toContain('no non-empty string field "password"');
    expect(f.message).toContain('"username", "pass"');
    expect(f.message).toContain('PGPROOF_DB_SECRET_JSON_FIELD');
    expect(f.message).not.toContain('app"'); // values, even non-secret ones, stay out
  });

  it('refuses text that starts like JSON but is not, without quoting it', async () => {
    const f = await failure(() => parseDatabaseSecret(`{"password": "${PASSWORD}"`, SECRET_ID));
    expect(f.name).toBe('ConfigError');
    expect(f.message).toMatch(/starts with "\{" but is not valid JSON/);
    expect(f.message).toContain(SECRET_ID);
  });
});

describe('applyDatabaseSecret', () => {
  const rds = { password: PASSWORD, username: 'postgres', host: 'db.internal', port: 5433, dbname: 'orders' };

  it('fills what the environment leaves out from the secret, and nothing it sets', () => {
    // Arrange: ECS always sets host, port and database; the user is omitted in the config
    const env = {
      PGHOST: 'orders.cluster.example',
      PGPORT: '5432',
      PGDATABASE: 'billing',
      PGSSLMODE: 'verify-full' as const,
    };
    // Act
    const connection = connectionFromEnv(applyDatabaseSecret(env, rds, SECRET_ID));
    // Assess
    expect(connection).toMatchObject({
      host: 'orders.cluster.example',
      port: 5432,
      database: 'billing',
      user: 'postgres',
      password: PASSWORD,
      sslMode: 'verify-full',
    });
    expect(connectionFromEnv(applyDatabaseSecret({}, rds, SECRET_ID))).toMatchObject({
      host: 'db.internal',
      port: 5433,
      database: 'orders',
      user: 'postgres',
    });
  });

  it('keeps a configured user that equals the secret username', () => {
    expect(applyDatabaseSecret({ PGUSER: 'postgres' }, rds, SECRET_ID).PGUSER).toBe('postgres');
  });

  it('refuses a configured user that differs from the secret username, naming both fields', async () => {
    const f = await failure(() => applyDatabaseSecret({ PGUSER: 'pgproof_backup' }, rds, SECRET_ID));
    expect(f.name).toBe('ConfigError');
    expect(f.message).toContain('"pgproof_backup" (database.user / PGUSER)');
    expect(f.message).toContain('field "username" ("postgres")');
    expect(f.message).toContain(SECRET_ID);
  });
});

describe('resolveDatabaseEnv', () => {
  it('leaves the environment alone without PGPROOF_DB_SECRET (local runs use PGPASSWORD)', async () => {
    const env = { PGPASSWORD: 'local' };
    expect(await resolveDatabaseEnv(env, client)).toBe(env);
    expect(secretsManager.calls()).toHaveLength(0);
  });

  it('reads the secret by the id given, with the configured field', async () => {
    // Arrange
    secretsManager
      .on(GetSecretValueCommand, { SecretId: SECRET_ID })
      .resolves({ SecretString: JSON.stringify({ pw: PASSWORD }) });
    // Act
    const env = await resolveDatabaseEnv(
      { PGPROOF_DB_SECRET: SECRET_ID, PGPROOF_DB_SECRET_JSON_FIELD: 'pw', PGUSER: 'app' },
      client,
    );
    // Assess
    expect(env.PGPASSWORD).toBe(PASSWORD);
    expect(env.PGUSER).toBe('app');
  });

  it('refuses PGPASSWORD and PGPROOF_DB_SECRET together', async () => {
    const f = await failure(() => resolveDatabaseEnv({ PGPROOF_DB_SECRET: SECRET_ID, PGPASSWORD: 'x' }, client));
    expect(f.message).toMatch(/both PGPROOF_DB_SECRET and PGPASSWORD/);
  });

  it.each([
    [
      'a missing secret',
      new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }),
      'ConfigError',
      /does not exist in this account and region.*passwordSecretName \/ passwordSecretArn/,
    ],
    [
      'a role without GetSecretValue',
      accessDenied(
        'User: arn:aws:sts::123456789012:assumed-role/task/x is not authorized to perform: secretsmanager:GetSecretValue',
      ),
      'ConfigError',
      /access denied .*needs secretsmanager:GetSecretValue on this secret/,
    ],
    [
      'a KMS key the role may not use',
      accessDenied('Access to KMS is not allowed'),
      'ConfigError',
      /KMS key was denied.*passwordSecretKmsKeyArn/,
    ],
    [
      'a key that cannot decrypt',
      new DecryptionFailure({
        message: "Secrets Manager can't decrypt the protected secret text using the provided KMS key.",
        $metadata: {},
      }),
      'ConfigError',
      /could not decrypt.*passwordSecretKmsKeyArn/,
    ],
    [
      'an unreachable service',
      Object.assign(new Error('connect ETIMEDOUT 10.0.0.1:443'), { name: 'TimeoutError' }),
      'SecretReadFailed',
      /ETIMEDOUT.*NAT or a VPC endpoint/,
    ],
  ])('explains %s, naming the secret', async (_what, error, name, message) => {
    // Arrange
    secretsManager.on(GetSecretValueCommand).rejects(error);
    // Act
    const f = await failure(() => resolveDatabaseEnv({ PGPROOF_DB_SECRET: SECRET_ID }, client));
    // Assess
    expect(f.name).toBe(name);
    expect(f.message).toContain(`cannot read the database secret "${SECRET_ID}"`);
    expect(f.message).toMatch(message);
  });
});
