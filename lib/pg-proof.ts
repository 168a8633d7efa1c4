import { Aws, Duration, Fn, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { z } from 'zod';
import { describeZodError, engineConfigSchema, type EngineConfig } from '../containers/common/engine-config';
import { keySegment } from '../containers/common/keys';
import { joinKey } from '../containers/common/s3';
import { BackupBucket, type ObjectLockMode } from './backup-bucket';
import { type RetentionPolicy, retentionPolicyProblems } from './common/retention';
import {
  DEFAULT_BACKUP_TASK,
  DEFAULT_DATABASE_PORT,
  DEFAULT_DEPLOYED_SSL_MODE,
  DEFAULT_HEARTBEAT_SECONDS,
  DEFAULT_KEY_PREFIX,
  DEFAULT_MAX_CONCURRENCY,
  DEFAULT_PASSWORD_JSON_FIELD,
  DEFAULT_NONCURRENT_DAYS,
  DEFAULT_OBJECT_LOCK_MODE,
  DEFAULT_RETENTION_POLICY,
  DEFAULT_VERIFY_TASK,
} from './common/defaults';
import {
  databaseIdProblem,
  ephemeralStorageProblem,
  MAX_CONCURRENCY_RANGE,
  MAX_DATABASES,
  isPortNumber,
  keyPrefixProblem,
  MAX_TASK_TIMEOUT_MINUTES,
  MIN_HEARTBEAT_SECONDS,
  pipelineNameProblem,
  type SslMode,
} from './common/rules';
import { type EngineFleet, EngineTasks } from './engine-tasks';
import { TaskVpcEndpoints } from './vpc-endpoints';
import { NotifyFunctions, stateMachineArnFor } from './notify-functions';
import { REPO_ROOT } from './pgproof-function';
import { buildRunDefinition } from './run-definition';
import { acknowledgeWildcards } from './nag';
import { ReportFunction } from './report-function';
import { RetentionFunction } from './retention-function';
import { RunMonitoring } from './run-monitoring';
import { TaskStoppedWatch } from './task-stopped-watch';

/** The engine configuration as written (defaults not yet applied). */
export type EngineConfigInput = z.input<typeof engineConfigSchema>;

export interface PgProofProps {
  /** Short name of this pipeline (lower-case letters, digits, dashes): the state machine is `pgproof-<name>`. */
  readonly name: string;

  /** The VPC the tasks run in; the backup task must reach the database from it. */
  readonly vpc: ec2.IVpc;
  /** Subnets of the tasks; they need a route to S3, ECR, CloudWatch Logs and Step Functions. @default - the VPC's private subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Security groups of the backup task; the database must accept PostgreSQL from them. @default - a new group with all egress */
  readonly backupSecurityGroups?: ec2.ISecurityGroup[];
  /**
   * Create the VPC endpoints the tasks need (S3 gateway; ECR, CloudWatch Logs, Step Functions, Secrets Manager
   * interface endpoints), for subnets without a NAT gateway. The subnets' route tables must be known.
   * @default false - the subnets reach AWS through a NAT gateway or endpoints of their own
   */
  readonly createVpcEndpoints?: boolean;

  /** The database server's host name. Give `databaseHost`, `databaseName` and `databasePasswordSecret`, or `fleet`. */
  readonly databaseHost?: string;
  /** @default 5432 */
  readonly databasePort?: number;
  /** The database to back up. */
  readonly databaseName?: string;
  /**
   * The user pg_dump connects as (needs read access to everything, e.g. a member of pg_read_all_data).
   * @default - the `username` field of the secret (RDS-style JSON)
   */
  readonly databaseUser?: string;
  /**
   * The user's password: plain text, or JSON with the password in `databasePasswordJsonField` (RDS-managed secrets'
   * `username`, `host`, `port`, `dbname` fill what is not configured). The backup task reads it at run time with its
   * task role: imported by name, partial or complete ARN (`Secret.fromSecretNameV2`, `fromSecretPartialArn`,
   * `fromSecretCompleteArn`), each gets the matching policy resource.
   */
  readonly databasePasswordSecret?: secretsmanager.ISecret;
  /** The JSON field of `databasePasswordSecret` holding the password. @default 'password' */
  readonly databasePasswordJsonField?: string;
  /** The customer-managed KMS key encrypting the secret. @default - the secret's `encryptionKey`, if any (the AWS managed key needs no grant) */
  readonly databasePasswordSecretKmsKey?: kms.IKey;
  /** libpq sslmode of the backup's connection. @default 'require' */
  readonly databaseSslMode?: SslMode;
  /** CA bundle (path inside the image) the server certificate is verified with. @default - the RDS global bundle of the image for verify-ca/verify-full, none otherwise */
  readonly databaseSslRootCert?: string;

  /**
   * Several databases (each with its id, connection, secret and engine configuration), or "all" on one server,
   * instead of the single `database*` props.
   * @default - the one database of the `database*` props, its id its name
   */
  readonly fleet?: EngineFleet;
  /** What the chat and the history call a fleet's run. @default name */
  readonly runLabel?: string;
  /** How many databases are proven at once (1–40). @default 4 */
  readonly maxConcurrency?: number;

  /** What the engines do: compression, size guard, checks, freshness, deep proof. @default - the engines' defaults (zstd 1, 50% size guard, no checks) */
  readonly engineConfig?: EngineConfigInput;

  /** Store backups in this bucket. @default - a new bucket (KMS, versioned, TLS-only, lifecycle, optional Object Lock) */
  readonly bucket?: s3.IBucket;
  /** KMS key for new objects in an existing `bucket`. @default - a new key for a new bucket; the bucket's default encryption for an existing one */
  readonly encryptionKey?: kms.IKey;
  /** Key prefix of all objects. @default 'pgproof' */
  readonly keyPrefix?: string;
  /**
   * Which backups are kept, over verified backups per database (grandfather-father-son; the fields left out take
   * their defaults). After each verified database the retention step tags every object of its backups with the
   * rules that keep it or `expired`; the bucket's lifecycle deletes only what is tagged expired.
   * @default DEFAULT_RETENTION_POLICY: 7 daily, 4 weekly, 12 monthly, 0 yearly, the newest 3 verified, unverified for 7 days
   */
  readonly retention?: Partial<RetentionPolicy>;
  /** How long an overwritten or expired version stays restorable (new bucket only). @default Duration.days(30) */
  readonly noncurrentVersionRetention?: Duration;
  /**
   * Object Lock retention of every new object (new bucket only); with it, the retention step also locks each kept
   * verified backup until its rules would let it go. @default - no Object Lock
   */
  readonly objectLockRetention?: Duration;
  /** @default 'GOVERNANCE' */
  readonly objectLockMode?: ObjectLockMode;
  /** What `cdk destroy` does with the bucket and logs. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;

  /** Run the tasks in this cluster. @default - a new cluster with Container Insights */
  readonly cluster?: ecs.ICluster;
  /** The engines' image. @default - built from containers/Dockerfile with the repository root as context */
  readonly containerImage?: ecs.ContainerImage;
  /**
   * CPU architecture of the Fargate tasks and of the image built for them: X86_64 or ARM64 (Graviton, cheaper per
   * vCPU-hour). A `containerImage` given must be built for it.
   * @default ecs.CpuArchitecture.X86_64
   */
  readonly cpuArchitecture?: ecs.CpuArchitecture;
  /** @default 1024 */
  readonly backupCpu?: number;
  /** @default 2048 */
  readonly backupMemoryMiB?: number;
  /** @default 2048 */
  readonly verifyCpu?: number;
  /** @default 8192 */
  readonly verifyMemoryMiB?: number;
  /** Disk of the verify task: the decompressed dump plus the restored cluster must fit. @default 100 */
  readonly verifyEphemeralStorageGiB?: number;
  /** @default Duration.hours(6) */
  readonly backupTimeout?: Duration;
  /** @default Duration.hours(6) */
  readonly verifyTimeout?: Duration;
  /** A task that sends no heartbeat for this long is considered dead. @default Duration.minutes(5) */
  readonly heartbeatTimeout?: Duration;

  /** When runs start. @default - daily at 03:00 UTC */
  readonly schedule?: events.Schedule;
  /** @default true */
  readonly scheduleEnabled?: boolean;

  /** The secret holding the chat webhook URL (read by the chat Lambda only). */
  readonly chatWebhookSecret: secretsmanager.ISecret;
  /** The secret holding the dead-man's-switch check-in URL (read by the snitch Lambda only). */
  readonly snitchUrlSecret: secretsmanager.ISecret;
  /** Receives the failed-run alarm by e-mail. @default - no subscription (the SNS topic is still created) */
  readonly alarmEmail?: string;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}

/** A daily, proven PostgreSQL backup: bucket, Fargate tasks, Lambdas, state machine, schedule, alarm, dashboard. */
export class PgProof extends Construct {
  public readonly bucket: s3.IBucket;
  /** Encrypts the new bucket (if any) and the alarm topic. */
  public readonly encryptionKey: kms.Key;
  public readonly cluster: ecs.ICluster;
  public readonly engineTasks: EngineTasks;
  public readonly notifyFunctions: NotifyFunctions;
  /** The ApplyRetention state's Lambda (tags objects for the bucket's lifecycle; never deletes). */
  public readonly retentionFunction: RetentionFunction;
  /** The WriteReport state's Lambda (each database's run log and report in the bucket; writes only those keys). */
  public readonly reportFunction: ReportFunction;
  /** The retention policy every verified database applies to its backups (defaults filled in). */
  public readonly retentionPolicy: RetentionPolicy;
  public readonly stateMachine: sfn.StateMachine;
  public readonly schedule: events.Rule;
  public readonly monitoring: RunMonitoring;
  /** Fails a run's waiting step as soon as its ECS task stops without reporting (image pull, secrets, memory). */
  public readonly taskStoppedWatch: TaskStoppedWatch;
  /** The engine configuration after defaults (the `defaults` of the tasks' `ENGINE_ENV.config`). */
  public readonly engineConfig: EngineConfig;
  /** The ids the run's Map iterates over (each a task's `ENGINE_ENV.database`), or "all" (discovered at run time). */
  public readonly databaseIds: readonly string[] | 'all';
  /** How many databases the run proves at once. */
  public readonly maxConcurrency: number;

  constructor(scope: Construct, id: string, props: PgProofProps) {
    super(scope, id);
    validateProps(props);
    const engine = engineConfigSchema.safeParse(props.engineConfig ?? {});
    if (!engine.success) throw new Error(describeZodError(engine.error, 'engineConfig'));
    this.engineConfig = engine.data;
    this.maxConcurrency = props.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
    this.databaseIds = props.fleet
      ? props.fleet.databases === 'all'
        ? 'all'
        : props.fleet.databases.map((d) => d.id)
      : [props.databaseName!];
    // What the descriptions name: the one database, or how many.
    const databaseLabel =
      this.databaseIds === 'all'
        ? 'every database of its server'
        : this.databaseIds.length === 1
          ? this.databaseIds[0]!
          : `${this.databaseIds.length} databases`;

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    const prefix = props.keyPrefix ?? DEFAULT_KEY_PREFIX;
    const stateMachineName = `pgproof-${props.name}`;
    const cpuArchitecture = props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64;

    this.encryptionKey = new kms.Key(this, 'Key', {
      description: `pgproof ${props.name}: backups and alarm topic`,
      enableKeyRotation: true,
      removalPolicy,
    });
    // CloudWatch publishes the alarm to the encrypted topic, on behalf of this account's alarms only (the alarm's
    // ARN cannot be named here: the key policy would then depend on the alarm, which depends on the topic and key).
    this.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );

    let objectKey: kms.IKey | undefined;
    if (props.bucket) {
      this.bucket = props.bucket;
      objectKey = props.encryptionKey;
    } else {
      this.bucket = new BackupBucket(this, 'Backups', {
        encryptionKey: this.encryptionKey,
        noncurrentVersionRetention: props.noncurrentVersionRetention ?? Duration.days(DEFAULT_NONCURRENT_DAYS),
        ...(props.objectLockRetention ? { objectLockRetention: props.objectLockRetention } : {}),
        ...(props.objectLockMode ? { objectLockMode: props.objectLockMode } : {}),
        removalPolicy,
      }).bucket;
      objectKey = this.encryptionKey;
    }

    this.cluster =
      props.cluster ??
      new ecs.Cluster(this, 'Cluster', { vpc: props.vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });

    this.engineTasks = new EngineTasks(this, 'Engines', {
      image:
        props.containerImage ??
        ecs.ContainerImage.fromAsset(REPO_ROOT, {
          file: 'containers/Dockerfile',
          platform: IMAGE_PLATFORM[cpuArchitecture._cpuArchitecture]!,
        }),
      cpuArchitecture,
      bucket: this.bucket,
      prefix,
      ...(objectKey ? { key: objectKey } : {}),
      stateMachineArn: stateMachineArnFor(this, stateMachineName),
      ...(props.fleet
        ? { fleet: props.fleet }
        : {
            database: {
              host: props.databaseHost!,
              port: props.databasePort ?? DEFAULT_DATABASE_PORT,
              name: props.databaseName!,
              ...(props.databaseUser ? { user: props.databaseUser } : {}),
              sslMode: props.databaseSslMode ?? DEFAULT_DEPLOYED_SSL_MODE,
              ...(props.databaseSslRootCert ? { sslRootCert: props.databaseSslRootCert } : {}),
              passwordSecret: props.databasePasswordSecret!,
              passwordJsonField: props.databasePasswordJsonField ?? DEFAULT_PASSWORD_JSON_FIELD,
              ...((props.databasePasswordSecretKmsKey ?? props.databasePasswordSecret!.encryptionKey)
                ? {
                    passwordSecretKey: (props.databasePasswordSecretKmsKey ??
                      props.databasePasswordSecret!.encryptionKey)!,
                  }
                : {}),
            },
          }),
      engineConfig: this.engineConfig,
      backupSize: {
        cpu: props.backupCpu ?? DEFAULT_BACKUP_TASK.cpu,
        memoryMiB: props.backupMemoryMiB ?? DEFAULT_BACKUP_TASK.memoryMiB,
      },
      verifySize: {
        cpu: props.verifyCpu ?? DEFAULT_VERIFY_TASK.cpu,
        memoryMiB: props.verifyMemoryMiB ?? DEFAULT_VERIFY_TASK.memoryMiB,
        ephemeralStorageGiB: props.verifyEphemeralStorageGiB ?? DEFAULT_VERIFY_TASK.ephemeralStorageGiB,
      },
      logRetention,
      removalPolicy,
      vpc: props.vpc,
      ...(props.backupSecurityGroups ? { backupSecurityGroups: props.backupSecurityGroups } : {}),
    });

    const taskSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    if (props.createVpcEndpoints) {
      new TaskVpcEndpoints(this, 'Endpoints', {
        vpc: props.vpc,
        subnets: taskSubnets,
        taskSecurityGroups: [...this.engineTasks.backupSecurityGroups, this.engineTasks.verifySecurityGroup],
      });
    }

    // One database: its report has one fixed key, and its S3 console URL needs a login and never expires (a link
    // the chat may carry); a fleet's message names many databases, so it carries none.
    const single = this.databaseIds !== 'all' && this.databaseIds.length === 1 ? this.databaseIds[0]! : undefined;
    const reportUrl = single
      ? `https://${Aws.REGION}.console.aws.amazon.com/s3/object/${this.bucket.bucketName}?prefix=${joinKey(prefix, keySegment(single), 'report.html')}`
      : undefined;
    this.notifyFunctions = new NotifyFunctions(this, 'Notify', {
      chatWebhookSecret: props.chatWebhookSecret,
      ...(reportUrl ? { reportUrl } : {}),
      snitchUrlSecret: props.snitchUrlSecret,
      logRetention,
      removalPolicy,
    });

    // Exactly the policy's fields: the function's environment parser refuses any other (a JavaScript caller's extra).
    const given: Partial<RetentionPolicy> = props.retention ?? {};
    this.retentionPolicy = {
      keepDaily: given.keepDaily ?? DEFAULT_RETENTION_POLICY.keepDaily,
      keepWeekly: given.keepWeekly ?? DEFAULT_RETENTION_POLICY.keepWeekly,
      keepMonthly: given.keepMonthly ?? DEFAULT_RETENTION_POLICY.keepMonthly,
      keepYearly: given.keepYearly ?? DEFAULT_RETENTION_POLICY.keepYearly,
      keepVerifiedMin: given.keepVerifiedMin ?? DEFAULT_RETENTION_POLICY.keepVerifiedMin,
      unverifiedDays: given.unverifiedDays ?? DEFAULT_RETENTION_POLICY.unverifiedDays,
    };
    this.retentionFunction = new RetentionFunction(this, 'Retention', {
      bucket: this.bucket,
      prefix,
      ...(objectKey ? { key: objectKey } : {}),
      policy: this.retentionPolicy,
      // Locks only in a bucket this construct created with Object Lock (an existing bucket's lock is the user's).
      ...(!props.bucket && props.objectLockRetention
        ? { objectLockMode: props.objectLockMode ?? DEFAULT_OBJECT_LOCK_MODE }
        : {}),
      logRetention,
      removalPolicy,
    });

    // The outcomes name the fleet's ids; reports and backups sit in the folders of the databases' names.
    const databaseNames =
      props.fleet && props.fleet.databases !== 'all'
        ? Object.fromEntries(props.fleet.databases.filter((d) => d.id !== d.name).map((d) => [d.id, d.name]))
        : {};
    this.reportFunction = new ReportFunction(this, 'Report', {
      bucket: this.bucket,
      prefix,
      ...(objectKey ? { key: objectKey } : {}),
      policy: this.retentionPolicy,
      databaseNames,
      logRetention,
      removalPolicy,
    });

    const backupTimeout = props.backupTimeout ?? Duration.minutes(DEFAULT_BACKUP_TASK.timeoutMinutes);
    const verifyTimeout = props.verifyTimeout ?? Duration.minutes(DEFAULT_VERIFY_TASK.timeoutMinutes);
    const definition = buildRunDefinition(this, {
      // The chat and the history name a single database's run by its id, a fleet's by the deployment's name.
      databaseName:
        this.databaseIds !== 'all' && this.databaseIds.length === 1
          ? this.databaseIds[0]!
          : (props.runLabel ?? props.name),
      databases: this.databaseIds,
      maxConcurrency: this.maxConcurrency,
      cluster: this.cluster,
      engineTasks: this.engineTasks,
      subnets: taskSubnets,
      notifyChat: this.notifyFunctions.notifyChat,
      snitchCheckIn: this.notifyFunctions.snitchCheckIn,
      applyRetention: this.retentionFunction.fn,
      writeReport: this.reportFunction.fn,
      backupTimeout,
      verifyTimeout,
      heartbeatTimeout: props.heartbeatTimeout ?? Duration.seconds(DEFAULT_HEARTBEAT_SECONDS),
    });

    // The stack id's UUID is new for every stack: a redeploy after `cdk destroy` (which keeps this group, with
    // RETAIN) does not collide with the old group's name. Its first group (8 hex digits) is enough.
    const stackUnique = Fn.select(0, Fn.split('-', Fn.select(2, Fn.split('/', Stack.of(this).stackId))));
    const stateMachineLogs = new logs.LogGroup(this, 'RunLogs', {
      // The vended-logs prefix keeps CloudWatch Logs' resource policy small (Step Functions' recommendation).
      logGroupName: `/aws/vendedlogs/states/${stateMachineName}-${stackUnique}`,
      retention: logRetention,
      removalPolicy,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName,
      comment: `pgproof: back up ${databaseLabel} and prove the backup by restoring it`,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      // Both tasks at their longest plus room for retries and notifications.
      timeout: backupTimeout.plus(verifyTimeout).plus(Duration.hours(1)),
      tracingEnabled: true,
      logs: { destination: stateMachineLogs, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    this.taskStoppedWatch = new TaskStoppedWatch(this, 'TaskStoppedWatch', {
      cluster: this.cluster,
      taskDefinitions: [this.engineTasks.backup, this.engineTasks.verify],
      stateMachine: this.stateMachine,
      logRetention,
      removalPolicy,
    });

    acknowledgeWildcards(this.stateMachine.role, [
      {
        resource: '*',
        reason:
          'Only actions without resource-level permissions: X-Ray tracing, CloudWatch Logs vended-log delivery, and ecs:DescribeTasks/StopTask that EcsRunTask adds for tasks whose ARNs exist only at run time.',
      },
      ...[
        this.notifyFunctions.notifyChat,
        this.notifyFunctions.snitchCheckIn,
        this.retentionFunction.fn,
        this.reportFunction.fn,
      ].map((fn) => ({
        resource: `${fn.functionArn}:*`,
        reason:
          "LambdaInvoke grants the function's versions and aliases (<arn>:*) besides the function itself; no other function.",
      })),
    ]);

    this.schedule = new events.Rule(this, 'Schedule', {
      description: `Starts a pgproof run of ${databaseLabel}`,
      schedule: props.schedule ?? events.Schedule.cron({ minute: '0', hour: '3' }),
      enabled: props.scheduleEnabled ?? true,
      targets: [
        new targets.SfnStateMachine(this.stateMachine, {
          input: events.RuleTargetInput.fromObject({ reason: 'scheduled' }),
        }),
      ],
    });

    this.monitoring = new RunMonitoring(this, 'Monitoring', {
      name: props.name,
      stateMachine: this.stateMachine,
      backupLogGroup: this.engineTasks.backupLogGroup,
      verifyLogGroup: this.engineTasks.verifyLogGroup,
      topicKey: this.encryptionKey,
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
    });
  }
}

/** The image platform of each task architecture (the image is built for the tasks' CPUs, whatever the builder's). */
const IMAGE_PLATFORM: Record<string, Platform> = { X86_64: Platform.LINUX_AMD64, ARM64: Platform.LINUX_ARM64 };

function days(d: Duration | undefined): number | undefined {
  return d === undefined || Token.isUnresolved(d.toSeconds()) ? undefined : d.toDays({ integral: false });
}

/** Rejects props that cannot work, naming the prop and the value received (unresolved tokens are skipped). */
export function validateProps(props: PgProofProps): void {
  const fail = (message: string) => {
    throw new Error(`PgProof: ${message}`);
  };
  const check = (problem: string | undefined) => {
    if (problem) fail(problem);
  };
  if (!Token.isUnresolved(props.name)) check(pipelineNameProblem('name', props.name));
  const single = [props.databaseHost, props.databaseName, props.databasePasswordSecret];
  if (props.fleet === undefined && single.some((p) => p === undefined))
    fail('give databaseHost, databaseName and databasePasswordSecret (one database), or fleet (several)');
  if (props.fleet !== undefined && single.some((p) => p !== undefined))
    fail('fleet replaces databaseHost, databaseName and databasePasswordSecret: give one or the other');
  if (props.fleet !== undefined && props.fleet.databases !== 'all') {
    const ids = props.fleet.databases.map((d) => d.id);
    if (ids.length === 0) fail('fleet.databases must list at least one database (or be "all")');
    if (ids.length > MAX_DATABASES) fail(`fleet.databases lists ${ids.length} databases; at most ${MAX_DATABASES}`);
    ids.forEach((id, i) => {
      check(databaseIdProblem(`fleet.databases[${i}].id`, id));
      if (ids.indexOf(id) !== i) fail(`fleet.databases[${ids.indexOf(id)}] and [${i}] have the same id "${id}"`);
    });
  }
  if (
    props.maxConcurrency !== undefined &&
    !(
      Number.isInteger(props.maxConcurrency) &&
      props.maxConcurrency >= MAX_CONCURRENCY_RANGE.min &&
      props.maxConcurrency <= MAX_CONCURRENCY_RANGE.max
    )
  )
    fail(
      `maxConcurrency must be a whole number from ${MAX_CONCURRENCY_RANGE.min} to ${MAX_CONCURRENCY_RANGE.max}; got ${props.maxConcurrency}`,
    );
  if (
    props.databasePort !== undefined &&
    !Token.isUnresolved(props.databasePort) &&
    !isPortNumber(props.databasePort)
  ) {
    fail(`databasePort must be a port number 1–65535; got ${props.databasePort}`);
  }
  const arch = props.cpuArchitecture?._cpuArchitecture;
  if (arch !== undefined && !(arch in IMAGE_PLATFORM))
    fail(`cpuArchitecture must be X86_64 or ARM64 (Fargate on Linux); got "${arch}"`);
  if (props.keyPrefix !== undefined) check(keyPrefixProblem('keyPrefix', props.keyPrefix));
  if (props.databasePasswordJsonField !== undefined && props.databasePasswordJsonField.trim() === '')
    fail('databasePasswordJsonField must not be empty');
  if (props.databaseUser !== undefined && !Token.isUnresolved(props.databaseUser) && props.databaseUser.trim() === '')
    fail('databaseUser must not be empty (omit it to take the user from the secret)');
  if (props.databaseSslRootCert !== undefined && !props.databaseSslRootCert.startsWith('/'))
    fail(`databaseSslRootCert must be an absolute path inside the image; got "${props.databaseSslRootCert}"`);
  if (props.bucket) {
    for (const p of ['noncurrentVersionRetention', 'objectLockRetention', 'objectLockMode'] as const) {
      if (props[p] !== undefined)
        fail(`${p} applies only to a bucket PgProof creates; it was given with an existing bucket`);
    }
  } else if (props.encryptionKey) {
    fail('encryptionKey applies only to an existing bucket; a new bucket gets its own key');
  }
  // The age-only expiry is gone; a JavaScript caller (no type check) still passing it must hear so, not lose it silently.
  if ((props as { backupRetention?: unknown }).backupRetention !== undefined)
    fail(
      'backupRetention was removed: backups expire by the `retention` policy over verified backups; pass `retention` (and `noncurrentVersionRetention` for how long expired versions stay restorable)',
    );
  const noncurrent = days(props.noncurrentVersionRetention);
  if (noncurrent !== undefined && (noncurrent < 1 || !Number.isInteger(noncurrent)))
    fail(`noncurrentVersionRetention must be a whole number of days, at least 1; got ${noncurrent}`);
  const lock = days(props.objectLockRetention);
  if (lock !== undefined && (lock < 1 || !Number.isInteger(lock)))
    fail(`objectLockRetention must be a whole number of days, at least 1; got ${lock}`);
  for (const problem of retentionPolicyProblems({ ...DEFAULT_RETENTION_POLICY, ...props.retention })) fail(problem);
  if (props.verifyEphemeralStorageGiB !== undefined)
    check(ephemeralStorageProblem('verifyEphemeralStorageGiB', props.verifyEphemeralStorageGiB));
  const heartbeat = props.heartbeatTimeout?.toSeconds();
  if (heartbeat !== undefined && !Token.isUnresolved(heartbeat) && heartbeat < MIN_HEARTBEAT_SECONDS) {
    fail(
      `heartbeatTimeout must be at least ${MIN_HEARTBEAT_SECONDS / 60} minutes (the engines beat every minute); got ${heartbeat} seconds`,
    );
  }
  for (const p of ['backupTimeout', 'verifyTimeout'] as const) {
    const s = props[p]?.toSeconds();
    if (s !== undefined && !Token.isUnresolved(s) && heartbeat !== undefined && s <= heartbeat)
      fail(`${p} (${s} s) must be longer than heartbeatTimeout (${heartbeat} s)`);
    if (s !== undefined && !Token.isUnresolved(s) && s > MAX_TASK_TIMEOUT_MINUTES * 60)
      fail(`${p} must be at most ${MAX_TASK_TIMEOUT_MINUTES / 60} hours; got ${props[p]!.toHumanString()}`);
  }
}
