import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  DEFAULT_BACKUP_TASK,
  DEFAULT_DATABASE_PORT,
  DEFAULT_DEPLOYED_SSL_MODE,
  DEFAULT_HEARTBEAT_SECONDS,
  DEFAULT_KEY_PREFIX,
  DEFAULT_LOG_RETENTION_DAYS,
  DEFAULT_MAX_CONCURRENCY,
  DEFAULT_OBJECT_LOCK_MODE,
  DEFAULT_PASSWORD_JSON_FIELD,
  DEFAULT_NONCURRENT_DAYS,
  DEFAULT_PRUNE_LOCAL,
  DEFAULT_RETENTION_POLICY,
  DEFAULT_SCHEDULE_CRON,
  DEFAULT_VERIFY_TASK,
} from './common/defaults';
import { ConfigError } from './common/errors';
import { type RetentionPolicy, retentionPolicyProblems } from './common/retention';
import {
  EPHEMERAL_STORAGE_GIB,
  FARGATE_CPU_UNITS,
  FARGATE_MEMORY_LIMITS_MIB,
  MAX_TASK_TIMEOUT_MINUTES,
  MIN_HEARTBEAT_SECONDS,
  KEY_PREFIX_PATTERN,
  MAX_CONCURRENCY_RANGE,
  MAX_DATABASES,
  databaseIdProblem,
  PIPELINE_NAME_PATTERN,
  PORT_RANGE,
  SECRET_ARN_SUFFIX,
  SSL_MODES,
  type SslMode,
} from './common/rules';
import {
  checkSchema,
  describeZodError,
  engineConfigSchema,
  freshnessSchema,
  type EngineConfig,
} from '../containers/common/engine-config';
import { defaultSslRootCert } from '../containers/common/tls';
import { overlayFields, pickEngineOverrides } from './contracts/fleet-settings';

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

/** The connection fields of today's `database`, each optional: a fleet's shared `connection` and its entries. */
const connectionFields = {
  host: z.string().min(1, 'the database host name').optional(),
  port: z.number().int().min(PORT_RANGE.min).max(PORT_RANGE.max).optional(),
  /** The login role. Omit it when the secret is RDS-style JSON holding `username`. */
  user: z.string().min(1, 'the database user').optional(),
  /** The password secret by name, partial ARN or complete ARN (give at most one of these two fields). */
  passwordSecretName: databaseSecretId.optional(),
  passwordSecretArn: databaseSecretId.optional(),
  /** The customer-managed KMS key of the secret (the backup task gets kms:Decrypt via Secrets Manager). */
  passwordSecretKmsKeyArn: kmsKeyArn.optional(),
  /** The JSON field of the secret holding the password (RDS-managed secrets use `password`); plain-text secrets ignore it. */
  passwordJsonField: z.string().min(1).optional(),
  sslMode: z.enum(SSL_MODES).optional(),
  /** CA bundle inside the image. @default the RDS global bundle for verify-ca/verify-full */
  sslRootCert: z
    .string()
    .regex(/^\/\S+$/, 'an absolute path inside the image, e.g. /etc/pgproof/certs/rds-global-bundle.pem')
    .optional(),
};

const databaseSchema = z
  .strictObject({
    ...connectionFields,
    host: z.string().min(1, 'the database host name'),
    port: z.number().int().min(PORT_RANGE.min).max(PORT_RANGE.max).default(DEFAULT_DATABASE_PORT),
    name: z.string().min(1, 'the database name'),
    passwordJsonField: z.string().min(1).default(DEFAULT_PASSWORD_JSON_FIELD),
    sslMode: z.enum(SSL_MODES).default(DEFAULT_DEPLOYED_SSL_MODE),
  })
  .refine((d) => (d.passwordSecretName === undefined) !== (d.passwordSecretArn === undefined), {
    message: 'give exactly one of passwordSecretName and passwordSecretArn',
    path: ['passwordSecretName'],
  });

const atMostOneSecret = {
  check: (d: { passwordSecretName?: string | undefined; passwordSecretArn?: string | undefined }) =>
    d.passwordSecretName === undefined || d.passwordSecretArn === undefined,
  message: { message: 'give at most one of passwordSecretName and passwordSecretArn', path: ['passwordSecretName'] },
};

/** The server connection every listed database shares, field by field (an entry's own fields win). */
const connectionSchema = z.strictObject(connectionFields).refine(atMostOneSecret.check, atMostOneSecret.message);

/** Duplicate check names within one list of checks. */
const uniqueCheckNames = (checks: ReadonlyArray<{ name: string }> | undefined, ctx: z.RefinementCtx) => {
  const seen = new Set<string>();
  checks?.forEach((check, i) => {
    if (seen.has(check.name))
      ctx.addIssue({ code: 'custom', path: ['checks', i, 'name'], message: `duplicate check name "${check.name}"` });
    seen.add(check.name);
  });
};

/** The engine fields one database may set for itself; each replaces the top-level value (lists are not concatenated). */
const engineOverrideFields = {
  checks: z.array(checkSchema).optional(),
  freshness: z.array(freshnessSchema).optional(),
  sizeGuard: engineConfigSchema.shape.sizeGuard.unwrap().optional(),
  deepProof: z.boolean().optional(),
  restoreJobs: engineConfigSchema.shape.restoreJobs,
};
const engineOverridesSchema = z
  .strictObject(engineOverrideFields)
  .superRefine((o, ctx) => uniqueCheckNames(o.checks, ctx));
/** One database's own engine fields. */
export type DatabaseEngineOverrides = z.infer<typeof engineOverridesSchema>;

/** One listed database: its name, optionally an id, connection fields and engine fields of its own. */
const databaseEntrySchema = z
  .strictObject({
    /** Names the database in S3 keys, metrics, chat and history. @default - its name */
    id: z.string().optional(),
    name: z.string().min(1, 'the database name'),
    ...connectionFields,
    ...engineOverrideFields,
  })
  .refine(atMostOneSecret.check, atMostOneSecret.message)
  .superRefine((o, ctx) => uniqueCheckNames(o.checks, ctx));

/** A bare name is an entry with only its name. */
const databaseListSchema = z
  .array(z.preprocess((v) => (typeof v === 'string' ? { name: v } : v), databaseEntrySchema))
  .min(1, 'at least one database');

/**
 * "all" or the list. Not a zod union: a union reports only "Invalid input" for a bad entry, and every problem
 * must name its field (databases.2.sslMode).
 */
const databasesSchema = z.unknown().transform((value, ctx): 'all' | z.infer<typeof databaseListSchema> => {
  if (value === 'all') return 'all';
  if (!Array.isArray(value)) {
    ctx.addIssue({
      code: 'custom',
      message: `"all" or a list of database names and entries; got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  const list = databaseListSchema.safeParse(value);
  if (list.success) return list.data;
  for (const issue of list.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  return z.NEVER;
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

/** Why a configuration's `bucket.retentionDays` is refused, and what to write instead. */
export const RETENTION_DAYS_REMOVED =
  'retentionDays was removed: backups no longer expire by age but by the `retention` policy over verified backups ' +
  '(so weeks of failing runs can never expire the last good backup). Delete bucket.retentionDays; set `retention` ' +
  '(keepDaily, keepWeekly, keepMonthly, keepYearly, keepVerifiedMin, unverifiedDays) if the defaults do not fit, and ' +
  'bucket.noncurrentDays for how long an expired version stays restorable. See docs/retention-design.md, ' +
  '"Moving from retentionDays".';

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
    /** Days an overwritten or expired version stays restorable before the lifecycle rule deletes it for good. */
    noncurrentDays: z.number().int().min(1).max(36500).default(DEFAULT_NONCURRENT_DAYS),
    /** Removed: backups expire by the verification-aware `retention` policy. Present only to say so. */
    retentionDays: z.unknown().optional(),
    objectLockDays: z.number().int().min(1).max(36500).optional(),
    objectLockMode: z.enum(['GOVERNANCE', 'COMPLIANCE']).default(DEFAULT_OBJECT_LOCK_MODE),
    /** Whether `cdk destroy` deletes the bucket; backups are kept by default. */
    removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
  })
  .superRefine((b, ctx) => {
    if (b.retentionDays === undefined) return;
    ctx.addIssue({
      code: 'custom',
      message: RETENTION_DAYS_REMOVED,
      path: ['retentionDays'],
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
const retentionField = (field: keyof RetentionPolicy, min: number, max: number) =>
  z.number().int().min(min).max(max).default(DEFAULT_RETENTION_POLICY[field]);
const retentionSchema = z
  .strictObject({
    keepDaily: retentionField('keepDaily', 0, 3660),
    keepWeekly: retentionField('keepWeekly', 0, 3660),
    keepMonthly: retentionField('keepMonthly', 0, 3660),
    keepYearly: retentionField('keepYearly', 0, 3660),
    keepVerifiedMin: retentionField('keepVerifiedMin', 1, 1000),
    unverifiedDays: retentionField('unverifiedDays', 1, 3660),
    /** Local runs only: `run --local` prunes each verified database after the run (in AWS, lifecycle rules delete). */
    pruneLocal: z.boolean().default(DEFAULT_PRUNE_LOCAL),
  })
  .superRefine((policy, ctx) => {
    for (const message of retentionPolicyProblems(policy)) ctx.addIssue({ code: 'custom', message });
  });
const retentionDefault = () => ({ ...DEFAULT_RETENTION_POLICY, pruneLocal: DEFAULT_PRUNE_LOCAL });

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
  /** One database (today's form): the same as `connection` = its connection fields and `databases` = [its name]. */
  database: databaseSchema.optional(),
  /** The server connection the listed (or discovered) databases share. */
  connection: connectionSchema.optional(),
  /** The databases to prove: names, entries, or "all" (every database of `connection`'s server, found at run time). */
  databases: databasesSchema.optional(),
  /** Name patterns (`*`, `?`) that "all" leaves out. */
  exclude: z.array(z.string().min(1, 'a name pattern')).optional(),
  /** Engine fields of databases that "all" discovers, by name. */
  databaseSettings: z.record(z.string().min(1), engineOverridesSchema).optional(),
  /** How many databases are proven at once. */
  maxConcurrency: z
    .number()
    .int()
    .min(MAX_CONCURRENCY_RANGE.min)
    .max(MAX_CONCURRENCY_RANGE.max)
    .default(DEFAULT_MAX_CONCURRENCY),
  vpc: vpcSchema,
  schedule: scheduleSchema.default({ cron: DEFAULT_SCHEDULE_CRON, enabled: true }),
  bucket: bucketSchema.default({
    prefix: DEFAULT_KEY_PREFIX,
    noncurrentDays: DEFAULT_NONCURRENT_DAYS,
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
  /**
   * Which backups to keep, over verified ones (grandfather-father-son): `pgproof backups` shows what it keeps and why.
   * Each field is optional; the rest take the defaults.
   */
  retention: retentionSchema.default(retentionDefault),
});
export type DeploymentConfig = z.infer<typeof deploymentConfigSchema>;

/** The `retention` field of a configuration: the policy, and whether `run --local` prunes after a verified run. */
export interface RetentionSettings {
  readonly policy: RetentionPolicy;
  readonly pruneLocal: boolean;
}

/** Reads the `retention` field of a configuration file's JSON (defaults for what it leaves out). */
export function retentionSettingsOf(value: unknown, source = 'pgproof.config.json'): RetentionSettings {
  const given = value && typeof value === 'object' ? (value as { retention?: unknown }).retention : undefined;
  const parsed = retentionSchema.default(retentionDefault).safeParse(given);
  if (!parsed.success) throw new ConfigError(describeZodError(parsed.error, `${source}: retention`));
  const { pruneLocal, ...policy } = parsed.data;
  return { policy, pruneLocal };
}

/** Reads the `retention` policy of a configuration file's JSON (defaults for what it leaves out). */
export function retentionPolicyOf(value: unknown, source = 'pgproof.config.json'): RetentionPolicy {
  return retentionSettingsOf(value, source).policy;
}

/** The fields that say which databases a configuration proves (a local run reads them too). */
export const fleetPartSchema = deploymentConfigSchema.pick({
  database: true,
  connection: true,
  databases: true,
  exclude: true,
  databaseSettings: true,
  maxConcurrency: true,
});
export type FleetPart = z.infer<typeof fleetPartSchema>;

/**
 * Validates the fleet fields of a configuration file for a local run: the same rules as a deployment, except
 * that no database needs a secret (the password comes from the URL's server: PGPASSWORD or ~/.pgpass).
 */
export function parseLocalFleetPart(value: unknown, source = 'pgproof.config.json'): FleetPart | undefined {
  const { deployment } = splitParts(value, source);
  const part = fleetPartSchema.safeParse(
    Object.fromEntries(Object.entries(deployment).filter(([k]) => k in fleetPartSchema.shape)),
  );
  if (!part.success) throw new ConfigError(describeZodError(part.error, source));
  if (part.data.databases === undefined && part.data.database === undefined) {
    for (const key of ['exclude', 'databaseSettings', 'connection'] as const)
      if (part.data[key] !== undefined) throw new ConfigError(`${source}: ${key}: applies only with "databases"`);
    return undefined;
  }
  const problems = fleetProblems(part.data, { requireSecrets: false });
  if (problems.length)
    throw new ConfigError(
      problems
        .slice(0, 5)
        .map((p) => `${source}: ${p.path.join('.')}: ${p.message}`)
        .join('; '),
    );
  return part.data;
}

/** The problems that span fields: which form of the database settings, ids, secrets, the 200-database cap. */
function fleetProblems(
  d: FleetPart,
  options: { readonly requireSecrets: boolean } = { requireSecrets: true },
): Array<{ path: Array<string | number>; message: string }> {
  const problems: Array<{ path: Array<string | number>; message: string }> = [];
  if (d.database !== undefined) {
    for (const key of ['connection', 'databases'] as const)
      if (d[key] !== undefined)
        problems.push({
          path: [key],
          message: `"database" and "${key}" cannot both be given: "database" is one database (its connection and its name); for several, move its connection fields to "connection" and its name to "databases"`,
        });
    return problems;
  }
  if (d.databases === undefined) {
    problems.push({
      path: ['databases'],
      message: 'give "database" (one database) or "databases" (a list of names or entries, or "all") with "connection"',
    });
    return problems;
  }
  if (d.databases !== 'all') {
    for (const key of ['exclude', 'databaseSettings'] as const)
      if (d[key] !== undefined)
        problems.push({
          path: [key],
          message: `"${key}" applies only with "databases": "all" (a listed database takes its settings in its own entry)`,
        });
    if (d.databases.length > MAX_DATABASES)
      problems.push({
        path: ['databases'],
        message: `at most ${MAX_DATABASES} databases per deployment (each run's state holds one outcome per database); got ${d.databases.length}: split them over several deployments`,
      });
  }
  const hasSecret = (c: { passwordSecretName?: string | undefined; passwordSecretArn?: string | undefined } = {}) =>
    c.passwordSecretName !== undefined || c.passwordSecretArn !== undefined;
  if (d.databases === 'all') {
    if (options.requireSecrets && !hasSecret(d.connection))
      problems.push({
        path: ['connection'],
        message:
          '"databases": "all" needs "connection" with passwordSecretName or passwordSecretArn: the server whose databases are discovered',
      });
    return problems;
  }
  const firstIndexOf = new Map<string, number>();
  const firstNamed = new Map<string, number>();
  d.databases.forEach((item, i) => {
    const entry = typeof item === 'string' ? { name: item } : item;
    const id = entry.id ?? entry.name;
    // The engines still keep a database's backups in a folder named after its name, not its id.
    const sameName = firstNamed.get(entry.name);
    if (sameName !== undefined)
      problems.push({
        path: ['databases', i, 'name'],
        message: `databases.${sameName} and databases.${i} are both named "${entry.name}": backups are stored under the database's name, so two same-named databases (on different servers) would mix their backups and size guards; prove one of them with another stack (another "name" and "prefix")`,
      });
    else firstNamed.set(entry.name, i);
    const idProblem = databaseIdProblem(entry.id === undefined ? 'its id (the name, as no "id" is given)' : 'id', id);
    if (idProblem)
      problems.push({
        path: ['databases', i, entry.id === undefined ? 'name' : 'id'],
        message: `${idProblem}${entry.id === undefined ? '; give the entry an "id"' : ''}`,
      });
    const first = firstIndexOf.get(id);
    if (first !== undefined)
      problems.push({
        path: ['databases', i, 'id'],
        message: `duplicate id "${id}": databases.${first} and databases.${i} both resolve to it (ids default to the name): give one of them a distinct "id"`,
      });
    else firstIndexOf.set(id, i);
    if (options.requireSecrets && !hasSecret(typeof item === 'string' ? undefined : item) && !hasSecret(d.connection))
      problems.push({
        path: ['databases', i],
        message: `database "${id}" has no password secret: give passwordSecretName or passwordSecretArn in "connection" or in its entry`,
      });
  });
  return problems;
}

/** The whole file after validation: the deployment part plus the engine part (defaults applied). */
export interface PgProofConfig extends DeploymentConfig {
  readonly engine: EngineConfig;
}

/** One database's connection after resolution: the shared fields, its own on top, the defaults applied. */
export interface ResolvedConnection {
  /** @default - the secret's `host` (Secrets Manager's database-credential structure), read at run time */
  readonly host?: string;
  /** @default - the secret's `port`, else 5432 */
  readonly port?: number;
  /** @default - the secret's `username` */
  readonly user?: string;
  /** The password secret as configured: a name, a partial ARN or a complete ARN. */
  readonly passwordSecretId?: string;
  readonly passwordSecretKmsKeyArn?: string;
  readonly passwordJsonField: string;
  readonly sslMode: SslMode;
  /** The CA bundle inside the image (the RDS bundle by default for verify-ca/verify-full). */
  readonly sslRootCert?: string;
}

/** One database of the fleet, everything resolved: what its backup and verify tasks work with. */
export interface ResolvedDatabase {
  /** Names it in S3 keys, the `Database` metric dimension, chat and history; the key of the task settings. */
  readonly id: string;
  /** Its name on the server. */
  readonly name: string;
  readonly connection: ResolvedConnection;
  /** The top-level engine configuration with the database's own fields replacing their values. */
  readonly engine: EngineConfig;
}

/** The fleet a configuration describes (see {@link resolveFleet}). */
export interface ResolvedFleet {
  /** The listed databases, or "all" (discovered at run time). */
  readonly databases: ResolvedDatabase[] | 'all';
  /** The shared connection (for "all", the server whose databases are discovered); undefined for `database`. */
  readonly connection: ResolvedConnection | undefined;
  /** The top-level engine configuration. */
  readonly defaults: EngineConfig;
  /** Name patterns "all" leaves out. */
  readonly exclude: string[];
  /** Engine fields of discovered databases, by name. */
  readonly databaseSettings: Readonly<Record<string, DatabaseEngineOverrides>>;
  readonly maxConcurrency: number;
}

type ConnectionInput = { [K in keyof typeof connectionFields]?: z.infer<(typeof connectionFields)[K]> };

/** The secret fields travel together: a database naming its own secret never inherits the shared secret's key. */
const SECRET_FIELDS = ['passwordSecretName', 'passwordSecretArn', 'passwordSecretKmsKeyArn'] as const;

function resolveConnection(fields: ConnectionInput): ResolvedConnection {
  const sslMode = fields.sslMode ?? DEFAULT_DEPLOYED_SSL_MODE;
  const secretId = fields.passwordSecretArn ?? fields.passwordSecretName;
  const sslRootCert = defaultSslRootCert(sslMode, fields.sslRootCert);
  return {
    ...(fields.host !== undefined ? { host: fields.host } : {}),
    ...(fields.port !== undefined ? { port: fields.port } : {}),
    ...(fields.user !== undefined ? { user: fields.user } : {}),
    ...(secretId !== undefined ? { passwordSecretId: secretId } : {}),
    ...(fields.passwordSecretKmsKeyArn !== undefined
      ? { passwordSecretKmsKeyArn: fields.passwordSecretKmsKeyArn }
      : {}),
    passwordJsonField: fields.passwordJsonField ?? DEFAULT_PASSWORD_JSON_FIELD,
    sslMode,
    ...(sslRootCert !== undefined ? { sslRootCert } : {}),
  };
}

function connectionPart(source: Readonly<Record<string, unknown>>): ConnectionInput {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(connectionFields)) if (source[k] !== undefined) out[k] = source[k];
  return out as ConnectionInput;
}

/**
 * The databases a validated configuration proves, each with its id, connection and engine configuration: an
 * entry's connection fields replace `connection`'s one by one (its secret fields as a group), its engine fields
 * replace the top-level ones. Today's `database` resolves to exactly one database whose id is its name. Pure.
 */
export function resolveFleet(config: PgProofConfig): ResolvedFleet {
  const common = { defaults: config.engine, maxConcurrency: config.maxConcurrency };
  if (config.database !== undefined) {
    const { name, ...fields } = config.database;
    return {
      ...common,
      databases: [{ id: name, name, connection: resolveConnection(fields), engine: config.engine }],
      connection: undefined,
      exclude: [],
      databaseSettings: {},
    };
  }
  const shared = config.connection ?? {};
  const connection = resolveConnection(shared);
  if (config.databases === 'all' || config.databases === undefined) {
    return {
      ...common,
      databases: 'all',
      connection,
      exclude: config.exclude ?? [],
      databaseSettings: config.databaseSettings ?? {},
    };
  }
  const databases = config.databases.map((item): ResolvedDatabase => {
    const entry = typeof item === 'string' ? { name: item } : item;
    return {
      id: entry.id ?? entry.name,
      name: entry.name,
      connection: resolveConnection(overlayFields<ConnectionInput>(shared, connectionPart(entry), [SECRET_FIELDS])),
      engine: { ...config.engine, ...pickEngineOverrides(entry) } as EngineConfig,
    };
  });
  return { ...common, databases, connection, exclude: [], databaseSettings: {} };
}

/** The ids the state machine's Map iterates over, or "all" (the run discovers them). */
export function databaseIds(config: PgProofConfig): string[] | 'all' {
  const { databases } = resolveFleet(config);
  return databases === 'all' ? 'all' : databases.map((d) => d.id);
}

/** A short description of what a configuration proves, for the stack's description: a name, a count or "all". */
export function describeDatabases(config: PgProofConfig): string {
  const ids = databaseIds(config);
  if (ids === 'all') return 'every database of its server';
  return ids.length === 1 ? ids[0]! : `${ids.length} databases`;
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
  else
    for (const p of fleetProblems(d.data).slice(0, 5))
      problems.push(`${source}: ${p.path.length ? p.path.join('.') : '(root)'}: ${p.message}`);
  const e = engineConfigSchema.safeParse(engine);
  if (!e.success) problems.push(describeZodError(e.error, source));
  if (problems.length || !d.success || !e.success) throw new ConfigError(problems.join('; '));
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
