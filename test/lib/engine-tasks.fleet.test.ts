import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { selectDatabase } from '../../containers/common/database-selection';
import { parseEngineConfig } from '../../containers/common/engine-config';
import { parseConfig } from '../../lib/config';
import type { EngineDatabase, EngineDatabaseConnection, EngineFleet } from '../../lib/engine-tasks';
import { PgProof } from '../../lib/pg-proof';
import { PgProofStack } from '../../lib/pg-proof-stack';
import { minimalProps, testApp, testStack } from '../helpers/cdk';

type Json = Record<string, any>;
const defaults = parseEngineConfig({});
const check = (name: string, sql = 'select 1') => ({ name, sql, expect: { min: 1 } });
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** PgProof with `fleet` instead of the single-database props. */
function buildFleet(fleet: (stack: Stack) => EngineFleet, extra: Json = {}): { stack: Stack; pgProof: PgProof } {
  const stack = testStack();
  const {
    databaseHost: _h,
    databaseName: _n,
    databaseUser: _u,
    databasePasswordSecret: _s,
    ...rest
  } = minimalProps(stack);
  const pgProof = new PgProof(stack, 'PgProof', { ...rest, fleet: fleet(stack), ...extra });
  return { stack, pgProof };
}

const connection = (over: Partial<EngineDatabaseConnection> = {}): EngineDatabaseConnection => ({
  sslMode: 'require',
  passwordJsonField: 'password',
  ...over,
});

/** The container environment of a task definition, by variable name. */
function containerEnv(template: Template, pattern: RegExp): Record<string, unknown> {
  const [definition] = Object.entries(template.findResources('AWS::ECS::TaskDefinition'))
    .filter(([id]) => pattern.test(id))
    .map(([, r]) => r as Json);
  const [container] = definition!.Properties.ContainerDefinitions as Json[];
  return Object.fromEntries((container!.Environment as Json[]).map((v) => [v.Name, v.Value]));
}

/** The backup task role's policy statements with `sid`. */
function statement(template: Template, sid: string): Json | undefined {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p: Json) =>
    (p.Properties.Roles as Json[]).some((r) => /EnginesBackupTaskRole/.test(r.Ref)),
  ) as Json[];
  return policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Json[]).find((s) => s.Sid === sid);
}

describe('EngineTasks with a fleet', () => {
  // GIVEN three databases on two servers, two of them sharing a secret, one with its own checks
  const { stack, pgProof } = buildFleet(
    (s) => {
      const db1 = secretsmanager.Secret.fromSecretNameV2(s, 'Db1', 'pgproof/db1');
      const db2 = secretsmanager.Secret.fromSecretCompleteArn(
        s,
        'Db2',
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pgproof/db2-AbCdEf',
      );
      const key = kms.Key.fromKeyArn(s, 'Db2Key', KEY_ARN);
      const shared = connection({ host: 'db1.example', user: 'pgproof_backup', passwordSecret: db1 });
      const databases: EngineDatabase[] = [
        { id: 'orders', name: 'orders', connection: shared, engine: defaults },
        { id: 'billing', name: 'billing', connection: shared, engine: { ...defaults, checks: [check('invoices')] } },
        {
          id: 'eu-orders',
          name: 'orders',
          connection: { ...shared, host: 'db2.example', passwordSecret: db2, passwordSecretKey: key },
          engine: defaults,
        },
      ];
      return { databases, connection: shared };
    },
    { maxConcurrency: 8 },
  );
  const template = Template.fromStack(stack);

  it('exports the ids and maxConcurrency the state machine iterates with', () => {
    expect(pgProof.databaseIds).toEqual(['orders', 'billing', 'eu-orders']);
    expect(pgProof.maxConcurrency).toBe(8);
  });

  it('gives both tasks the keyed settings, and the backup task no single-database variables', () => {
    const backup = containerEnv(template, /EnginesBackup/);
    const verify = containerEnv(template, /EnginesVerify/);
    expect(backup.PGPROOF_CONFIG).toBe(verify.PGPROOF_CONFIG);
    for (const name of ['PGHOST', 'PGDATABASE', 'PGUSER', 'PGPROOF_DB_SECRET']) expect(backup).not.toHaveProperty(name);
    const settings = JSON.parse(backup.PGPROOF_CONFIG as string);
    // Entries hold only what differs from the shared connection and defaults.
    expect(settings.databases).toEqual({
      orders: { name: 'orders' },
      billing: { name: 'billing', checks: [check('invoices')] },
      'eu-orders': {
        name: 'orders',
        connection: {
          host: 'db2.example',
          passwordSecret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pgproof/db2-AbCdEf',
        },
      },
    });
    expect(settings.connection).toMatchObject({
      host: 'db1.example',
      passwordSecret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pgproof/db1',
      sslMode: 'require',
    });
  });

  it('renders settings the engines select from, each id getting its own connection and checks', () => {
    const env = { PGPROOF_CONFIG: containerEnv(template, /EnginesBackup/).PGPROOF_CONFIG as string };
    const eu = selectDatabase({ ...env, PGPROOF_DATABASE: 'eu-orders' });
    expect(eu.selected).toMatchObject({ name: 'orders', connection: { host: 'db2.example', user: 'pgproof_backup' } });
    expect(selectDatabase({ ...env, PGPROOF_DATABASE: 'billing' }).config.checks).toEqual([check('invoices')]);
  });

  it('grants GetSecretValue once per distinct secret and kms:Decrypt on the distinct key', () => {
    expect(statement(template, 'ReadDatabaseSecret')?.Resource).toEqual([
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pgproof/db1-??????',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pgproof/db2-AbCdEf',
    ]);
    expect(statement(template, 'DecryptDatabaseSecret')).toMatchObject({
      Action: 'kms:Decrypt',
      Resource: KEY_ARN,
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
    });
  });
});

describe('EngineTasks: synth-time limits', () => {
  it('fails above the 48 KiB settings budget, naming the largest database settings', () => {
    const bigSql = `select count(*) from t where note <> '${'x'.repeat(400)}'`;
    expect(() =>
      buildFleet((s) => {
        const secret = secretsmanager.Secret.fromSecretNameV2(s, 'Db', 'pgproof/db1');
        const shared = connection({ host: 'db1.example', passwordSecret: secret });
        return {
          connection: shared,
          databases: Array.from({ length: 120 }, (_, i) => ({
            id: `db${i}`,
            name: `db${i}`,
            connection: shared,
            // db7 has the most checks: the message names it first.
            engine: { ...defaults, checks: [check(`c${i}`, bigSql), ...(i === 7 ? [check('extra', bigSql)] : [])] },
          })),
        };
      }),
    ).toThrow(
      /backup task's container definition is [\d,]+ bytes, above pgproof's settings budget of 49,152 .*Largest database settings: "db7" \([\d,]+ bytes\)/,
    );
  });

  it("fails when the backup role's inline policy would exceed IAM's 10,240 characters", () => {
    expect(() =>
      buildFleet((s) => ({
        databases: Array.from({ length: 120 }, (_, i) => ({
          id: `db${i}`,
          name: `db${i}`,
          connection: connection({
            host: `db${i}.example`,
            passwordSecret: secretsmanager.Secret.fromSecretNameV2(s, `Db${i}`, `pgproof/servers/db${i}/backup`),
          }),
          engine: defaults,
        })),
      })),
    ).toThrow(
      /inline policy would be about [\d,]+ characters, above IAM's 10,240: .*120 distinct secrets.*one secret per server/,
    );
  });

  it.each<[string, (stack: Stack) => Json, RegExp]>([
    [
      'fleet together with the single-database props',
      (s) => ({ ...minimalProps(s), fleet: { databases: 'all' } }),
      /fleet replaces databaseHost, databaseName and databasePasswordSecret/,
    ],
    [
      'maxConcurrency above 40',
      (s) => ({ ...minimalProps(s), maxConcurrency: 41 }),
      /maxConcurrency must be .* 1 to 40; got 41/,
    ],
    [
      'a fleet id unsafe as a key folder',
      (s) => {
        const { databaseHost: _h, databaseName: _n, databasePasswordSecret: secret, ...rest } = minimalProps(s);
        return {
          ...rest,
          fleet: {
            databases: [
              {
                id: 'a/b',
                name: 'a',
                connection: connection({ host: 'h', passwordSecret: secret! }),
                engine: defaults,
              },
            ],
          },
        };
      },
      /fleet\.databases\[0\]\.id must be 1–63 letters/,
    ],
  ])('rejects %s', (_what, props, message) => {
    const stack = testStack();
    expect(() => new PgProof(stack, 'PgProof', props(stack) as never)).toThrow(message);
  });
});

describe('PgProofStack from a fleet configuration', () => {
  it('imports each distinct secret once and passes the ids and maxConcurrency on', () => {
    // GIVEN a configuration file with a shared connection and one database on another server
    const config = parseConfig({
      name: 'prod',
      connection: { host: 'db1.example', user: 'pgproof_backup', passwordSecretName: 'pgproof/db1' },
      databases: [
        'orders',
        'billing',
        { id: 'eu-orders', name: 'orders_eu', host: 'db2.example', passwordSecretName: 'pgproof/db2' },
      ],
      maxConcurrency: 2,
      vpc: {
        vpcId: 'vpc-0123456789abcdef0',
        privateSubnetIds: ['subnet-0123456789abcdef0'],
        availabilityZones: ['eu-west-1a'],
      },
      chatWebhookSecretName: 'pgproof/chat',
      snitchUrlSecretName: 'pgproof/snitch',
    });
    // WHEN
    const stack = new PgProofStack(testApp(), 'PgProof-prod', {
      config,
      env: { account: '123456789012', region: 'eu-west-1' },
      containerImage: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/pgproof-engines:test'),
    });
    // THEN
    expect(stack.pgProof.databaseIds).toEqual(['orders', 'billing', 'eu-orders']);
    expect(stack.pgProof.maxConcurrency).toBe(2);
    const resources = statement(Template.fromStack(stack), 'ReadDatabaseSecret')?.Resource as Json[];
    expect(JSON.stringify(resources)).toMatch(/pgproof\/db1-\?{6}.*pgproof\/db2-\?{6}/);
    expect(resources).toHaveLength(2);
  });

  it('renders "all" with the shared connection, exclude and databaseSettings, so a discovered name is selectable', () => {
    const config = parseConfig({
      name: 'prod',
      checks: [check('shared')],
      connection: { host: 'db1.example', user: 'pgproof_backup', passwordSecretName: 'pgproof/db1' },
      databases: 'all',
      exclude: ['tmp_*'],
      databaseSettings: { reports: { checks: [] } },
      vpc: {
        vpcId: 'vpc-0123456789abcdef0',
        privateSubnetIds: ['subnet-0123456789abcdef0'],
        availabilityZones: ['eu-west-1a'],
      },
      chatWebhookSecretName: 'pgproof/chat',
      snitchUrlSecretName: 'pgproof/snitch',
    });
    const stack = new PgProofStack(testApp(), 'PgProof-prod', {
      config,
      env: { account: '123456789012', region: 'eu-west-1' },
      containerImage: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/pgproof-engines:test'),
    });
    expect(stack.pgProof.databaseIds).toBe('all');
    const template = Template.fromStack(stack);
    const env = { PGPROOF_CONFIG: containerEnv(template, /EnginesBackup/).PGPROOF_CONFIG as string };
    expect(JSON.parse(env.PGPROOF_CONFIG)).toMatchObject({ databases: {}, exclude: ['tmp_*'] });
    expect(selectDatabase({ ...env, PGPROOF_DATABASE: 'reports' }).config.checks).toEqual([]);
    expect(selectDatabase({ ...env, PGPROOF_DATABASE: 'sales' })).toMatchObject({
      config: { checks: [check('shared')] },
      selected: { name: 'sales', connection: { host: 'db1.example' } },
    });
    expect(statement(template, 'ReadDatabaseSecret')?.Resource).toBe(
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pgproof/db1-??????',
    );
  });
});
