import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/common/errors';
import { loadConfig, parseConfig, parseEngineConfigPart } from '../../lib/config';

const valid = () => ({
  name: 'orders',
  database: { host: 'db.internal', name: 'orders', user: 'pgproof', passwordSecretName: 'orders/db' },
  vpc: {
    vpcId: 'vpc-0123456789abcdef0',
    privateSubnetIds: ['subnet-0123456789abcdef0'],
    availabilityZones: ['eu-west-1a'],
  },
  chatWebhookSecretName: 'pgproof/chat',
  snitchUrlSecretName: 'pgproof/snitch',
});

/** A valid configuration with one change: `edit` mutates a fresh copy. */
function withChange(edit: (c: any) => void) {
  const c: any = valid();
  edit(c);
  return c;
}

describe('parseConfig', () => {
  it('applies the defaults: daily 03:00 UTC, 30 days of noncurrent versions, require TLS, task sizes, engine defaults', () => {
    // WHEN
    const config = parseConfig(valid());
    // THEN
    expect(config).toMatchObject({
      schedule: { cron: '0 3 * * ? *', enabled: true },
      bucket: { prefix: 'pgproof', noncurrentDays: 30, removalPolicy: 'retain' },
      database: { port: 5432, sslMode: 'require', passwordJsonField: 'password' },
      tasks: { backup: { cpu: 1024, memoryMiB: 2048 }, verify: { ephemeralStorageGiB: 100 }, heartbeatSeconds: 300 },
      engine: { compression: { method: 'zstd', level: 1 }, sizeGuard: { maxShrink: 0.5 }, checks: [] },
    });
  });

  it('reads the engine part from the top level, as a local run does', () => {
    const file = {
      ...valid(),
      checks: [{ name: 'x', sql: 'select 1', expect: { min: 1 } }],
      sizeGuard: { maxShrink: 0.3 },
    };
    expect(parseConfig(file).engine).toMatchObject({ checks: [{ name: 'x' }], sizeGuard: { maxShrink: 0.3 } });
    // A local run needs no deployment fields.
    expect(parseEngineConfigPart({ checks: [], sizeGuard: { maxShrink: 0.2 } })).toMatchObject({
      sizeGuard: { maxShrink: 0.2 },
    });
    expect(parseEngineConfigPart(file).checks).toHaveLength(1);
  });

  it('accepts cron(...) around the six fields', () => {
    expect(parseConfig(withChange((c) => (c.schedule = { cron: 'cron(15 4 * * ? *)' }))).schedule.cron).toBe(
      '15 4 * * ? *',
    );
  });

  it.each<[string, (c: any) => void, RegExp]>([
    ['a bad name', (c) => (c.name = 'Orders DB'), /name: lower-case letters, digits and dashes/],
    ['an unknown top-level field', (c) => (c.retainDays = 3), /\(root\): Unrecognized key: "retainDays"/],
    ['an unknown database field', (c) => (c.database.password = 'x'), /database: Unrecognized key: "password"/],
    ['a missing host', (c) => delete c.database.host, /database\.host: .*expected string/],
    ['a port out of range', (c) => (c.database.port = 0), /database\.port: .*>=1/],
    [
      'both secret name and ARN',
      (c) => (c.database.passwordSecretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf'),
      /database\.passwordSecretName: give exactly one of passwordSecretName and passwordSecretArn/,
    ],
    [
      'neither secret name nor ARN',
      (c) => delete c.database.passwordSecretName,
      /give exactly one of passwordSecretName and passwordSecretArn/,
    ],
    ['a bad sslMode', (c) => (c.database.sslMode = 'on'), /database\.sslMode: .*"require"/],
    ['a bad VPC id', (c) => (c.vpc.vpcId = 'my-vpc'), /vpc\.vpcId: a VPC id such as vpc-0123456789abcdef0/],
    ['no private subnet', (c) => (c.vpc.privateSubnetIds = []), /vpc\.privateSubnetIds: .*>=1/],
    [
      'subnets and zones of different length',
      (c) => (c.vpc.availabilityZones = ['eu-west-1a', 'eu-west-1b']),
      /vpc\.availabilityZones: needs one availability zone per private subnet/,
    ],
    ['a bad security group', (c) => (c.vpc.securityGroupId = 'default'), /vpc\.securityGroupId: a security group id/],
    ['a five-field cron', (c) => (c.schedule = { cron: '0 3 * * *' }), /schedule\.cron: six fields/],
    [
      'a cron without "?"',
      (c) => (c.schedule = { cron: '0 3 * * * *' }),
      /schedule\.cron: day-of-month or day-of-week must be "\?"/,
    ],
    ['enabled as text', (c) => (c.schedule = { enabled: 'no' }), /schedule\.enabled: .*expected boolean/],
    ['zero noncurrent days', (c) => (c.bucket = { noncurrentDays: 0 }), /bucket\.noncurrentDays: .*>=1/],
    [
      'the removed age-only retentionDays',
      (c) => (c.bucket = { retentionDays: 35 }),
      /bucket\.retentionDays: retentionDays was removed: backups no longer expire by age.*Moving from retentionDays/,
    ],
    [
      'a lock on an existing bucket',
      (c) => (c.bucket = { existingBucketName: 'my-backups', objectLockDays: 3 }),
      /bucket\.objectLockDays: objectLockDays applies only to a bucket pgproof creates/,
    ],
    [
      'a key without an existing bucket',
      (c) => (c.bucket = { existingKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/abc' }),
      /bucket\.existingKmsKeyArn: existingKmsKeyArn needs existingBucketName/,
    ],
    [
      'a prefix with a slash at the end',
      (c) => (c.bucket = { prefix: 'backups/' }),
      /bucket\.prefix: a key prefix without leading or trailing slash/,
    ],
    ['a bad removal policy', (c) => (c.bucket = { removalPolicy: 'delete' }), /bucket\.removalPolicy/],
    [
      'a bad secret name',
      (c) => (c.chatWebhookSecretName = 'my secret'),
      /chatWebhookSecretName: a Secrets Manager secret name/,
    ],
    ['a missing snitch secret', (c) => delete c.snitchUrlSecretName, /snitchUrlSecretName: .*expected string/],
    ['a bad e-mail', (c) => (c.alarmEmail = 'dba'), /alarmEmail: an e-mail address/],
    ['a CPU Fargate lacks', (c) => (c.tasks = { backup: { cpu: 3000 } }), /tasks\.backup\.cpu/],
    [
      'too little verify disk',
      (c) => (c.tasks = { verify: { ephemeralStorageGiB: 10 } }),
      /tasks\.verify\.ephemeralStorageGiB: .*>=21/,
    ],
    ['a short heartbeat', (c) => (c.tasks = { heartbeatSeconds: 30 }), /tasks\.heartbeatSeconds: .*>=120/],
    ['a bad account', (c) => (c.account = '1234'), /account: a 12-digit AWS account id/],
    ['a bad engine part', (c) => (c.compression = { method: 'zstd', level: 99 }), /compression\.level: .*<=19/],
    [
      'duplicate check names',
      (c) =>
        (c.checks = [
          { name: 'a', sql: 's', expect: { min: 1 } },
          { name: 'a', sql: 's', expect: { min: 1 } },
        ]),
      /checks\.1\.name: duplicate check name "a"/,
    ],
  ])('rejects %s, naming the field', (_what, edit, message) => {
    // WHEN / THEN
    expect(() => parseConfig(withChange(edit), 'pgproof.config.json')).toThrow(ConfigError);
    expect(() => parseConfig(withChange(edit), 'pgproof.config.json')).toThrow(message);
  });

  it('rejects a non-object', () => {
    expect(() => parseConfig([], 'f.json')).toThrow(/f\.json: \(root\): expected a JSON object/);
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pgproof-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it("reads the repository's configuration and example", () => {
    expect(loadConfig('pgproof.config.json').name).toBe('orders');
    expect(loadConfig('pgproof.config.example.json')).toMatchObject({
      name: 'billing',
      bucket: { objectLockDays: 30 },
    });
  });

  it('names a missing file and how to choose another', () => {
    expect(() => loadConfig(path.join(dir, 'absent.json'))).toThrow(
      /cannot read the configuration file .*absent\.json.*-c config=FILE/,
    );
  });

  it('names a file that is not JSON', () => {
    expect(() => loadConfig(write('bad.json', '{ name: orders }'))).toThrow(/bad\.json is not valid JSON/);
  });

  it('prefixes every problem with the file name', () => {
    expect(() => loadConfig(write('invalid.json', JSON.stringify(withChange((c) => (c.name = 'X')))))).toThrow(
      /invalid\.json: name:/,
    );
  });
});
