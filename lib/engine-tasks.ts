import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENGINE_ENV, LIBPQ_ENV } from './contracts/engine-env';
import type { EngineConfig } from '../containers/common/engine-config';
import { defaultSslRootCert } from '../containers/common/tls';
import { EPHEMERAL_STORAGE_GIB, ephemeralStorageProblem, fargateSizeProblem, type SslMode } from './common/rules';
import { secretIdForTask } from './database-secret';
import { acknowledgeRule, acknowledgeWildcards } from './nag';
import {
  backupTaskStatements,
  databaseSecretStatements,
  verifyTaskStatements,
  type EngineAccess,
} from './task-permissions';

/** The container name in both task definitions (the state machine's container overrides refer to it). */
const ENGINE_CONTAINER_NAME = 'engine';

/** Size of one Fargate task. */
export interface EngineTaskSize {
  /** CPU units (1024 = 1 vCPU). */
  readonly cpu: number;
  /** Memory in MiB; must suit `cpu` (Fargate's table). */
  readonly memoryMiB: number;
  /** Task storage in GiB, 21–200. @default 21 */
  readonly ephemeralStorageGiB?: number;
}

export interface EngineTasksProps extends EngineAccess {
  /** The image holding `/app/backup.cjs` (default command) and `/app/verify.cjs`. */
  readonly image: ecs.ContainerImage;
  /** The source database. */
  readonly database: {
    readonly host: string;
    readonly port: number;
    readonly name: string;
    /** @default - the secret's `username` field */
    readonly user?: string;
    readonly sslMode: SslMode;
    /** CA bundle inside the image. @default - the image's RDS global bundle for verify-ca/verify-full */
    readonly sslRootCert?: string;
    /** Read by the backup task at run time (`ENGINE_ENV.dbSecret`), never injected by ECS. */
    readonly passwordSecret: secretsmanager.ISecret;
    /** JSON field of the secret holding the password. */
    readonly passwordJsonField: string;
    /** The secret's customer-managed KMS key. @default - none (the AWS managed key needs no grant) */
    readonly passwordSecretKey?: kms.IKey;
  };
  /** The engine configuration, passed as `ENGINE_ENV.config` (it holds no secrets). */
  readonly engineConfig: EngineConfig;
  readonly backupSize: EngineTaskSize;
  readonly verifySize: EngineTaskSize;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly vpc: ec2.IVpc;
  /** Security groups of the backup task (the database must admit them). @default - a new group, all egress */
  readonly backupSecurityGroups?: ec2.ISecurityGroup[];
  /** CPU architecture of both tasks; the image must be built for it. @default ecs.CpuArchitecture.X86_64 */
  readonly cpuArchitecture?: ecs.CpuArchitecture;
}

/** The backup and verify Fargate task definitions, their log groups and their least-privilege roles. */
export class EngineTasks extends Construct {
  public readonly backup: ecs.FargateTaskDefinition;
  public readonly verify: ecs.FargateTaskDefinition;
  public readonly backupContainer: ecs.ContainerDefinition;
  public readonly verifyContainer: ecs.ContainerDefinition;
  public readonly backupLogGroup: logs.LogGroup;
  public readonly verifyLogGroup: logs.LogGroup;
  /** The backup task's security groups: allow PostgreSQL from these on the database. */
  public readonly backupSecurityGroups: ec2.ISecurityGroup[];
  /** The verify task's security group: HTTPS out only, no route to the database needed. */
  public readonly verifySecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: EngineTasksProps) {
    super(scope, id);
    validateSize('backupSize', props.backupSize);
    validateSize('verifySize', props.verifySize);

    const storage = {
      [ENGINE_ENV.bucket]: props.bucket.bucketName,
      [ENGINE_ENV.prefix]: props.prefix,
      ...(props.key ? { [ENGINE_ENV.kmsKeyId]: props.key.keyArn } : {}),
    };
    const config = JSON.stringify(props.engineConfig);
    const sslRootCert = defaultSslRootCert(props.database.sslMode, props.database.sslRootCert);

    this.backupLogGroup = new logs.LogGroup(this, 'BackupLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.verifyLogGroup = new logs.LogGroup(this, 'VerifyLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    this.backup = new ecs.FargateTaskDefinition(this, 'Backup', {
      cpu: props.backupSize.cpu,
      memoryLimitMiB: props.backupSize.memoryMiB,
      ...(props.backupSize.ephemeralStorageGiB ? { ephemeralStorageGiB: props.backupSize.ephemeralStorageGiB } : {}),
      runtimePlatform: {
        cpuArchitecture: props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    this.backupContainer = this.backup.addContainer(ENGINE_CONTAINER_NAME, {
      image: props.image,
      // The image's default command runs the backup.
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.backupLogGroup, streamPrefix: 'backup' }),
      environment: {
        [LIBPQ_ENV.host]: props.database.host,
        [LIBPQ_ENV.port]: String(props.database.port),
        ...(props.database.user ? { [LIBPQ_ENV.user]: props.database.user } : {}),
        [LIBPQ_ENV.database]: props.database.name,
        [LIBPQ_ENV.sslMode]: props.database.sslMode,
        ...(sslRootCert ? { [LIBPQ_ENV.sslRootCert]: sslRootCert } : {}),
        // The engine reads the password with the task role at run time: ECS `secrets` would need the complete ARN.
        [ENGINE_ENV.dbSecret]: secretIdForTask(props.database.passwordSecret),
        [ENGINE_ENV.dbSecretJsonField]: props.database.passwordJsonField,
        ...storage,
        [ENGINE_ENV.config]: config,
      },
      stopTimeout: Duration.seconds(30),
      // node is PID 1 in the image: an init process reaps pg_dump/zstd (and postgres) children and forwards signals.
      linuxParameters: new ecs.LinuxParameters(this, 'BackupLinuxParameters', { initProcessEnabled: true }),
    });
    for (const s of backupTaskStatements(props)) this.backup.addToTaskRolePolicy(s);
    for (const s of databaseSecretStatements(
      props.database.passwordSecret,
      props.database.passwordSecretKey,
      Stack.of(this).region,
    ))
      this.backup.addToTaskRolePolicy(s);

    this.verify = new ecs.FargateTaskDefinition(this, 'Verify', {
      cpu: props.verifySize.cpu,
      memoryLimitMiB: props.verifySize.memoryMiB,
      // The archive and the restored cluster live in /work on the task's ephemeral storage.
      ephemeralStorageGiB: props.verifySize.ephemeralStorageGiB ?? EPHEMERAL_STORAGE_GIB.min,
      runtimePlatform: {
        cpuArchitecture: props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    this.verifyContainer = this.verify.addContainer(ENGINE_CONTAINER_NAME, {
      image: props.image,
      command: ['/app/verify.cjs'],
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.verifyLogGroup, streamPrefix: 'verify' }),
      environment: { ...storage, [ENGINE_ENV.config]: config, [ENGINE_ENV.workDir]: '/work' },
      stopTimeout: Duration.seconds(60),
      // The throwaway cluster's postgres is re-parented to PID 1 when pg_ctl exits: the init process reaps it.
      linuxParameters: new ecs.LinuxParameters(this, 'VerifyLinuxParameters', { initProcessEnabled: true }),
    });
    for (const s of verifyTaskStatements(props)) this.verify.addToTaskRolePolicy(s);

    this.backupSecurityGroups = props.backupSecurityGroups ?? [
      new ec2.SecurityGroup(this, 'BackupSecurityGroup', {
        vpc: props.vpc,
        description: 'pgproof backup task: reaches the database, S3, ECR, Step Functions',
        allowAllOutbound: true,
      }),
    ];
    this.verifySecurityGroup = new ec2.SecurityGroup(this, 'VerifySecurityGroup', {
      vpc: props.vpc,
      description: 'pgproof verify task: HTTPS to S3, ECR, Logs and Step Functions only',
      allowAllOutbound: false,
    });
    this.verifySecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs');

    const objectsUnderPrefix = props.bucket.arnForObjects(`${props.prefix}/*`);
    const perRunKeys =
      "Object keys contain the run id, unknown before the run; the grant is limited to this pipeline's prefix.";
    const kmsDataKey = {
      action: 'kms:GenerateDataKey*',
      reason: 'GenerateDataKey and GenerateDataKeyWithoutPlaintext on the one backup key (SSE-KMS uploads).',
    };
    for (const task of [this.backup, this.verify]) {
      acknowledgeRule(
        task,
        'ECS2',
        "The environment holds only non-secret settings (database host, bucket, engine config, the secret's id); the backup task reads the password from Secrets Manager at run time.",
      );
      acknowledgeWildcards(task.obtainExecutionRole(), [
        {
          resource: '*',
          reason:
            'ecr:GetAuthorizationToken supports no resource-level permissions; image pulls are limited to the CDK asset repository.',
        },
      ]);
    }
    acknowledgeWildcards(this.backup.taskRole, [
      {
        resource: props.bucket.arnForObjects(`${props.prefix}/*.dump`),
        reason: `PutObject and AbortMultipartUpload of dumps only (never Delete, never verification records): ${perRunKeys}`,
      },
      {
        resource: props.bucket.arnForObjects(`${props.prefix}/*.dump.zst`),
        reason: `PutObject and AbortMultipartUpload of zstd dumps only (never Delete, never verification records): ${perRunKeys}`,
      },
      {
        resource: props.bucket.arnForObjects(`${props.prefix}/*.manifest.json`),
        reason: `Reads and writes manifests only (the size guard's baseline, written after each dump): ${perRunKeys}`,
      },
      {
        resource: props.bucket.arnForObjects(`${props.prefix}/*.verified.json`),
        reason: `Reads verification records only (which backups are proven): ${perRunKeys}`,
      },
      {
        resource: props.bucket.arnForObjects(`${props.prefix}/*.roles.sql`),
        reason: `PutObject of the role definitions beside each dump only (never Delete, never verification records): ${perRunKeys}`,
      },
      ...(props.key ? [kmsDataKey] : []),
    ]);
    acknowledgeWildcards(this.verify.taskRole, [
      { resource: objectsUnderPrefix, reason: `GetObject only (read the dump and manifest to restore): ${perRunKeys}` },
      {
        resource: props.bucket.arnForObjects(`${props.prefix}/*.verified.json`),
        reason: `PutObject of verification records only, never dumps or manifests: ${perRunKeys}`,
      },
      ...(props.key ? [kmsDataKey] : []),
    ]);
  }

  /** The task roles, for `iam:PassRole` and assertions. */
  public get roles(): iam.IRole[] {
    return [
      this.backup.taskRole,
      this.backup.obtainExecutionRole(),
      this.verify.taskRole,
      this.verify.obtainExecutionRole(),
    ];
  }
}

/** Throws when a task size is not one Fargate accepts, naming the prop and the value. */
export function validateSize(prop: string, size: EngineTaskSize): void {
  const problem =
    fargateSizeProblem(prop, size) ??
    (size.ephemeralStorageGiB === undefined
      ? undefined
      : ephemeralStorageProblem(`${prop}.ephemeralStorageGiB`, size.ephemeralStorageGiB));
  if (problem) throw new Error(problem);
}
