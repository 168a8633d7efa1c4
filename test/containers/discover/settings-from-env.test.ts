import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverSettingsFromEnv, excludePatternsFromConfig } from '../../../containers/discover/settings-from-env';
import { clearSecrets, redact } from '../../../lib/common/redact';
import { ENGINE_ENV } from '../../../lib/contracts/engine-env';

const PASSWORD = 'Disc0ver-s3cret-Pw!';
const SECRET_ID = 'pgproof/db1';
const secretsManager = mockClient(SecretsManagerClient);
const secrets = () =>
  new SecretsManagerClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
const BASE = { PGHOST: 'db1.example', PGUSER: 'pgproof_backup', [ENGINE_ENV.bucket]: 'backups' };

async function failure(fn: () => Promise<unknown> | unknown): Promise<{ name: string; message: string }> {
  try {
    await fn();
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
  throw new Error('expected a failure');
}

beforeEach(() => {
  secretsManager.reset();
  clearSecrets();
});
afterEach(() => clearSecrets());

describe('excludePatternsFromConfig', () => {
  it('reads the top-level exclude list and ignores every other field, whatever the configuration form', () => {
    // GIVEN a keyed configuration with fields discovery does not know
    const text = JSON.stringify({ defaults: { checks: [] }, databases: 'all', exclude: ['tmp_*', '*_old'], x: 1 });
    // THEN
    expect(excludePatternsFromConfig(text)).toEqual(['tmp_*', '*_old']);
    expect(excludePatternsFromConfig(JSON.stringify({ checks: [] }))).toEqual([]);
    expect(excludePatternsFromConfig('')).toEqual([]);
    expect(excludePatternsFromConfig('  ')).toEqual([]);
  });

  it.each([
    ['{"exclude": "tmp_*"}', /exclude must be a list of non-empty glob patterns .*got "tmp_\*"/],
    ['{"exclude": ["tmp_*", 3]}', /exclude must be a list/],
    ['{"exclude": [""]}', /exclude must be a list of non-empty/],
    ['[]', /PGPROOF_CONFIG must be a JSON object, got an array/],
    ['{ nope', /PGPROOF_CONFIG is not valid JSON/],
  ])('refuses %s with a ConfigError naming the setting', async (text, message) => {
    const error = await failure(() => excludePatternsFromConfig(text));
    expect(error.name).toBe('ConfigError');
    expect(error.message).toMatch(message);
  });
});

describe('discoverSettingsFromEnv', () => {
  it('connects to the postgres database unless PGDATABASE names another, and reads bucket, prefix and exclusions', async () => {
    // WHEN
    const settings = await discoverSettingsFromEnv(
      {
        ...BASE,
        PGPASSWORD: PASSWORD,
        [ENGINE_ENV.prefix]: 'team/pg',
        [ENGINE_ENV.config]: '{"exclude":["scratch_*"]}',
        [ENGINE_ENV.runId]: '20261124T030000Z-0123456789',
      },
      secrets,
    );
    // THEN
    expect(settings.connection).toMatchObject({ host: 'db1.example', user: 'pgproof_backup', database: 'postgres' });
    expect(settings.storage).toMatchObject({ bucket: 'backups', prefix: 'team/pg' });
    expect(settings.exclude).toEqual(['scratch_*']);
    expect(settings.runId).toBe('20261124T030000Z-0123456789');
    const other = await discoverSettingsFromEnv({ ...BASE, PGDATABASE: 'admin' }, secrets);
    expect(other.connection.database).toBe('admin');
    expect(other.runId).toBeUndefined();
  });

  it('takes the password (and the host it lacks) from the database secret, registered for redaction', async () => {
    // GIVEN an RDS-style secret and no PGHOST
    secretsManager.on(GetSecretValueCommand, { SecretId: SECRET_ID }).resolves({
      SecretString: JSON.stringify({
        username: 'pgproof_backup',
        password: PASSWORD,
        host: 'rds.example',
        port: 6432,
      }),
    });
    const { PGHOST: _host, ...env } = BASE;
    // WHEN
    const settings = await discoverSettingsFromEnv({ ...env, [ENGINE_ENV.dbSecret]: SECRET_ID }, secrets);
    // THEN
    expect(settings.connection).toMatchObject({
      host: 'rds.example',
      port: 6432,
      password: PASSWORD,
      database: 'postgres',
    });
    expect(redact(`password ${PASSWORD}`)).toBe('password ***');
  });

  it('fails on an unreadable secret naming the secret, never a password', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));
    const error = await failure(() => discoverSettingsFromEnv({ ...BASE, [ENGINE_ENV.dbSecret]: SECRET_ID }, secrets));
    expect(error.name).toBe('ConfigError');
    expect(error.message).toContain(SECRET_ID);
  });

  it('fails fast on a missing bucket or a malformed run id', async () => {
    const { [ENGINE_ENV.bucket]: _bucket, ...noBucket } = BASE;
    expect((await failure(() => discoverSettingsFromEnv(noBucket, secrets))).message).toContain(ENGINE_ENV.bucket);
    const badRun = await failure(() => discoverSettingsFromEnv({ ...BASE, [ENGINE_ENV.runId]: 'today' }, secrets));
    expect(badRun).toMatchObject({ name: 'ConfigError', message: expect.stringContaining(ENGINE_ENV.runId) });
  });
});
