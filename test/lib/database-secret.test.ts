// The database secret in each form a config may give it (name, partial ARN, complete ARN, with a KMS key) and the
// TLS settings: what the backup task's environment and task role look like in the synthesized template.
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config';
import { secretIdForm } from '../../lib/common/rules';
import { PgProofStack } from '../../lib/pg-proof-stack';
import { buildPgProof, testApp } from '../helpers/cdk';

type Json = Record<string, any>;
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pgproof/orders/db';
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666';

function config(database: Record<string, unknown>) {
  return parseConfig({
    name: 'orders',
    account: '123456789012',
    region: 'eu-west-1',
    database: { host: 'orders.cluster-abc.eu-west-1.rds.amazonaws.com', name: 'orders', ...database },
    vpc: {
      vpcId: 'vpc-0123456789abcdef0',
      privateSubnetIds: ['subnet-0123456789abcdef0'],
      availabilityZones: ['eu-west-1a'],
    },
    chatWebhookSecretName: 'pgproof/chat',
    snitchUrlSecretName: 'pgproof/snitch',
  });
}

/** The backup container's environment and the backup task role's statements, synthesized from `database`. */
function synth(database: Record<string, unknown>): {
  env: Record<string, unknown>;
  statements: Json[];
  secrets: unknown;
  resources: Record<string, Json>;
} {
  const app = testApp();
  const stack = new PgProofStack(app, 'PgProof-orders', {
    config: config(database),
    env: { account: '123456789012', region: 'eu-west-1' },
    containerImage: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/pgproof-engines:test'),
  });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Json>;
  const entries = Object.entries(resources);
  const backup = entries.find(([id, r]) => r.Type === 'AWS::ECS::TaskDefinition' && /EnginesBackup/.test(id))![1];
  const def = backup.Properties.ContainerDefinitions[0];
  const roleId = entries.find(([id, r]) => r.Type === 'AWS::IAM::Role' && /EnginesBackupTaskRole/.test(id))![0];
  const statements = entries
    .filter(([, r]) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((x: Json) => x.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
  return {
    env: Object.fromEntries(def.Environment.map((e: Json) => [e.Name, e.Value])),
    statements,
    secrets: def.Secrets,
    resources,
  };
}

const secretStatement = (statements: Json[]) =>
  statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('secretsmanager:')));
const kmsStatementOnSecretKey = (statements: Json[]) => statements.filter((s) => s.Resource === KEY);

describe('secretIdForm', () => {
  it('reads a name ending in a hyphen and six characters inside an ARN as a complete ARN, as Secrets Manager does', () => {
    expect(secretIdForm('pgproof/orders/db')).toBe('name');
    expect(secretIdForm(ARN)).toBe('partial-arn');
    expect(secretIdForm(`${ARN}-AbC123`)).toBe('complete-arn');
    expect(
      secretIdForm(
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-0a1b2c3d-4e5f-6789-abcd-ef0123456789',
      ),
    ).toBe('partial-arn');
  });
});

describe('database password secret in the template', () => {
  it('by name: the task gets the partial ARN, the role GetSecretValue on name-?????? only, and ECS injects nothing', () => {
    // GIVEN / WHEN
    const { env, statements, secrets } = synth({ user: 'pgproof_backup', passwordSecretName: 'pgproof/orders/db' });
    // THEN
    expect(env).toMatchObject({
      PGPROOF_DB_SECRET: ARN,
      PGPROOF_DB_SECRET_JSON_FIELD: 'password',
      PGUSER: 'pgproof_backup',
    });
    expect(env).not.toHaveProperty('PGPASSWORD');
    expect(secrets).toBeUndefined();
    expect(secretStatement(statements)).toEqual([
      {
        Sid: 'ReadDatabaseSecret',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: `${ARN}-??????`,
      },
    ]);
  });

  it('by partial ARN (in passwordSecretArn): the same six-character wildcard, never "*"', () => {
    const { env, statements } = synth({ user: 'pgproof_backup', passwordSecretArn: ARN });
    expect(env.PGPROOF_DB_SECRET).toBe(ARN);
    expect(secretStatement(statements)).toEqual([
      expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: `${ARN}-??????` }),
    ]);
  });

  it('by complete ARN (even in passwordSecretName): exactly that ARN, no wildcard', () => {
    const { env, statements } = synth({ user: 'pgproof_backup', passwordSecretName: `${ARN}-AbC123` });
    expect(env.PGPROOF_DB_SECRET).toBe(`${ARN}-AbC123`);
    expect(secretStatement(statements)).toEqual([
      expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: `${ARN}-AbC123` }),
    ]);
  });

  it('with a customer-managed key: kms:Decrypt on that key only, through Secrets Manager in the region', () => {
    const { statements } = synth({ passwordSecretArn: `${ARN}-AbC123`, passwordSecretKmsKeyArn: KEY });
    expect(kmsStatementOnSecretKey(statements)).toEqual([
      {
        Sid: 'DecryptDatabaseSecret',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: KEY,
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
      },
    ]);
    expect(kmsStatementOnSecretKey(synth({ passwordSecretArn: `${ARN}-AbC123` }).statements)).toEqual([]);
  });

  it("without a user: PGUSER is left out, for the secret's username to fill", () => {
    const { env } = synth({ passwordSecretArn: `${ARN}-AbC123`, passwordJsonField: 'pw' });
    expect(env).not.toHaveProperty('PGUSER');
    expect(env.PGPROOF_DB_SECRET_JSON_FIELD).toBe('pw');
  });
});

describe('TLS settings in the template', () => {
  it("points libpq and node-postgres at the image's RDS bundle for verify-full, and at a configured file when given", () => {
    expect(synth({ passwordSecretName: 'pgproof/orders/db', sslMode: 'verify-full' }).env).toMatchObject({
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: '/etc/pgproof/certs/rds-global-bundle.pem',
    });
    expect(
      synth({
        passwordSecretName: 'pgproof/orders/db',
        sslMode: 'verify-ca',
        sslRootCert: '/etc/ssl/certs/ca-certificates.crt',
      }).env,
    ).toMatchObject({ PGSSLROOTCERT: '/etc/ssl/certs/ca-certificates.crt' });
    expect(synth({ passwordSecretName: 'pgproof/orders/db' }).env).not.toHaveProperty('PGSSLROOTCERT');
  });
});

describe('config validation of the database section', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'a name Secrets Manager would read as a complete ARN',
      { passwordSecretName: 'orders-backup' },
      /ends in a hyphen and six characters.*give the complete ARN/,
    ],
    [
      'a KMS alias instead of a key ARN',
      { passwordSecretName: 'x/db', passwordSecretKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/db' },
      /passwordSecretKmsKeyArn: a KMS key ARN/,
    ],
    [
      'a relative sslRootCert',
      { passwordSecretName: 'x/db', sslRootCert: 'certs/ca.pem' },
      /sslRootCert: an absolute path inside the image/,
    ],
  ])('refuses %s', (_what, database, message) => {
    expect(() => config(database)).toThrow(message);
  });
});

describe('PgProof construct props', () => {
  it('grants kms:Decrypt on the key an imported secret carries when no key prop is given', () => {
    // GIVEN
    const { stack } = buildPgProof((scope) => ({
      databasePasswordSecret: secretsmanager.Secret.fromSecretAttributes(scope, 'KeyedSecret', {
        secretCompleteArn: `${ARN}-AbC123`,
        encryptionKey: kms.Key.fromKeyArn(scope, 'SecretKey', KEY),
      }),
    }));
    // THEN
    const policies = Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, Json>).filter(
      (r) => r.Type === 'AWS::IAM::Policy',
    );
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Json[]);
    expect(statements.filter((st) => st.Sid === 'DecryptDatabaseSecret')).toEqual([
      expect.objectContaining({ Action: 'kms:Decrypt', Resource: KEY }),
    ]);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'an empty user',
      { databaseUser: ' ' },
      /databaseUser must not be empty \(omit it to take the user from the secret\)/,
    ],
    [
      'a relative CA path',
      { databaseSslRootCert: 'ca.pem' },
      /databaseSslRootCert must be an absolute path inside the image; got "ca\.pem"/,
    ],
  ])('refuses %s, naming the prop', (_what, props, message) => {
    expect(() => buildPgProof(() => props)).toThrow(message);
  });
});
