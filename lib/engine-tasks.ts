import { Duration, type RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENGINE_ENV, LIBPQ_ENV } from './contracts/engine-env';
import type { EngineConfig } from '../containers/common/engine-config';
import { defaultSslRootCert } from '../containers/common/tls';
import { EPHEMERAL_STORAGE_GIB, ephemeralStorageProblem, fargateSizeProblem, type SslMode } from './common/rules';
import type { DatabaseEngineOverrides } from './config';
import type { FleetSettings, TaskConnection } from './contracts/fleet-settings';
import { secretIdForSettings, secretIdForTask } from './database-secret';
import { largestEntries, renderFleetSettings } from './engine-settings';
import { acknowledgeRule, acknowledgeWildcards } from './nag';
import {
  backupTaskStatements,
  databaseSecretStatements,
  secretPolicyResource,
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

/** How a fleet database's backup task reaches its server: no secret value, the secret itself. */
export interface EngineDatabaseConnection {
  /** @default - the secret's `host` at run time */
  readonly host?: string;
  /** @default - the secret's `port`, else 5432 */
  readonly port?: number;
  /** @default - the secret's `username` */
  readonly user?: string;
  readonly sslMode: SslMode;
  /** CA bundle inside the image. @default - the image's RDS global bundle for verify-ca/verify-full */
  readonly sslRootCert?: string;
  /** Read by the backup task at run time with its role. @default - none (the shared connection's) */
  readonly passwordSecret?: secretsmanager.ISecret;
  /** JSON field of the secret holding the password. */
  readonly passwordJsonField: string;
  /** The secret's customer-managed KMS key. @default - the secret's `encryptionKey`, if any (the AWS managed key needs no grant) */
  readonly passwordSecretKey?: kms.IKey;
}

/** One database of a fleet. */
export interface EngineDatabase {
  /** The key of its settings and the task's `ENGINE_ENV.database`. */
  readonly id: string;
  /** Its name on the server. */
  readonly name: string;
  /** Its whole connection (the shared fields included). */
  readonly connection: EngineDatabaseConnection;
  /** Its whole engine configuration. */
  readonly engine: EngineConfig;
}

/** Every database the tasks may be asked to work on. */
export interface EngineFleet {
  /** The listed databases, or "all": discovered on `connection`'s server at run time. */
  readonly databases: readonly EngineDatabase[] | 'all';
  /** The connection the databases share; required for "all". @default - none */
  readonly connection?: EngineDatabaseConnection;
  /** Name patterns "all" leaves out. @default - none */
  readonly exclude?: readonly string[];
  /** Engine fields of discovered databases, by name. @default - none */
  readonly databaseSettings?: Readonly<Record<string, DatabaseEngineOverrides>>;
}

/**
 * The most bytes a rendered container definition may hold: the task definition is capped at 65,536 bytes, and the
 * rest of it (image, logging, the other container fields, the revision's own fields) needs the remainder.
 */
export const SETTINGS_BUDGET_BYTES = 48 * 1024;

/** IAM's limit on the inline policies of one role, in characters (whitespace not counted). */
export const ROLE_INLINE_POLICY_CHARS = 10_240;

export interface EngineTasksProps extends EngineAccess {
  /** The image holding `/app/backup.cjs` (default command) and `/app/verify.cjs`. */
  readonly image: ecs.ContainerImage;
  /** The source database (one, today's form). Give this or `fleet`. */
  readonly database?: {
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
  /**
   * The databases of a fleet, each with its connection and engine configuration, in `ENGINE_ENV.config` keyed by
   * id (the task's `ENGINE_ENV.database` selects one). Give this or `database`.
   */
  readonly fleet?: EngineFleet;
  /** The top-level engine configuration (it holds no secrets). */
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
    if ((props.database === undefined) === (props.fleet === undefined))
      throw new Error('EngineTasks needs exactly one of database (one database) and fleet (several)');
    const { settings, secrets, keys } = fleetSettingsOf(this, props);
    // One database keeps today's plain engine configuration (its template unchanged); a fleet's is keyed by id.
    // Plain text unless a secret was created in this stack (its name is then a reference).
    const config =
      settings === undefined
        ? JSON.stringify(props.engineConfig)
        : Token.isUnresolved(JSON.stringify(settings))
          ? Stack.of(this).toJsonString(settings)
          : JSON.stringify(settings);
    const connectionEnv = props.database ? singleDatabaseEnv(props.database) : {};

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
      environment: { ...connectionEnv, ...storage, [ENGINE_ENV.config]: config },
      stopTimeout: Duration.seconds(30),
      // node is PID 1 in the image: an init process reaps pg_dump/zstd (and postgres) children and forwards signals.
      linuxParameters: new ecs.LinuxParameters(this, 'BackupLinuxParameters', { initProcessEnabled: true }),
    });
    const backupStatements = [
      ...backupTaskStatements(props),
      ...databaseSecretStatements(secrets, keys, Stack.of(this).region),
    ];
    for (const s of backupStatements) this.backup.addToTaskRolePolicy(s);
    checkRolePolicySize(this, backupStatements, secrets.length);

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
    for (const [task, container] of [
      ['backup', this.backupContainer],
      ['verify', this.verifyContainer],
    ] as const)
      checkSettingsBudget(this, task, container, settings);

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

/** The single database's libpq and secret variables (today's form; the keyed entry then holds only its name). */
function singleDatabaseEnv(database: NonNullable<EngineTasksProps['database']>): Record<string, string> {
  const sslRootCert = defaultSslRootCert(database.sslMode, database.sslRootCert);
  return {
    [LIBPQ_ENV.host]: database.host,
    [LIBPQ_ENV.port]: String(database.port),
    ...(database.user ? { [LIBPQ_ENV.user]: database.user } : {}),
    [LIBPQ_ENV.database]: database.name,
    [LIBPQ_ENV.sslMode]: database.sslMode,
    ...(sslRootCert ? { [LIBPQ_ENV.sslRootCert]: sslRootCert } : {}),
    // The engine reads the password with the task role at run time: ECS `secrets` would need the complete ARN.
    [ENGINE_ENV.dbSecret]: secretIdForTask(database.passwordSecret),
    [ENGINE_ENV.dbSecretJsonField]: database.passwordJsonField,
  };
}

function taskConnection(c: EngineDatabaseConnection): TaskConnection {
  // The image's default CA bundle is left to the engine, so a database that changes only its sslMode does not
  // inherit the shared connection's bundle.
  const sslRootCert = c.sslRootCert === defaultSslRootCert(c.sslMode) ? undefined : c.sslRootCert;
  return {
    ...(c.host !== undefined ? { host: c.host } : {}),
    ...(c.port !== undefined ? { port: c.port } : {}),
    ...(c.user !== undefined ? { user: c.user } : {}),
    sslMode: c.sslMode,
    ...(sslRootCert ? { sslRootCert } : {}),
    ...(c.passwordSecret ? { passwordSecret: secretIdForSettings(c.passwordSecret) } : {}),
    passwordJsonField: c.passwordJsonField,
  };
}

/**
 * The keyed settings both tasks carry (undefined for one database: the plain engine configuration), and each
 * distinct secret and key the backup role must read.
 */
function fleetSettingsOf(
  scope: Construct,
  props: EngineTasksProps,
): {
  settings: FleetSettings | undefined;
  secrets: secretsmanager.ISecret[];
  keys: kms.IKey[];
} {
  if (props.database) {
    const d = props.database;
    const key = d.passwordSecretKey;
    return {
      settings: undefined,
      secrets: [d.passwordSecret],
      keys: key ? [key] : [],
    };
  }
  const fleet = props.fleet!;
  const listed = fleet.databases === 'all' ? [] : fleet.databases;
  if (fleet.databases === 'all' && fleet.connection?.passwordSecret === undefined)
    throw new Error('fleet.databases "all" needs fleet.connection with a passwordSecret: the server to discover on');
  const connections = [...(fleet.connection ? [fleet.connection] : []), ...listed.map((d) => d.connection)];
  for (const d of listed)
    if (d.connection.passwordSecret === undefined)
      throw new Error(`fleet database "${d.id}" has no passwordSecret (in its connection or the shared one)`);
  // Distinct by the resolved policy resource: one grant per secret however many databases share it.
  const secrets = distinct(
    scope,
    connections.flatMap((c) => (c.passwordSecret ? [c.passwordSecret] : [])),
    secretPolicyResource,
  );
  const keys = distinct(
    scope,
    // As for one database: a secret's own `encryptionKey` counts when no key is given.
    connections.flatMap((c) => {
      const key = c.passwordSecretKey ?? c.passwordSecret?.encryptionKey;
      return key ? [key] : [];
    }),
    (k) => k.keyArn,
  );
  const settings = renderFleetSettings({
    defaults: props.engineConfig,
    ...(fleet.connection ? { connection: taskConnection(fleet.connection) } : {}),
    databases: listed.map((d) => ({
      id: d.id,
      name: d.name,
      connection: taskConnection(d.connection),
      engine: d.engine,
    })),
    ...(fleet.databases === 'all'
      ? { discover: { exclude: fleet.exclude ?? [], databaseSettings: fleet.databaseSettings ?? {} } }
      : {}),
  });
  return { settings, secrets, keys };
}

function distinct<T>(scope: Construct, items: readonly T[], keyOf: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) {
    const key = JSON.stringify(Stack.of(scope).resolve(keyOf(item)));
    if (!seen.has(key)) seen.set(key, item);
  }
  return [...seen.values()];
}

/** Throws when the rendered container definition exceeds the settings budget, naming the largest databases. */
function checkSettingsBudget(
  scope: Construct,
  task: 'backup' | 'verify',
  container: ecs.ContainerDefinition,
  settings: FleetSettings | undefined,
): void {
  const bytes = Buffer.byteLength(JSON.stringify(Stack.of(scope).resolve(container.renderContainerDefinition())));
  if (bytes <= SETTINGS_BUDGET_BYTES) return;
  const largest = (settings ? largestEntries(settings) : [])
    .map((e) => `"${e.id}" (${e.bytes.toLocaleString('en-US')} bytes)`)
    .join(', ');
  throw new Error(
    `the ${task} task's container definition is ${bytes.toLocaleString('en-US')} bytes, above pgproof's settings budget of ${SETTINGS_BUDGET_BYTES.toLocaleString('en-US')} (a task definition holds at most 65,536). ` +
      `Largest database settings: ${largest}. Move checks shared by several databases to the top level, shorten their SQL, or split the databases over two deployments`,
  );
}

/**
 * Throws when the backup role's inline policy would exceed IAM's limit: each distinct secret and key adds a
 * resource. Measured as CloudFormation will render it, references replaced by their longest plausible values.
 */
function checkRolePolicySize(scope: Construct, statements: readonly iam.PolicyStatement[], secretCount: number): void {
  const document = new iam.PolicyDocument({ statements: [...statements], minimize: true });
  const chars = renderedChars(Stack.of(scope).resolve(document));
  if (chars <= ROLE_INLINE_POLICY_CHARS) return;
  throw new Error(
    `the backup task role's inline policy would be about ${chars.toLocaleString('en-US')} characters, above IAM's ${ROLE_INLINE_POLICY_CHARS.toLocaleString('en-US')}: it grants secretsmanager:GetSecretValue on ${secretCount} distinct secrets. ` +
      'Use one secret per server (one pgproof_backup role per server is the usual case: name it in "connection") or fewer distinct secrets',
  );
}

/** Longest plausible values of the pseudo parameters; any other reference counts as 64 characters. */
const PSEUDO_LENGTHS: Record<string, number> = {
  'AWS::Partition': 10,
  'AWS::Region': 14,
  'AWS::AccountId': 12,
  'AWS::URLSuffix': 16,
};

/** The length, without whitespace, of a resolved value once CloudFormation has substituted its references. */
function renderedChars(value: unknown): number {
  const render = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(render);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ('Ref' in o) return 'x'.repeat(PSEUDO_LENGTHS[String(o.Ref)] ?? 64);
      if ('Fn::GetAtt' in o || 'Fn::ImportValue' in o) return 'x'.repeat(64);
      if ('Fn::Join' in o) {
        const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
        return parts.map((p) => String(render(p))).join(sep);
      }
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, render(x)]));
    }
    return v;
  };
  return JSON.stringify(render(value)).length;
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
