import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  DEFAULT_BACKUP_TASK,
  DEFAULT_DATABASE_PORT,
  DEFAULT_DEPLOYED_SSL_MODE,
  DEFAULT_HEARTBEAT_SECONDS,
  DEFAULT_KEY_PREFIX,
  DEFAULT_LOG_RETENTION_DAYS,
  DEFAULT_OBJECT_LOCK_MODE,
  DEFAULT_PASSWORD_JSON_FIELD,
  DEFAULT_RETENTION_DAYS,
  DEFAULT_SCHEDULE_CRON,
  DEFAULT_VERIFY_TASK,
} from './common/defaults';
import { ConfigError } from './common/errors';
import {
  EPHEMERAL_STORAGE_GIB,
  FARGATE_CPU_UNITS,
  FARGATE_MEMORY_LIMITS_MIB,
  MAX_TASK_TIMEOUT_MINUTES,
  MIN_HEARTBEAT_SECONDS,
  KEY_PREFIX_PATTERN,
  objectLockProblem,
  PIPELINE_NAME_PATTERN,
  PORT_RANGE,
  SECRET_ARN_SUFFIX,
  SSL_MODES,
} from './common/rules';
import { describeZodError, engineConfigSchema, type EngineConfig } from '../containers/common/engine-config';

/**
 * The deployment configuration file (`pgproof.config.json`): the engine part (checks, freshness, size guard,
 * compression, …) at the top level, exactly as a local run reads it, plus the parts only a deployment needs.
 * A local run ignores the deployment keys; `cdk synth` validates both and stops on the first problems.
 */

/** A string matching one of the shared patterns (`lib/common/rules.ts`); the message quotes the value received. */
const matching = (pattern: RegExp, what: string) =>
  z.string().superRefine((value, ctx) => {
    if (!pattern.test(value)) ctx.addIssue({ code: 'custom', message: `${what}; got "${value}"` });
  });

const secretArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, 'a Secrets Manager secret ARN');
const secretName = z
  .string()
  .regex(/^[A-Za-z0-9/_+=.@!-]{1,512}$/, 'a Secrets Manager secret name (letters, digits, /_+=.@!-)');

/** The database password secret: a name, a partial ARN (no suffix) or a complete ARN (with its `-AbCdEf` suffix). */
const databaseSecretId = z
  .string()
  .refine((s) => secretArn.safeParse(s).success || secretName.safeParse(s).success, {
    message: 'a Secrets Manager secret name (letters, digits, /_+=.@!-), partial ARN or complete ARN',
  })
  .refine((s) => s.startsWith('arn:') || !SECRET_ARN_SUFFIX.test(s), {
    message:
      'this name ends in a hyphen and six characters, which Secrets Manager reads as the random suffix of a complete ARN: give the complete ARN (aws secretsmanager describe-secret --secret-id <name> --query ARN)',
  });

const kmsKeyArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/,
    'a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>; not an alias)',
  );

const databaseSchema = z
  .strictObject({
    host: z.string().min(1, 'the database host name'),
    port: z.number().int().min(PORT_RANGE.min).max(PORT_RANGE.max).default(DEFAULT_DATABASE_PORT),
    name: z.string().min(1, 'the database name'),
    /** The login role. Omit it when the secret is RDS-style JSON holding `username`. */
    user: z.string().min(1, 'the database user').optional(),
    /** The password secret by name, partial ARN or complete ARN (give exactly one of these two fields). */
    passwordSecretName: databaseSecretId.optional(),
    passwordSecretArn: databaseSecretId.optional(),
    /** The customer-managed KMS key of the secret (the backup task gets kms:Decrypt via Secrets Manager). */
    passwordSecretKmsKeyArn: kmsKeyArn.optional(),
    /** The JSON field of the secret holding the password (RDS-managed secrets use `password`); plain-text secrets ignore it. */
    passwordJsonField: z.string().min(1).default(DEFAULT_PASSWORD_JSON_FIELD),
    sslMode: z.enum(SSL_MODES).default(DEFAULT_DEPLOYED_SSL_MODE),
    /** CA bundle inside the image. @default the RDS global bundle for verify-ca/verify-full */
    sslRootCert: z
      .string()
      .regex(/^\/\S+$/, 'an absolute path inside the image, e.g. /etc/pgproof/certs/rds-global-bundle.pem')
      .optional(),
  })
  .refine((d) => (d.passwordSecretName === undefined) !== (d.passwordSecretArn === undefined), {
    message: 'give exactly one of passwordSecretName and passwordSecretArn',
    path: ['passwordSecretName'],
  });

const vpcSchema = z
  .strictObject({
    vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'a VPC id such as vpc-0123456789abcdef0'),
    privateSubnetIds: z
      .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'a subnet id such as subnet-0123456789abcdef0'))
      .min(1),
    availabilityZones: z
      .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'an availability zone such as eu-west-1a'))
      .min(1),
    /** The security group of the backup task; the database must allow PostgreSQL traffic from it. */
    securityGroupId: z
      .string()
      .regex(/^sg-[0-9a-f]{8,17}$/, 'a security group id such as sg-0123456789abcdef0')
      .optional(),
    /** Create the VPC endpoints the tasks need (S3 gateway, ECR, Logs, Step Functions, Secrets Manager): no NAT needed. */
    createEndpoints: z.boolean().default(false),
    /** The route table of each private subnet, in the same order (the S3 gateway endpoint is added to them). */
    privateRouteTableIds: z
      .array(z.string().regex(/^rtb-[0-9a-f]{8,17}$/, 'a route table id such as rtb-0123456789abcdef0'))
      .min(1)
      .optional(),
  })
  .refine((v) => v.privateSubnetIds.length === v.availabilityZones.length, {
    message: 'needs one availability zone per private subnet, in the same order',
    path: ['availabilityZones'],
  })
  .refine((v) => v.privateRouteTableIds === undefined || v.privateRouteTableIds.length === v.privateSubnetIds.length, {
    message: 'needs one route table id per private subnet, in the same order (repeat an id when subnets share a table)',
    path: ['privateRouteTableIds'],
  })
  .refine((v) => !v.createEndpoints || v.privateRouteTableIds !== undefined, {
    message: 'createEndpoints needs privateRouteTableIds (the S3 gateway endpoint is added to those route tables)',
    path: ['privateRouteTableIds'],
  });

/** An EventBridge cron expression's six fields, e.g. `0 3 * * ? *` (03:00 UTC daily). */
const cronSchema = z
  .string()
  .transform((s) =>
    s
      .trim()
      .replace(/^cron\((.*)\)$/, '$1')
      .trim(),
  )
  .refine((s) => s.split(/\s+/).length === 6, {
    message: 'six fields: minutes hours day-of-month month day-of-week year, e.g. "0 3 * * ? *"',
  })
  .refine(
    (s) => {
      const f = s.split(/\s+/);
      return f[2] === '?' || f[4] === '?';
    },
    { message: 'day-of-month or day-of-week must be "?" (EventBridge cron)' },
  );

const scheduleSchema = z.strictObject({
  cron: cronSchema.default(DEFAULT_SCHEDULE_CRON),
  enabled: z.boolean().default(true),
});

const bucketSchema = z
  .strictObject({
    /** Use this bucket instead of creating one (its encryption and retention are then yours to manage). */
    existingBucketName: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name')
      .optional(),
    /** KMS key of the existing bucket (ARN), if it uses SSE-KMS. */
    existingKmsKeyArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/, 'a KMS key ARN')
      .optional(),
    prefix: matching(KEY_PREFIX_PATTERN, 'a key prefix without leading or trailing slash').default(DEFAULT_KEY_PREFIX),
    retentionDays: z.number().int().min(1).max(36500).default(DEFAULT_RETENTION_DAYS),
    objectLockDays: z.number().int().min(1).max(36500).optional(),
    objectLockMode: z.enum(['GOVERNANCE', 'COMPLIANCE']).default(DEFAULT_OBJECT_LOCK_MODE),
    /** Whether `cdk destroy` deletes the bucket; backups are kept by default. */
    removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
  })
  .superRefine((b, ctx) => {
    const lock = b.objectLockDays;
    if (
      lock === undefined ||
      !objectLockProblem({ field: 'objectLockDays', days: lock }, { field: 'retentionDays', days: b.retentionDays })
    )
      return;
    ctx.addIssue({
      code: 'custom',
      message: `objectLockDays must not exceed retentionDays (a locked object cannot expire); got ${lock} and ${b.retentionDays} days`,
      path: ['objectLockDays'],
    });
  })
  .refine((b) => b.existingBucketName === undefined || b.objectLockDays === undefined, {
    message: "objectLockDays applies only to a bucket pgproof creates; configure an existing bucket's lock yourself",
    path: ['objectLockDays'],
  })
  .refine((b) => b.existingKmsKeyArn === undefined || b.existingBucketName !== undefined, {
    message: 'existingKmsKeyArn needs existingBucketName',
    path: ['existingKmsKeyArn'],
  });

const taskSchema = (cpu: number, memoryMiB: number, timeoutMinutes: number) =>
  z.strictObject({
    cpu: z
      .union(FARGATE_CPU_UNITS.map((c) => z.literal(c)) as unknown as [z.ZodLiteral<number>, z.ZodLiteral<number>])
      .default(cpu),
    memoryMiB: z
      .number()
      .int()
      .min(FARGATE_MEMORY_LIMITS_MIB.min)
      .max(FARGATE_MEMORY_LIMITS_MIB.max)
      .default(memoryMiB),
    timeoutMinutes: z.number().int().min(5).max(MAX_TASK_TIMEOUT_MINUTES).default(timeoutMinutes),
  });

const tasksSchema = z.strictObject({
  backup: taskSchema(
    DEFAULT_BACKUP_TASK.cpu,
    DEFAULT_BACKUP_TASK.memoryMiB,
    DEFAULT_BACKUP_TASK.timeoutMinutes,
  ).default({ ...DEFAULT_BACKUP_TASK }),
  verify: taskSchema(DEFAULT_VERIFY_TASK.cpu, DEFAULT_VERIFY_TASK.memoryMiB, DEFAULT_VERIFY_TASK.timeoutMinutes)
    .extend({
      ephemeralStorageGiB: z
        .number()
        .int()
        .min(EPHEMERAL_STORAGE_GIB.min)
        .max(EPHEMERAL_STORAGE_GIB.max)
        .default(DEFAULT_VERIFY_TASK.ephemeralStorageGiB),
    })
    .default({ ...DEFAULT_VERIFY_TASK }),
  /** A task that sends no heartbeat for this long is considered dead (the engines beat every minute). */
  heartbeatSeconds: z.number().int().min(MIN_HEARTBEAT_SECONDS).max(3600).default(DEFAULT_HEARTBEAT_SECONDS),
});

/** The deployment part of the configuration (everything but the engine part). */
export const deploymentConfigSchema = z.strictObject({
  /** Short name of this pipeline: the state machine is `pgproof-<name>`, the stack `PgProof-<name>`. */
  name: matching(PIPELINE_NAME_PATTERN, 'lower-case letters, digits and dashes, at most 32 characters'),
  /** Account and region to deploy to; when absent, the CLI's defaults at deploy time. */
  account: z
    .string()
    .regex(/^\d{12}$/, 'a 12-digit AWS account id')
    .optional(),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as eu-west-1')
    .optional(),
  /** CPU architecture of the Fargate tasks (and of the image built for them): ARM64 is Graviton, cheaper per vCPU-hour. */
  architecture: z.enum(['X86_64', 'ARM64']).default('X86_64'),
  database: databaseSchema,
  vpc: vpcSchema,
  schedule: scheduleSchema.default({ cron: DEFAULT_SCHEDULE_CRON, enabled: true }),
  bucket: bucketSchema.default({
    prefix: DEFAULT_KEY_PREFIX,
    retentionDays: DEFAULT_RETENTION_DAYS,
    objectLockMode: DEFAULT_OBJECT_LOCK_MODE,
    removalPolicy: 'retain',
  }),
  chatWebhookSecretName: secretName,
  snitchUrlSecretName: secretName,
  alarmEmail: z.email('an e-mail address').optional(),
  tasks: tasksSchema.default({
    backup: { ...DEFAULT_BACKUP_TASK },
    verify: { ...DEFAULT_VERIFY_TASK },
    heartbeatSeconds: DEFAULT_HEARTBEAT_SECONDS,
  }),
  logRetentionDays: z.number().int().min(1).max(3653).default(DEFAULT_LOG_RETENTION_DAYS),
});
export type DeploymentConfig = z.infer<typeof deploymentConfigSchema>;

/** The whole file after validation: the deployment part plus the engine part (defaults applied). */
export interface PgProofConfig extends DeploymentConfig {
  readonly engine: EngineConfig;
}

/** The engine part's top-level keys; everything else in the file belongs to the deployment part. */
export const ENGINE_KEYS: readonly string[] = Object.keys(engineConfigSchema.shape);
const JSON_SCHEMA_KEY = '$schema';

function splitParts(
  value: unknown,
  source: string,
): { engine: Record<string, unknown>; deployment: Record<string, unknown> } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`${source}: (root): expected a JSON object`);
  }
  const engine: Record<string, unknown> = {};
  const deployment: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === JSON_SCHEMA_KEY) continue;
    (ENGINE_KEYS.includes(key) ? engine : deployment)[key] = v;
  }
  return { engine, deployment };
}

/** Validates a parsed configuration object for a deployment; throws `ConfigError` naming each bad field. */
export function parseConfig(value: unknown, source = 'pgproof.config.json'): PgProofConfig {
  const { engine, deployment } = splitParts(value, source);
  const problems: string[] = [];
  const d = deploymentConfigSchema.safeParse(deployment);
  if (!d.success) problems.push(describeZodError(d.error, source));
  const e = engineConfigSchema.safeParse(engine);
  if (!e.success) problems.push(describeZodError(e.error, source));
  if (!d.success || !e.success) throw new ConfigError(problems.join('; '));
  return { ...d.data, engine: e.data };
}

/** The engine part of a configuration file, ignoring the deployment keys (what a local run needs). */
export function parseEngineConfigPart(value: unknown, source = 'pgproof.config.json'): EngineConfig {
  const { engine } = splitParts(value, source);
  const e = engineConfigSchema.safeParse(engine);
  if (!e.success) throw new ConfigError(describeZodError(e.error, source));
  return e.data;
}

/** Reads and validates a configuration file. */
export function loadConfig(file: string): PgProofConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read the configuration file ${file}: ${(error as Error).message} (choose another with -c config=FILE)`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parseConfig(value, file);
}
