import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/common/errors';
import { databaseIds, describeDatabases, parseConfig, resolveFleet } from '../../lib/config';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pgproof/db2-AbCdEf';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const check = (name: string) => ({ name, sql: 'select 1', expect: { min: 1 } });

/** A valid fleet configuration: a shared connection, a name, an entry with checks, a database on another server. */
const fleet = () => ({
  name: 'prod',
  checks: [check('shared')],
  connection: { host: 'db1.example', user: 'pgproof_backup', passwordSecretName: 'pgproof/db1' },
  databases: [
    'orders',
    { name: 'billing', checks: [check('invoices')] },
    { id: 'eu-orders', name: 'orders_eu', host: 'db2.example', passwordSecretArn: SECRET_ARN },
  ],
  vpc: {
    vpcId: 'vpc-0123456789abcdef0',
    privateSubnetIds: ['subnet-0123456789abcdef0'],
    availabilityZones: ['eu-west-1a'],
  },
  chatWebhookSecretName: 'pgproof/chat',
  snitchUrlSecretName: 'pgproof/snitch',
});

/** Today's single-database form. */
const single = () => {
  const { connection: _c, databases: _d, ...rest } = fleet();
  return {
    ...rest,
    database: { host: 'db.internal', name: 'orders', user: 'pgproof', passwordSecretName: 'orders/db' },
  };
};

function withChange(edit: (c: any) => void, base: () => object = fleet) {
  const c: any = structuredClone(base());
  edit(c);
  return c;
}

describe('parseConfig: the fleet fields', () => {
  it('accepts connection + databases and defaults maxConcurrency to 4', () => {
    const config = parseConfig(fleet());
    expect(config.maxConcurrency).toBe(4);
    expect(config.database).toBeUndefined();
    expect(parseConfig(withChange((c) => (c.maxConcurrency = 40))).maxConcurrency).toBe(40);
  });

  it('accepts "all" with exclude and databaseSettings', () => {
    const config = parseConfig(
      withChange((c) => {
        c.databases = 'all';
        c.exclude = ['template*', 'rdsadmin', 'tmp_?'];
        c.databaseSettings = { billing: { checks: [check('invoices')], deepProof: true } };
      }),
    );
    expect(config.databases).toBe('all');
    expect(config.databaseSettings?.billing).toMatchObject({ deepProof: true });
  });

  it('accepts 200 databases', () => {
    const names = Array.from({ length: 200 }, (_, i) => `db${i}`);
    expect(databaseIds(parseConfig(withChange((c) => (c.databases = names))))).toHaveLength(200);
  });

  it.each<[string, (c: any) => void, RegExp, (() => object)?]>([
    [
      '"database" with "databases"',
      (c) => (c.databases = ['orders']),
      /databases: "database" and "databases" cannot both be given/,
      single,
    ],
    [
      '"database" with "connection"',
      (c) => (c.connection = { host: 'x' }),
      /connection: "database" and "connection" cannot both be given/,
      single,
    ],
    [
      'neither "database" nor "databases"',
      (c) => delete c.databases,
      /databases: give "database" \(one database\) or "databases"/,
    ],
    ['an empty list', (c) => (c.databases = []), /databases: at least one database/],
    ['a word other than "all"', (c) => (c.databases = 'every'), /databases: "all" or a list .*got "every"/],
    ['an empty name', (c) => c.databases.push(''), /databases\.3\.name: the database name/],
    [
      'more than 200 databases',
      (c) => (c.databases = Array.from({ length: 201 }, (_, i) => `db${i}`)),
      /databases: at most 200 databases per deployment .*got 201/,
    ],
    [
      'a duplicate id (two entries resolving to the same name)',
      (c) => c.databases.push({ name: 'billing', host: 'db3.example' }),
      /databases\.3\.id: duplicate id "billing": databases\.1 and databases\.3 both resolve to it/,
    ],
    [
      'two same-named databases, even on different servers with distinct ids (backups are stored by name)',
      (c) => c.databases.push({ id: 'us-orders', name: 'orders', host: 'db3.example' }),
      /databases\.3\.name: databases\.0 and databases\.3 are both named "orders": backups are stored under the database's name/,
    ],
    [
      'a duplicate explicit id',
      (c) => (c.databases[1].id = 'eu-orders'),
      /databases\.2\.id: duplicate id "eu-orders": databases\.1 and databases\.2/,
    ],
    [
      'a name that is not a safe id',
      (c) => c.databases.push('my db'),
      /databases\.3\.name: its id .* got "my db"; give the entry an "id"/,
    ],
    [
      'an id with a slash',
      (c) => (c.databases[2].id = 'eu/orders'),
      /databases\.2\.id: id must be 1–63 letters, .*got "eu\/orders"/,
    ],
    [
      'an id longer than 63 characters',
      (c) => (c.databases[2].id = 'a'.repeat(64)),
      /databases\.2\.id: id must be 1–63/,
    ],
    [
      'a database without any secret',
      (c) => delete c.connection.passwordSecretName,
      /databases\.0: database "orders" has no password secret: give passwordSecretName or passwordSecretArn/,
    ],
    [
      'both secret forms in the connection',
      (c) => (c.connection.passwordSecretArn = SECRET_ARN),
      /connection\.passwordSecretName: give at most one of passwordSecretName and passwordSecretArn/,
    ],
    [
      'both secret forms in an entry',
      (c) => (c.databases[2].passwordSecretName = 'pgproof/db2'),
      /databases\.2\.passwordSecretName: give at most one/,
    ],
    [
      'an unknown entry field',
      (c) => (c.databases[1].compression = {}),
      /databases\.1: Unrecognized key: "compression"/,
    ],
    ['an unknown connection field', (c) => (c.connection.name = 'postgres'), /connection: Unrecognized key: "name"/],
    ['a bad entry port', (c) => (c.databases[1].port = 70000), /databases\.1\.port: .*<=65535/],
    ['a bad entry sslMode', (c) => (c.databases[1].sslMode = 'on'), /databases\.1\.sslMode/],
    [
      'duplicate check names in an entry',
      (c) => (c.databases[1].checks = [check('a'), check('a')]),
      /databases\.1\.checks\.1\.name: duplicate check name "a"/,
    ],
    ['exclude without "all"', (c) => (c.exclude = ['tmp*']), /exclude: "exclude" applies only with "databases": "all"/],
    [
      'databaseSettings without "all"',
      (c) => (c.databaseSettings = { billing: { deepProof: true } }),
      /databaseSettings: "databaseSettings" applies only with "databases": "all"/,
    ],
    [
      '"all" without a secret in connection',
      (c) => {
        c.databases = 'all';
        delete c.connection.passwordSecretName;
      },
      /connection: "databases": "all" needs "connection" with passwordSecretName or passwordSecretArn/,
    ],
    [
      'a bad databaseSettings field',
      (c) => {
        c.databases = 'all';
        c.databaseSettings = { billing: { compression: { method: 'none' } } };
      },
      /databaseSettings\.billing: Unrecognized key: "compression"/,
    ],
    ['maxConcurrency 0', (c) => (c.maxConcurrency = 0), /maxConcurrency: .*>=1/],
    ['maxConcurrency 41', (c) => (c.maxConcurrency = 41), /maxConcurrency: .*<=40/],
    ['a fractional maxConcurrency', (c) => (c.maxConcurrency = 2.5), /maxConcurrency: .*expected int/],
  ])('rejects %s, naming the field', (_what, edit, message, base) => {
    const config = withChange(edit, base);
    expect(() => parseConfig(config, 'pgproof.config.json')).toThrow(ConfigError);
    expect(() => parseConfig(config, 'pgproof.config.json')).toThrow(message);
  });
});

describe('resolveFleet', () => {
  it("resolves today's database to exactly one database whose id is its name", () => {
    const resolved = resolveFleet(parseConfig(single()));
    expect(resolved.databases).toEqual([
      {
        id: 'orders',
        name: 'orders',
        connection: {
          host: 'db.internal',
          port: 5432,
          user: 'pgproof',
          passwordSecretId: 'orders/db',
          passwordJsonField: 'password',
          sslMode: 'require',
        },
        engine: expect.objectContaining({ checks: [check('shared')] }),
      },
    ]);
    expect(resolved).toMatchObject({ connection: undefined, exclude: [], maxConcurrency: 4 });
    expect(databaseIds(parseConfig(single()))).toEqual(['orders']);
    expect(describeDatabases(parseConfig(single()))).toBe('orders');
  });

  it('lays each entry over the shared connection and replaces top-level engine fields', () => {
    const [orders, billing, euOrders] = resolveFleet(parseConfig(fleet())).databases as any[];
    // A bare name: the shared connection and the top-level checks.
    expect(orders).toMatchObject({
      id: 'orders',
      name: 'orders',
      connection: { host: 'db1.example', user: 'pgproof_backup', passwordSecretId: 'pgproof/db1', sslMode: 'require' },
      engine: { checks: [check('shared')] },
    });
    // Its own checks REPLACE the shared ones (not concatenated).
    expect(billing.engine.checks).toEqual([check('invoices')]);
    // Its own host and secret; the shared user stays.
    expect(euOrders).toMatchObject({
      id: 'eu-orders',
      name: 'orders_eu',
      connection: { host: 'db2.example', user: 'pgproof_backup', passwordSecretId: SECRET_ARN },
    });
    expect(describeDatabases(parseConfig(fleet()))).toBe('3 databases');
    expect(databaseIds(parseConfig(fleet()))).toEqual(['orders', 'billing', 'eu-orders']);
  });

  it('takes the secret fields as a group: an entry naming its own secret does not inherit the shared key', () => {
    const config = parseConfig(
      withChange((c) => {
        c.connection.passwordSecretKmsKeyArn = KEY_ARN;
        c.databases[1].passwordJsonField = 'pw';
      }),
    );
    const [orders, billing, euOrders] = resolveFleet(config).databases as any[];
    expect(orders.connection.passwordSecretKmsKeyArn).toBe(KEY_ARN);
    expect(billing.connection).toMatchObject({ passwordSecretKmsKeyArn: KEY_ARN, passwordJsonField: 'pw' });
    expect(euOrders.connection.passwordSecretKmsKeyArn).toBeUndefined();
  });

  it('"checks": [] turns the shared checks off for one database; the CA bundle follows its sslMode', () => {
    const config = parseConfig(
      withChange((c) => {
        c.databases[1].checks = [];
        c.databases[2].sslMode = 'verify-full';
      }),
    );
    const [, billing, euOrders] = resolveFleet(config).databases as any[];
    expect(billing.engine.checks).toEqual([]);
    expect(euOrders.connection).toMatchObject({ sslMode: 'verify-full', sslRootCert: expect.stringMatching(/^\//) });
  });

  it('leaves host and port to the secret when the configuration gives none', () => {
    const config = parseConfig(withChange((c) => delete c.connection.host));
    const [orders] = resolveFleet(config).databases as any[];
    expect(orders.connection.host).toBeUndefined();
    expect(orders.connection.port).toBeUndefined();
  });

  it('resolves "all" to the shared connection, exclude and databaseSettings', () => {
    const config = parseConfig(
      withChange((c) => {
        c.databases = 'all';
        c.exclude = ['tmp_*'];
        c.databaseSettings = { billing: { checks: [] } };
        c.maxConcurrency = 8;
      }),
    );
    expect(resolveFleet(config)).toMatchObject({
      databases: 'all',
      connection: { host: 'db1.example', passwordSecretId: 'pgproof/db1' },
      exclude: ['tmp_*'],
      databaseSettings: { billing: { checks: [] } },
      maxConcurrency: 8,
    });
    expect(databaseIds(config)).toBe('all');
  });
});
