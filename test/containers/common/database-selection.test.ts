import {
  GetSecretValueCommand,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupSettingsFromEnv } from '../../../containers/backup/settings-from-env';
import { discoveryTarget, selectDatabase, selectedDatabaseEnv } from '../../../containers/common/database-selection';
import { RDS_CA_BUNDLE_PATH } from '../../../containers/common/tls';
import { verifySettingsFromEnv } from '../../../containers/verify/settings-from-env';
import { clearSecrets } from '../../../lib/common/redact';
import type { FleetSettings } from '../../../lib/contracts/fleet-settings';

const PASSWORD = 'Sup3r-s3cret-value!';
const check = (name: string) => ({ name, sql: 'select 1', expect: { min: 1 } });
const secretsManager = mockClient(SecretsManagerClient);
const client = () =>
  new SecretsManagerClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });

/** Keyed settings as a fleet stack renders them: a shared connection, entries holding only what differs. */
const SETTINGS: FleetSettings = {
  defaults: { checks: [check('shared')], sizeGuard: { maxShrink: 0.3 } },
  connection: { host: 'db1.example', user: 'pgproof_backup', sslMode: 'require', passwordSecret: 'pgproof/db1' },
  databases: {
    orders: { name: 'orders' },
    billing: { name: 'billing', checks: [check('invoices')] },
    'eu-orders': { name: 'orders', connection: { host: 'db2.example', passwordSecret: 'pgproof/db2' } },
  },
};

const env = (settings: unknown, database?: string): Record<string, string> => ({
  PGPROOF_CONFIG: JSON.stringify(settings),
  PGPROOF_BUCKET: 'backups',
  ...(database === undefined ? {} : { PGPROOF_DATABASE: database }),
});

async function failure(fn: () => Promise<unknown> | unknown): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    expect((error as Error).message).not.toContain(PASSWORD);
    return error as Error;
  }
  throw new Error('expected a failure');
}

beforeEach(() => {
  secretsManager.reset();
  clearSecrets();
  // Each secret's password names the secret, so the test sees which one was read.
  secretsManager.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => ({
    SecretString: JSON.stringify({ password: `${PASSWORD}${input.SecretId}` }),
  }));
});
afterEach(() => clearSecrets());

describe('selectDatabase', () => {
  it('accepts a plain engine configuration (one database) and keeps PGPROOF_DATABASE as its id', () => {
    const plain = selectDatabase(env({ checks: [check('a')] }, 'orders'));
    expect(plain).toMatchObject({ id: 'orders', config: { checks: [check('a')] }, selected: undefined });
    expect(selectDatabase(env({})).id).toBeUndefined();
  });

  it("gives a database its own engine fields, replacing the defaults' (lists not concatenated)", () => {
    expect(selectDatabase(env(SETTINGS, 'billing')).config).toMatchObject({
      checks: [check('invoices')],
      sizeGuard: { maxShrink: 0.3 },
    });
    expect(selectDatabase(env(SETTINGS, 'orders')).config.checks).toEqual([check('shared')]);
  });

  it('selects the only database when PGPROOF_DATABASE is unset', () => {
    const one = { defaults: {}, databases: { orders: { name: 'orders' } } };
    expect(selectDatabase(env(one)).id).toBe('orders');
  });

  it.each<[string, unknown, string | undefined, RegExp]>([
    [
      'no id among several databases',
      SETTINGS,
      undefined,
      /PGPROOF_DATABASE is not set and the configuration holds 3 databases \(known ids: "orders", "billing", "eu-orders"\)/,
    ],
    [
      'an unknown id without discovery',
      SETTINGS,
      'inventory',
      /PGPROOF_DATABASE is "inventory", which is not a database of this configuration \(known ids: "orders", "billing", "eu-orders"\)/,
    ],
    [
      'an excluded name',
      { ...SETTINGS, exclude: ['tmp_*'] },
      'tmp_1',
      /PGPROOF_DATABASE is "tmp_1", which the configuration's "exclude" leaves out/,
    ],
    [
      'a bad merged engine field',
      { ...SETTINGS, databases: { orders: { name: 'orders', restoreJobs: 0 } } },
      'orders',
      /PGPROOF_CONFIG \(defaults \+ databases\.orders\): restoreJobs/,
    ],
    ['a bad structure', { defaults: {}, databases: { a: {} } }, 'a', /PGPROOF_CONFIG: databases\.a\.name/],
  ])('fails with a ConfigError on %s', async (_what, settings, id, message) => {
    const error = await failure(() => selectDatabase(env(settings, id)));
    expect(error.name).toBe('ConfigError');
    expect(error.message).toMatch(message);
  });

  it('treats an unlisted id as a discovered name when the fleet discovers: defaults + databaseSettings[name]', () => {
    const discovering: FleetSettings = {
      ...SETTINGS,
      databases: {},
      exclude: ['tmp_*'],
      databaseSettings: { inventory: { checks: [] } },
    };
    const inventory = selectDatabase(env(discovering, 'inventory'));
    expect(inventory).toMatchObject({
      id: 'inventory',
      config: { checks: [] },
      selected: { name: 'inventory', discovered: true },
    });
    expect(inventory.selected?.connection).toEqual(SETTINGS.connection);
    expect(selectDatabase(env(discovering, 'other')).config.checks).toEqual([check('shared')]);
  });
});

describe('backupSettingsFromEnv with keyed settings', () => {
  it("connects with the selected entry's connection and secret, the shared fields filling the rest", async () => {
    const orders = await backupSettingsFromEnv(env(SETTINGS, 'orders'), client);
    expect(orders).toMatchObject({
      database: 'orders',
      connection: { host: 'db1.example', database: 'orders', user: 'pgproof_backup', sslMode: 'require' },
    });
    expect(orders.connection.password).toBe(`${PASSWORD}pgproof/db1`);
    // Same name on another server, under its own id, with its own secret.
    const eu = await backupSettingsFromEnv(env(SETTINGS, 'eu-orders'), client);
    expect(eu).toMatchObject({ database: 'eu-orders', connection: { host: 'db2.example', database: 'orders' } });
    expect(eu.connection.password).toBe(`${PASSWORD}pgproof/db2`);
  });

  it('keeps the libpq variables as the fallback for fields the settings leave out (single-database stacks, local runs)', async () => {
    const keyed = { defaults: {}, databases: { orders: { name: 'orders' } } };
    const settings = await backupSettingsFromEnv(
      {
        ...env(keyed, 'orders'),
        PGHOST: 'local.example',
        PGPORT: '6432',
        PGUSER: 'me',
        PGDATABASE: 'ignored',
        PGPASSWORD: 'pw',
      },
      client,
    );
    expect(settings.connection).toMatchObject({ host: 'local.example', port: 6432, user: 'me', database: 'orders' });
    expect(secretsManager.calls()).toHaveLength(0);
  });

  it('with a plain configuration, refuses a PGPROOF_DATABASE other than PGDATABASE (never backs up the wrong one)', async () => {
    const other = await failure(() =>
      backupSettingsFromEnv(
        {
          ...env({ checks: [check('a')] }, 'billing'),
          PGHOST: 'local.example',
          PGDATABASE: 'orders',
          PGPASSWORD: 'pw',
        },
        client,
      ),
    );
    expect(other.message).toMatch(/PGPROOF_DATABASE is "billing" but PGDATABASE is "orders".*plain configuration/);
    const same = await backupSettingsFromEnv(
      { ...env({ checks: [check('a')] }, 'orders'), PGHOST: 'local.example', PGDATABASE: 'orders', PGPASSWORD: 'pw' },
      client,
    );
    expect(same.connection.database).toBe('orders');
    const noPgDatabase = await backupSettingsFromEnv(
      { ...env({ checks: [check('a')] }, 'billing'), PGHOST: 'local.example', PGPASSWORD: 'pw' },
      client,
    );
    expect(noPgDatabase).toMatchObject({ database: 'billing', connection: { database: 'billing' } });
  });

  it('takes host, port and user from an RDS-style secret when the configuration lacks them', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({
        username: 'admin',
        password: PASSWORD,
        host: 'rds.example',
        port: 5433,
        dbname: 'x',
      }),
    });
    const settings = {
      defaults: {},
      databases: { orders: { name: 'orders', connection: { passwordSecret: 'rds/master' } } },
    };
    const backup = await backupSettingsFromEnv(env(settings, 'orders'), client);
    // The configured name wins over the secret's dbname.
    expect(backup.connection).toMatchObject({ host: 'rds.example', port: 5433, user: 'admin', database: 'orders' });
  });

  it('fails naming the database and its secret when neither the configuration nor the secret gives a host', async () => {
    const settings = {
      defaults: {},
      databases: { orders: { name: 'orders', connection: { passwordSecret: 'pgproof/db1' } } },
    };
    const error = await failure(() => backupSettingsFromEnv(env(settings, 'orders'), client));
    expect(error.name).toBe('ConfigError');
    expect(error.message).toMatch(/database "orders" has no host: .*its secret "pgproof\/db1" gives one/);
  });

  it('fails one database with SecretUnreadable, naming the secret and the missing permission, never the value', async () => {
    secretsManager.on(GetSecretValueCommand, { SecretId: 'pgproof/db2' }).rejects(
      new SecretsManagerServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        message:
          'User: arn:aws:sts::123456789012:assumed-role/task/x is not authorized to perform: secretsmanager:GetSecretValue',
        $metadata: {},
      }),
    );
    const error = await failure(() => backupSettingsFromEnv(env(SETTINGS, 'eu-orders'), client));
    expect(error.name).toBe('SecretUnreadable');
    expect(error.message).toMatch(/cannot read the database secret "pgproof\/db2": access denied/);
    expect(error.message).toMatch(/needs secretsmanager:GetSecretValue on this secret/);
    // The other databases still read theirs.
    await expect(backupSettingsFromEnv(env(SETTINGS, 'orders'), client)).resolves.toMatchObject({ database: 'orders' });
  });
});

describe('discoveryTarget', () => {
  it("connects to the shared server's maintenance database and returns the exclude patterns", () => {
    const settings = { ...SETTINGS, databases: {}, exclude: ['tmp_*'] };
    const target = discoveryTarget(env(settings));
    expect(target.exclude).toEqual(['tmp_*']);
    expect(target.env).toMatchObject({
      PGHOST: 'db1.example',
      PGDATABASE: 'postgres',
      PGPROOF_DB_SECRET: 'pgproof/db1',
    });
    expect(() => discoveryTarget(env(SETTINGS))).toThrow(/does not discover its databases/);
  });
});

describe('selectedDatabaseEnv: TLS', () => {
  it("uses the image's RDS bundle for verify-full unless a CA file is configured, and none for require", () => {
    const settings = {
      defaults: {},
      connection: { host: 'h', sslMode: 'verify-full' },
      databases: {
        a: { name: 'a' },
        b: { name: 'b', connection: { sslMode: 'require' } },
        c: { name: 'c', connection: { sslRootCert: '/etc/ca.pem' } },
      },
    };
    const envOf = (id: string) => selectedDatabaseEnv({}, selectDatabase(env(settings, id)).selected);
    expect(envOf('a').PGSSLROOTCERT).toBe(RDS_CA_BUNDLE_PATH);
    expect(envOf('b').PGSSLROOTCERT).toBeUndefined();
    expect(envOf('c').PGSSLROOTCERT).toBe('/etc/ca.pem');
  });
});

describe('verifySettingsFromEnv with keyed settings', () => {
  it("verifies with the selected database's checks", async () => {
    const settings = await verifySettingsFromEnv({
      ...env(SETTINGS, 'billing'),
      PGPROOF_BACKUP_KEY: 'pgproof/billing/x.dump',
    });
    expect(settings).toMatchObject({ database: 'billing', config: { checks: [check('invoices')] } });
  });
});
