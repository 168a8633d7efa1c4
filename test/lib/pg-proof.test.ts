import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { PgProof } from '../../lib/pg-proof';
import { buildPgProof, minimalProps, testStack } from '../helpers/cdk';

type Json = Record<string, any>;
let template: Template;
let resources: Record<string, Json>;

beforeAll(() => {
  // GIVEN a PgProof with default props (one synthesis for the whole file)
  const { stack } = buildPgProof(() => ({
    alarmEmail: 'dba@example.com',
    engineConfig: { checks: [{ name: 'n', sql: 'select 1', expect: { min: 1 } }] },
  }));
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const logicalId = (type: string, pattern: RegExp) => ofType(type).find(([id]) => pattern.test(id))![0];
/** The statements of the inline policy attached to the role whose logical id matches. */
function statementsOfRole(rolePattern: RegExp): Json[] {
  const roleId = logicalId('AWS::IAM::Role', rolePattern);
  return ofType('AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}
const actionsOf = (statements: Json[]) => statements.flatMap((s) => [s.Action].flat());
const text = (v: unknown) => JSON.stringify(v);

describe('backup bucket', () => {
  it('is KMS-encrypted, private, versioned, TLS-only, retained, with lifecycle expiry and multipart cleanup', () => {
    // THEN
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() },
            }),
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({
              Id: 'remove-noncurrent-versions',
              NoncurrentVersionExpiration: { NoncurrentDays: 30 },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
              Status: 'Enabled',
            }),
          ]),
        },
        LoggingConfiguration: Match.objectLike({ DestinationBucketName: Match.anyValue() }),
      }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('deletes only what a verified run tagged expired: no rule expires objects by age alone', () => {
    const bucket = ofType('AWS::S3::Bucket').find(([id]) => /BackupsBucket[0-9A-F]+$/.test(id))![1];
    const rules = bucket.Properties.LifecycleConfiguration.Rules as Json[];
    expect(rules.map((r) => r.Id)).toEqual([
      'expire-marked-backups',
      'remove-noncurrent-versions',
      'remove-expired-delete-markers',
    ]);
    expect(rules[0]).toEqual({
      Id: 'expire-marked-backups',
      Status: 'Enabled',
      TagFilters: [{ Key: 'pgproof-retention', Value: 'expired' }],
      ExpirationInDays: 1,
    });
    // Every rule that expires current objects carries the tag filter (S3 refuses multipart and delete-marker
    // actions next to a tag filter, so those live in their own rules).
    for (const rule of rules) {
      if (rule.ExpirationInDays !== undefined || rule.ExpirationDate !== undefined)
        expect(rule.TagFilters).toEqual([{ Key: 'pgproof-retention', Value: 'expired' }]);
      if (rule.TagFilters) {
        expect(rule.AbortIncompleteMultipartUpload).toBeUndefined();
        expect(rule.ExpiredObjectDeleteMarker).toBeUndefined();
      }
    }
    expect(rules[1]).toMatchObject({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } });
    expect(rules[1]!.TagFilters).toBeUndefined();
    expect(rules[2]).toMatchObject({ ExpiredObjectDeleteMarker: true });
  });

  it('has no Object Lock unless asked', () => {
    expect(text(resources)).not.toContain('ObjectLockConfiguration');
  });

  it('applies Object Lock retention when configured', () => {
    // GIVEN / WHEN
    const { stack } = buildPgProof(() => ({
      noncurrentVersionRetention: Duration.days(90),
      objectLockRetention: Duration.days(30),
      objectLockMode: 'COMPLIANCE',
    }));
    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 30 } },
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 90 } })]),
      },
    });
  });
});

describe('engine tasks', () => {
  const container = (pattern: RegExp) => resources[logicalId('AWS::ECS::TaskDefinition', pattern)]!.Properties;

  it('runs backup with the database, bucket, config and password secret id in its environment, and no ECS secret', () => {
    const backup = container(/EnginesBackup/);
    const def = backup.ContainerDefinitions[0];
    const env = Object.fromEntries(def.Environment.map((e: Json) => [e.Name, e.Value]));
    expect(env).toMatchObject({
      PGHOST: 'db.internal',
      PGPORT: '5432',
      PGUSER: 'pgproof',
      PGDATABASE: 'orders',
      PGSSLMODE: 'require',
      PGPROOF_PREFIX: 'pgproof',
    });
    expect(env.PGPROOF_BUCKET).toEqual({ Ref: expect.stringMatching(/Bucket/) });
    expect(env.PGPROOF_KMS_KEY_ID).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/Key/), 'Arn'] });
    expect(JSON.parse(env.PGPROOF_CONFIG)).toMatchObject({ compression: { method: 'zstd' }, checks: [{ name: 'n' }] });
    expect(env).not.toHaveProperty('PGPASSWORD');
    // The engine reads the secret itself: ECS `secrets` need the complete ARN, which a name does not give.
    expect(env).toMatchObject({
      PGPROOF_DB_SECRET: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/db',
      PGPROOF_DB_SECRET_JSON_FIELD: 'password',
    });
    expect(def.Secrets).toBeUndefined();
    expect(def.Command).toBeUndefined();
    expect(backup).toMatchObject({
      Cpu: '1024',
      Memory: '2048',
      RequiresCompatibilities: ['FARGATE'],
      NetworkMode: 'awsvpc',
    });
  });

  it('runs verify with /app/verify.cjs, /work as work dir, no database settings and 100 GiB of disk', () => {
    const verify = container(/EnginesVerify/);
    const def = verify.ContainerDefinitions[0];
    const env = Object.fromEntries(def.Environment.map((e: Json) => [e.Name, e.Value]));
    expect(def.Command).toEqual(['/app/verify.cjs']);
    expect(env).toMatchObject({ PGPROOF_WORK_DIR: '/work', PGPROOF_PREFIX: 'pgproof' });
    for (const v of ['PGHOST', 'PGUSER', 'PGDATABASE', 'PGPASSWORD']) expect(env).not.toHaveProperty(v);
    expect(def.Secrets).toBeUndefined();
    expect(verify).toMatchObject({ Cpu: '2048', Memory: '8192', EphemeralStorage: { SizeInGiB: 100 } });
  });

  it('runs an init process in both containers, so postgres and pg_dump children are reaped (node is PID 1)', () => {
    for (const p of [/EnginesBackup/, /EnginesVerify/]) {
      expect(container(p).ContainerDefinitions[0].LinuxParameters).toMatchObject({ InitProcessEnabled: true });
    }
  });

  it('logs both tasks with awslogs and runs in a cluster with Container Insights', () => {
    for (const p of [/EnginesBackup/, /EnginesVerify/])
      expect(container(p).ContainerDefinitions[0].LogConfiguration.LogDriver).toBe('awslogs');
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });

  it('gives verify a security group with HTTPS egress only', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('verify'),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' })],
    });
  });
});

describe('least privilege', () => {
  it('lets the backup task list, write and read manifests, but never delete', () => {
    const statements = statementsOfRole(/EnginesBackupTaskRole/);
    expect(actionsOf(statements).sort()).toEqual([
      'kms:Decrypt',
      'kms:Encrypt',
      'kms:GenerateDataKey*',
      's3:AbortMultipartUpload',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'secretsmanager:GetSecretValue',
      'states:SendTaskFailure',
      'states:SendTaskHeartbeat',
      'states:SendTaskSuccess',
    ]);
    const get = statements.find((s) => s.Action === 's3:GetObject')!;
    expect(text(get.Resource)).toMatch(/\/pgproof\/\*\.manifest\.json.*\/pgproof\/\*\.verified\.json/);
    expect(text(get.Resource)).not.toMatch(/\/pgproof\/\*"/);
    expect(statements.find((s) => s.Action === 's3:ListBucket')!.Condition).toEqual({
      StringLike: { 's3:prefix': ['pgproof/*'] },
    });
    // Writes: dumps and manifests only; never a verification record (only a proven restore may write one).
    const put = statements.find((s) => Array.isArray(s.Action) && s.Action.includes('s3:PutObject'))!;
    expect(put.Action.sort()).toEqual(['s3:AbortMultipartUpload', 's3:PutObject']);
    expect(text(put.Resource)).toMatch(
      /\/pgproof\/\*\.dump".*\/pgproof\/\*\.dump\.zst".*\/pgproof\/\*\.manifest\.json".*\/pgproof\/\*\.roles\.sql"/,
    );
    expect(text(put.Resource)).not.toMatch(/verified|\/pgproof\/\*"/);
  });

  it('lets the verify task read and write *.verified.json only, never delete', () => {
    const statements = statementsOfRole(/EnginesVerifyTaskRole/);
    expect(actionsOf(statements).sort()).toEqual([
      'kms:Decrypt',
      'kms:GenerateDataKey*',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'states:SendTaskFailure',
      'states:SendTaskHeartbeat',
      'states:SendTaskSuccess',
    ]);
    const put = statements.find((s) => s.Action === 's3:PutObject')!;
    expect(text(put.Resource)).toMatch(/"\/pgproof\/\*\.verified\.json"/);
    // Reads everything under the prefix: the dump, its manifest and the role definitions beside it.
    const get = statements.find((s) => s.Action === 's3:GetObject')!;
    expect(text(get.Resource)).toMatch(/"\/pgproof\/\*"/);
  });

  it('scopes the task-token answers to this state machine', () => {
    for (const role of [/EnginesBackupTaskRole/, /EnginesVerifyTaskRole/]) {
      const s = statementsOfRole(role).find((x) => text(x.Action).includes('states:SendTaskSuccess'))!;
      expect(text(s.Resource)).toContain(':stateMachine:pgproof-orders');
    }
  });

  it('lets only the backup task role read the database password (no execution role reads any secret)', () => {
    expect(text(statementsOfRole(/EnginesBackupTaskRole/))).toContain(':secret:orders/db-??????');
    for (const role of [/EnginesBackupExecutionRole/, /EnginesVerifyExecutionRole/, /EnginesVerifyTaskRole/]) {
      expect(text(statementsOfRole(role))).not.toContain('secretsmanager');
    }
  });

  it('lets each Lambda read only its own secret', () => {
    const chat = text(statementsOfRole(/NotifyNotifyChatRole/));
    const snitch = text(statementsOfRole(/NotifySnitchCheckInRole/));
    expect(chat).toContain(':secret:pgproof/chat-??????');
    expect(chat).not.toContain('pgproof/snitch');
    expect(snitch).toContain(':secret:pgproof/snitch-??????');
    expect(snitch).not.toContain('pgproof/chat');
    expect(chat).not.toContain('orders/db');
    expect(snitch).not.toContain('orders/db');
  });

  it('grants no delete or retention-changing action anywhere (without Object Lock, not even extending a lock)', () => {
    const all = ofType('AWS::IAM::Policy').flatMap(([, p]) => actionsOf(p.Properties.PolicyDocument.Statement));
    for (const a of all)
      expect(a).not.toMatch(
        /^s3:(Delete|PutObjectRetention|PutObjectLegalHold|BypassGovernanceRetention|PutBucket|PutLifecycle)|^s3:\*$/,
      );
  });

  it('lets the state machine run exactly the two task definitions and pass exactly their four roles', () => {
    const statements = statementsOfRole(/StateMachineRole/);
    const runTask = statements.filter((s) => text(s.Action).includes('ecs:RunTask'));
    expect(runTask).toHaveLength(1);
    expect(runTask[0]!.Resource).toEqual([
      { Ref: logicalId('AWS::ECS::TaskDefinition', /EnginesBackup/) },
      { Ref: logicalId('AWS::ECS::TaskDefinition', /EnginesVerify/) },
    ]);
    const passRole = statements.filter((s) => text(s.Action).includes('iam:PassRole'));
    expect(passRole).toHaveLength(1);
    const roles = [
      'EnginesBackupExecutionRole',
      'EnginesBackupTaskRole',
      'EnginesVerifyExecutionRole',
      'EnginesVerifyTaskRole',
    ].map((r) => ({ 'Fn::GetAtt': [logicalId('AWS::IAM::Role', new RegExp(r)), 'Arn'] }));
    expect(passRole[0]!.Resource).toEqual(roles);
    const invoke = statements.find((s) => s.Action === 'lambda:InvokeFunction')!;
    expect(text(invoke.Resource)).toMatch(/NotifyChat/);
    expect(text(invoke.Resource)).toMatch(/SnitchCheckIn/);
    expect(text(invoke.Resource)).toMatch(/RetentionApplyRetention/);
  });
});

describe('retention step', () => {
  const retentionFunction = () =>
    ofType('AWS::Lambda::Function').find(([id]) => /RetentionApplyRetention[0-9A-F]{8}$/.test(id))![1];

  it('gets the bucket, prefix and policy (defaults filled in) and no lock mode without Object Lock', () => {
    const vars = retentionFunction().Properties.Environment.Variables;
    expect(vars.PGPROOF_BUCKET).toEqual({ Ref: expect.stringMatching(/BackupsBucket/) });
    expect(vars.PGPROOF_PREFIX).toBe('pgproof');
    expect(JSON.parse(vars.PGPROOF_RETENTION)).toEqual({
      keepDaily: 7,
      keepWeekly: 4,
      keepMonthly: 12,
      keepYearly: 0,
      keepVerifiedMin: 3,
      unverifiedDays: 7,
    });
    expect(vars.PGPROOF_OBJECT_LOCK_MODE).toBeUndefined();
    expect(retentionFunction().Properties.VpcConfig).toBeUndefined();
  });

  it('may list, read and tag objects under the prefix, decrypt with the key, and nothing else', () => {
    const statements = statementsOfRole(/RetentionApplyRetentionRole/);
    expect(actionsOf(statements).sort()).toEqual([
      'kms:Decrypt',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:GetObject',
      's3:GetObjectTagging',
      's3:ListBucket',
      's3:PutObjectTagging',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    const tag = statements.find((st) => [st.Action].flat().includes('s3:PutObjectTagging'))!;
    expect(text(tag.Resource)).toMatch(/\/pgproof\/\*"/);
    const list = statements.find((st) => st.Action === 's3:ListBucket')!;
    expect(list.Condition).toEqual({ StringLike: { 's3:prefix': ['pgproof/*'] } });
  });

  it('with Object Lock may extend locks only in the bucket mode and up to the longest rule, never bypass', () => {
    const { stack } = buildPgProof(() => ({
      objectLockRetention: Duration.days(7),
      objectLockMode: 'COMPLIANCE',
      retention: { keepMonthly: 6, keepYearly: 2 },
    }));
    const locked = Template.fromStack(stack).toJSON().Resources as Record<string, Json>;
    const fnEntry = Object.entries(locked).find(
      ([id, r]) => r.Type === 'AWS::Lambda::Function' && /RetentionApplyRetention[0-9A-F]{8}$/.test(id),
    )!;
    expect(fnEntry[1].Properties.Environment.Variables.PGPROOF_OBJECT_LOCK_MODE).toBe('COMPLIANCE');
    const roleId = Object.entries(locked).find(
      ([id, r]) => r.Type === 'AWS::IAM::Role' && /RetentionApplyRetentionRole/.test(id),
    )![0];
    const statements = Object.values(locked)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((x: Json) => x.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const lock = statements.find((st) => st.Action === 's3:PutObjectRetention')!;
    // Two years of yearly backups is the longest rule: 2 × 366 days, plus a day of rounding.
    expect(lock.Condition).toEqual({
      StringEquals: { 's3:object-lock-mode': 'COMPLIANCE' },
      NumericLessThanEquals: { 's3:object-lock-remaining-retention-days': '733' },
    });
    expect(actionsOf(statements)).toContain('s3:GetObjectRetention');
    for (const a of actionsOf(statements)) expect(a).not.toMatch(/^s3:(Delete|BypassGovernanceRetention|PutBucket)/);
  });

  it('runs after VerifyBackup and before DatabaseVerified, with the backup key as its only input', () => {
    const sm = ofType('AWS::StepFunctions::StateMachine')[0]![1];
    const definition = text(sm.Properties.DefinitionString);
    expect(definition).toContain('ApplyRetention');
    expect(definition).toMatch(/backupKey\.\$\\":\\"\$\.backup\.key/);
  });
});

describe('lambdas', () => {
  it('name their own secret in the environment and trace with X-Ray', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CHAT_WEBHOOK_SECRET_NAME: 'pgproof/chat' }) },
      TracingConfig: { Mode: 'Active' },
      Runtime: Match.stringLikeRegexp('^nodejs'),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SNITCH_URL_SECRET_NAME: 'pgproof/snitch' }) },
    });
    for (const [, fn] of ofType('AWS::Lambda::Function')) {
      const vars = fn.Properties.Environment.Variables;
      expect('CHAT_WEBHOOK_SECRET_NAME' in vars && 'SNITCH_URL_SECRET_NAME' in vars).toBe(false);
    }
  });
});

describe('state machine, schedule, monitoring', () => {
  it('is named pgproof-<name>, logs ALL to its log group, traces with X-Ray', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'pgproof-orders',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true, Destinations: [Match.anyValue()] },
    });
    // Named per stack (test/lib/pg-proof-stack.redeploy.test.ts): /aws/vendedlogs/states/pgproof-orders-<first group of the stack id's UUID>
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: { 'Fn::Join': ['', ['/aws/vendedlogs/states/pgproof-orders-', Match.anyValue()]] },
    });
  });

  it('starts a run daily at 03:00 UTC with a scheduled reason', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Input: '{"reason":"scheduled"}' })],
    });
  });

  it('takes a custom schedule and can be disabled', () => {
    const { stack } = buildPgProof(() => ({
      schedule: events.Schedule.expression('cron(30 1 * * ? *)'),
      scheduleEnabled: false,
    }));
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(30 1 * * ? *)',
      State: 'DISABLED',
    });
  });

  it('alarms on failed, timed-out and aborted runs to an encrypted SNS topic with the e-mail subscribed', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'failed + timedOut + aborted' }),
        Match.objectLike({
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ExecutionsFailed' }) }),
        }),
        Match.objectLike({
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ExecutionsTimedOut' }) }),
        }),
        Match.objectLike({
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ExecutionsAborted' }) }),
        }),
      ]),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalId('AWS::SNS::Topic', /AlarmTopic/) }],
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'dba@example.com' });
  });

  it("turns the engines' log lines into metrics and plots them on a dashboard", () => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.message = "backup complete" }',
      MetricTransformations: [
        Match.objectLike({ MetricName: 'DumpBytes', MetricValue: '$.bytes', MetricNamespace: 'PgProof/orders' }),
      ],
    });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.message = "backup verified" }',
      MetricTransformations: [Match.objectLike({ MetricName: 'RestoreSeconds', MetricValue: '$.restoreSeconds' })],
    });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ ($.message = "check") && ($.passed IS FALSE) }',
      MetricTransformations: [Match.objectLike({ MetricName: 'ChecksFailed', MetricValue: '1' })],
    });
    const body = text(ofType('AWS::CloudWatch::Dashboard')[0]![1].Properties.DashboardBody);
    for (const m of ['DumpBytes', 'DumpSeconds', 'RestoreSeconds', 'ChecksFailed', 'ExecutionsFailed'])
      expect(body).toContain(m);
  });
});

describe('existing resources', () => {
  it('uses an existing bucket and key without creating a bucket', () => {
    const { stack } = buildPgProof((s) => ({ bucket: s3.Bucket.fromBucketName(s, 'Existing', 'my-backups') }));
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::S3::Bucket', 0);
    expect(text(t.toJSON())).toContain('arn:aws:s3:::my-backups/pgproof/*');
  });
});

describe('validation', () => {
  const build = (overrides: Parameters<typeof minimalProps>[1]) => () => {
    const stack = testStack();
    new PgProof(stack, 'PgProof', minimalProps(stack, overrides));
  };
  it.each([
    [{ name: 'Orders_DB' }, /name must be 1–32 lower-case letters.*"Orders_DB"/],
    [{ databasePort: 70000 }, /databasePort must be a port number 1–65535; got 70000/],
    [{ keyPrefix: '/backups/' }, /keyPrefix must not be empty or start or end with "\/"; got "\/backups\/"/],
    [{ databasePasswordJsonField: ' ' }, /databasePasswordJsonField must not be empty/],
    [{ objectLockRetention: Duration.hours(12) }, /objectLockRetention must be a whole number of days.*got 0.5/],
    [
      { noncurrentVersionRetention: Duration.hours(12) },
      /noncurrentVersionRetention must be a whole number of days, at least 1; got 0.5/,
    ],
    [{ retention: { keepVerifiedMin: 0 } }, /retention.keepVerifiedMin must be a whole number from 1 to 1000/],
    [{ retention: { keepDaily: 1.5 } }, /retention.keepDaily must be a whole number from 0 to 3660; got 1.5/],
    [
      { backupRetention: Duration.days(35) } as never,
      /backupRetention was removed: backups expire by the `retention` policy over verified backups/,
    ],
    [{ verifyEphemeralStorageGiB: 500 }, /verifyEphemeralStorageGiB must be a whole number from 21 to 200; got 500/],
    [{ heartbeatTimeout: Duration.seconds(30) }, /heartbeatTimeout must be at least 2 minutes.*got 30 seconds/],
    [{ backupTimeout: Duration.hours(30) }, /backupTimeout must be at most 24 hours/],
    [{ verifyTimeout: Duration.minutes(4) }, /verifyTimeout \(240 s\) must be longer than heartbeatTimeout/],
    [{ backupCpu: 300 }, /backupSize.cpu must be one of 256, 512, .*; got 300/],
    [{ verifyMemoryMiB: 1024 }, /verifySize.memoryMiB 1024 does not fit 2048 CPU units on Fargate/],
    [{ engineConfig: { compression: { method: 'zstd', level: 40 } } }, /engineConfig: compression.level/],
  ] as const)('rejects %o', (overrides, message) => {
    const props = { ...overrides } as Json;
    if ('verifyTimeout' in props) props.heartbeatTimeout = Duration.minutes(5);
    expect(build(props)).toThrow(message);
  });

  it('rejects retention settings with an existing bucket, and a key without one', () => {
    expect(() => {
      const stack = testStack();
      new PgProof(
        stack,
        'PgProof',
        minimalProps(stack, {
          bucket: s3.Bucket.fromBucketName(stack, 'B', 'my-backups'),
          objectLockRetention: Duration.days(7),
        }),
      );
    }).toThrow(/objectLockRetention applies only to a bucket PgProof creates/);
    expect(() => {
      const stack = testStack();
      const key = new kms.Key(stack, 'K');
      new PgProof(stack, 'PgProof', minimalProps(stack, { encryptionKey: key }));
    }).toThrow(/encryptionKey applies only to an existing bucket/);
  });

  it('keeps the bucket on destroy unless told otherwise', () => {
    const { stack } = buildPgProof(() => ({ removalPolicy: RemovalPolicy.DESTROY }));
    Template.fromStack(stack).hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ VersioningConfiguration: { Status: 'Enabled' } }),
    });
  });
});
