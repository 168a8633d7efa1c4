import { CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';
import { resolveFleet, type PgProofConfig, type ResolvedConnection } from './config';
import type { EngineDatabaseConnection, EngineFleet } from './engine-tasks';
import { importDatabaseSecret } from './database-secret';
import { PgProof, type PgProofProps } from './pg-proof';
import type { RetentionPolicy } from './common/retention';

export interface PgProofStackProps extends StackProps {
  /** The validated configuration file. */
  readonly config: PgProofConfig;
  /** The engines' image. @default - built from containers/Dockerfile (tests pass a placeholder to skip the asset) */
  readonly containerImage?: ecs.ContainerImage;
}

/** Nearest CloudWatch Logs retention at or above the configured number of days. */
function retentionFor(daysWanted: number): logs.RetentionDays {
  const values = Object.values(logs.RetentionDays)
    .filter((v): v is number => typeof v === 'number' && v > 0)
    .sort((a, b) => a - b);
  return (values.find((v) => v >= daysWanted) ?? values[values.length - 1]) as logs.RetentionDays;
}

/** Today's one `database`: the PgProof props it always gave (the template stays as it was). */
function singleDatabaseProps(scope: Construct, db: NonNullable<PgProofConfig['database']>): Partial<PgProofProps> {
  // Name, partial ARN or complete ARN in either field: each form gets its own import and policy resource.
  const passwordSecret = importDatabaseSecret(
    scope,
    'DatabasePassword',
    (db.passwordSecretArn ?? db.passwordSecretName)!,
  );
  return {
    databaseHost: db.host,
    databasePort: db.port,
    databaseName: db.name,
    ...(db.user ? { databaseUser: db.user } : {}),
    databasePasswordSecret: passwordSecret,
    databasePasswordJsonField: db.passwordJsonField,
    ...(db.passwordSecretKmsKeyArn
      ? { databasePasswordSecretKmsKey: kms.Key.fromKeyArn(scope, 'DatabasePasswordKey', db.passwordSecretKmsKeyArn) }
      : {}),
    databaseSslMode: db.sslMode,
    ...(db.sslRootCert ? { databaseSslRootCert: db.sslRootCert } : {}),
  };
}

/** `connection` + `databases`: every database resolved, each distinct secret and key imported once. */
function fleetProps(scope: Construct, config: PgProofConfig): EngineFleet {
  const fleet = resolveFleet(config);
  const secrets = new Map<string, secretsmanager.ISecret>();
  const keys = new Map<string, kms.IKey>();
  const secretOf = (id: string) => {
    if (!secrets.has(id)) secrets.set(id, importDatabaseSecret(scope, `DatabasePassword${secrets.size + 1}`, id));
    return secrets.get(id)!;
  };
  const keyOf = (arn: string) => {
    if (!keys.has(arn)) keys.set(arn, kms.Key.fromKeyArn(scope, `DatabasePasswordKey${keys.size + 1}`, arn));
    return keys.get(arn)!;
  };
  const connection = (c: ResolvedConnection): EngineDatabaseConnection => ({
    ...(c.host !== undefined ? { host: c.host } : {}),
    ...(c.port !== undefined ? { port: c.port } : {}),
    ...(c.user !== undefined ? { user: c.user } : {}),
    sslMode: c.sslMode,
    ...(c.sslRootCert !== undefined ? { sslRootCert: c.sslRootCert } : {}),
    ...(c.passwordSecretId !== undefined ? { passwordSecret: secretOf(c.passwordSecretId) } : {}),
    passwordJsonField: c.passwordJsonField,
    ...(c.passwordSecretKmsKeyArn !== undefined ? { passwordSecretKey: keyOf(c.passwordSecretKmsKeyArn) } : {}),
  });
  const shared = config.connection ? connection(fleet.connection!) : undefined;
  return {
    databases:
      fleet.databases === 'all'
        ? 'all'
        : fleet.databases.map((d) => ({
            id: d.id,
            name: d.name,
            connection: connection(d.connection),
            engine: d.engine,
          })),
    ...(shared ? { connection: shared } : {}),
    ...(fleet.databases === 'all' ? { exclude: fleet.exclude, databaseSettings: fleet.databaseSettings } : {}),
  };
}

/** The stack `cdk deploy` creates from `pgproof.config.json`: one PgProof pipeline, everything from the file. */
export class PgProofStack extends Stack {
  public readonly pgProof: PgProof;

  constructor(scope: Construct, id: string, props: PgProofStackProps) {
    super(scope, id, props);
    const { config } = props;

    // From attributes, never fromLookup: synth stays offline and needs no credentials.
    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: config.vpc.vpcId,
      availabilityZones: config.vpc.availabilityZones,
      privateSubnetIds: config.vpc.privateSubnetIds,
      ...(config.vpc.privateRouteTableIds ? { privateSubnetRouteTableIds: config.vpc.privateRouteTableIds } : {}),
    });
    Validations.of(vpc).acknowledge({
      id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
      reason: 'The tasks only place network interfaces in these subnets; nothing reads their route tables.',
    });
    const secret = (id: string, name: string) => secretsmanager.Secret.fromSecretNameV2(this, id, name);
    const databaseProps = config.database
      ? singleDatabaseProps(this, config.database)
      : { fleet: fleetProps(this, config) };

    const existingBucket = config.bucket.existingBucketName
      ? s3.Bucket.fromBucketName(this, 'ExistingBucket', config.bucket.existingBucketName)
      : undefined;
    const existingKey = config.bucket.existingKmsKeyArn
      ? kms.Key.fromKeyArn(this, 'ExistingKey', config.bucket.existingKmsKeyArn)
      : undefined;

    this.pgProof = new PgProof(this, 'PgProof', {
      name: config.name,
      vpc,
      vpcSubnets: { subnets: vpc.privateSubnets },
      createVpcEndpoints: config.vpc.createEndpoints,
      ...(config.vpc.securityGroupId
        ? {
            backupSecurityGroups: [
              ec2.SecurityGroup.fromSecurityGroupId(this, 'BackupSecurityGroup', config.vpc.securityGroupId, {
                mutable: false,
              }),
            ],
          }
        : {}),
      ...databaseProps,
      maxConcurrency: config.maxConcurrency,
      engineConfig: config.engine,
      ...(existingBucket
        ? { bucket: existingBucket, ...(existingKey ? { encryptionKey: existingKey } : {}) }
        : {
            noncurrentVersionRetention: Duration.days(config.bucket.noncurrentDays),
            ...(config.bucket.objectLockDays
              ? {
                  objectLockRetention: Duration.days(config.bucket.objectLockDays),
                  objectLockMode: config.bucket.objectLockMode,
                }
              : {}),
          }),
      // pruneLocal is the local runner's; the policy alone reaches the retention step.
      retention: policyOnly(config.retention),
      keyPrefix: config.bucket.prefix,
      removalPolicy: config.bucket.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      ...(props.containerImage ? { containerImage: props.containerImage } : {}),
      cpuArchitecture: ecs.CpuArchitecture.of(config.architecture),
      backupCpu: config.tasks.backup.cpu,
      backupMemoryMiB: config.tasks.backup.memoryMiB,
      verifyCpu: config.tasks.verify.cpu,
      verifyMemoryMiB: config.tasks.verify.memoryMiB,
      verifyEphemeralStorageGiB: config.tasks.verify.ephemeralStorageGiB,
      backupTimeout: Duration.minutes(config.tasks.backup.timeoutMinutes),
      verifyTimeout: Duration.minutes(config.tasks.verify.timeoutMinutes),
      heartbeatTimeout: Duration.seconds(config.tasks.heartbeatSeconds),
      schedule: events.Schedule.expression(`cron(${config.schedule.cron})`),
      scheduleEnabled: config.schedule.enabled,
      chatWebhookSecret: secret('ChatWebhookSecret', config.chatWebhookSecretName),
      snitchUrlSecret: secret('SnitchUrlSecret', config.snitchUrlSecretName),
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
      logRetention: retentionFor(config.logRetentionDays),
    });

    new CfnOutput(this, 'StateMachineArn', {
      value: this.pgProof.stateMachine.stateMachineArn,
      description: 'Start a run: aws stepfunctions start-execution --state-machine-arn <this>',
    });
    new CfnOutput(this, 'BucketName', { value: this.pgProof.bucket.bucketName });
    new CfnOutput(this, 'BackupSecurityGroupIds', {
      value: this.pgProof.engineTasks.backupSecurityGroups.map((g) => g.securityGroupId).join(','),
      description: 'Allow PostgreSQL (TCP 5432) from these on the database',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.pgProof.monitoring.topic.topicArn });
  }
}

/** The retention policy of a configuration's `retention` (without the local-only `pruneLocal`). */
function policyOnly(retention: PgProofConfig['retention']): RetentionPolicy {
  const { pruneLocal: _localOnly, ...policy } = retention;
  return policy;
}
