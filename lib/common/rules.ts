/**
 * pgproof's validation rules, each stated once and used by every place that checks it: the configuration file's
 * schema, the `PgProof` construct and its parts, the engines and the CLI. Each `…Problem` function returns the
 * message for a bad value, naming the field and the value, or `undefined` when the value is fine. Pure: no
 * aws-cdk-lib or SDK imports.
 */

/** libpq's sslmode values. */
export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** TCP port numbers. */
export const PORT_RANGE = { min: 1, max: 65535 } as const;

/** Whether `port` is a whole TCP port number. */
export function isPortNumber(port: number): boolean {
  return Number.isInteger(port) && port >= PORT_RANGE.min && port <= PORT_RANGE.max;
}

/** A pipeline name: the state machine is `pgproof-<name>` and the stack `PgProof-<name>`. */
export const PIPELINE_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/** A key prefix: not empty, no leading or trailing slash (keys are `<prefix>/<database>/…`). */
export const KEY_PREFIX_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9._/-]*[A-Za-z0-9])?$/;

/**
 * The longest manual `reason`, in characters. It travels in the backup task's ECS RunTask overrides, which hold at
 * most 8,192 characters in all with the task token (≤ 2,048): the budget is pinned by
 * test/lib/run-definition.overrides.test.ts.
 */
export const MAX_REASON_CHARS = 500;

/**
 * The longest error message (SendTaskFailure `Cause`) the engines and the task-stopped Lambda send, in characters.
 * Step Functions would take 32,768, but every message lands in the run state and, with many databases, in each
 * database's outcome (256 KiB state for the whole run).
 */
export const MAX_ERROR_MESSAGE_CHARS = 500;

/**
 * The most databases one stack proves in a run: each database's outcome (≤ about 1 KiB) stays in the run state,
 * which Step Functions caps at 256 KiB (docs/fleet-design.md, "Limits for 200 databases").
 */
export const MAX_DATABASES = 200;

/**
 * `text` cut to at most `max` characters, an ellipsis marking the cut. The end is kept as well as the start: an
 * error's summary comes first, and the lines that name the cause (a program's stderr tail) come last.
 */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.ceil((max - 1) * 0.4);
  return `${text.slice(0, head)}…${text.slice(text.length - (max - 1 - head))}`;
}

/** A manual run's `reason`: not empty and at most {@link MAX_REASON_CHARS} characters. */
export function reasonProblem(field: string, reason: string): string | undefined {
  if (reason.length === 0) return `${field} must not be empty`;
  if (reason.length > MAX_REASON_CHARS)
    return `${field} is ${reason.length} characters long; at most ${MAX_REASON_CHARS} are allowed (it travels in the backup task's ECS overrides)`;
  return undefined;
}

/** The shortest heartbeat timeout: the engines beat every minute, so one late beat must not kill a task. */
export const MIN_HEARTBEAT_SECONDS = 120;

/** The longest timeout a backup or verify task may have. */
export const MAX_TASK_TIMEOUT_MINUTES = 24 * 60;

/** Fargate's task storage range in GiB (21 is what every task gets without asking). */
export const EPHEMERAL_STORAGE_GIB = { min: 21, max: 200 } as const;

/**
 * Fargate's valid memory (MiB) for each CPU size (1024 units = one vCPU):
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html
 */
export const FARGATE_MEMORY_MIB: Readonly<
  Record<
    number,
    { readonly min: number; readonly max: number; readonly step: number; readonly list?: readonly number[] }
  >
> = {
  256: { min: 512, max: 2048, step: 512, list: [512, 1024, 2048] },
  512: { min: 1024, max: 4096, step: 1024 },
  1024: { min: 2048, max: 8192, step: 1024 },
  2048: { min: 4096, max: 16384, step: 1024 },
  4096: { min: 8192, max: 30720, step: 1024 },
  8192: { min: 16384, max: 61440, step: 4096 },
  16384: { min: 32768, max: 122880, step: 8192 },
};

/** Fargate's CPU sizes, smallest first. */
export const FARGATE_CPU_UNITS = [256, 512, 1024, 2048, 4096, 8192, 16384] as const;

/** The smallest and largest memory of any Fargate task (MiB). */
export const FARGATE_MEMORY_LIMITS_MIB = { min: 512, max: 122880 } as const;

export function pipelineNameProblem(field: string, name: string): string | undefined {
  return PIPELINE_NAME_PATTERN.test(name)
    ? undefined
    : `${field} must be 1–32 lower-case letters, digits or dashes; got "${name}"`;
}

export function keyPrefixProblem(field: string, prefix: string): string | undefined {
  return KEY_PREFIX_PATTERN.test(prefix)
    ? undefined
    : `${field} must not be empty or start or end with "/"; got "${prefix}"`;
}

export function ephemeralStorageProblem(field: string, gib: number): string | undefined {
  const { min, max } = EPHEMERAL_STORAGE_GIB;
  return Number.isInteger(gib) && gib >= min && gib <= max
    ? undefined
    : `${field} must be a whole number from ${min} to ${max}; got ${gib}`;
}

/** Whether Fargate accepts this CPU/memory pair; `field` names the size (`backupSize`), the message its part. */
export function fargateSizeProblem(
  field: string,
  size: { readonly cpu: number; readonly memoryMiB: number },
): string | undefined {
  const range = FARGATE_MEMORY_MIB[size.cpu];
  if (!range) return `${field}.cpu must be one of ${FARGATE_CPU_UNITS.join(', ')}; got ${size.cpu}`;
  const fits = range.list
    ? range.list.includes(size.memoryMiB)
    : size.memoryMiB >= range.min && size.memoryMiB <= range.max && size.memoryMiB % range.step === 0;
  if (fits) return undefined;
  const allowed = range.list ? range.list.join(', ') : `${range.min}–${range.max} in steps of ${range.step}`;
  return `${field}.memoryMiB ${size.memoryMiB} does not fit ${size.cpu} CPU units on Fargate (allowed: ${allowed})`;
}

export function sslModeProblem(field: string, mode: string): string | undefined {
  return (SSL_MODES as readonly string[]).includes(mode)
    ? undefined
    : `${field} must be one of ${SSL_MODES.join(', ')}; got "${mode}"`;
}

/**
 * Secrets Manager appends `-` and six random characters to every secret's ARN, and reads an identifier whose name
 * part ends that way as a complete ARN (API reference, `SecretId`): a name or partial ARN ending so is not found.
 */
export const SECRET_ARN_SUFFIX = /-[A-Za-z0-9]{6}$/;
const COMPLETE_SECRET_ARN = new RegExp(`^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:.+${SECRET_ARN_SUFFIX.source}`);

/** The three ways to name a secret: a name, a partial ARN (no suffix) or a complete ARN (with its suffix). */
export type SecretIdForm = 'name' | 'partial-arn' | 'complete-arn';

/** Which of the three forms a configured secret identifier is. */
export function secretIdForm(id: string): SecretIdForm {
  if (!id.startsWith('arn:')) return 'name';
  return COMPLETE_SECRET_ARN.test(id) ? 'complete-arn' : 'partial-arn';
}

/**
 * A database id (default: the database's name): it is a folder of the S3 keys (`<prefix>/<id>/…`), the value of
 * the `Database` metric dimension and a key of the task settings, so it is kept to characters safe in all three,
 * starts with a letter, digit or underscore and is at most 63 characters (PostgreSQL's own name limit).
 */
export const DATABASE_ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/;

/** The inline Map's concurrency limit (Step Functions runs at most 40 iterations of an inline Map at once). */
export const MAX_CONCURRENCY_RANGE = { min: 1, max: 40 } as const;

export function databaseIdProblem(field: string, id: string): string | undefined {
  return DATABASE_ID_PATTERN.test(id)
    ? undefined
    : `${field} must be 1–63 letters, digits, "_", "." or "-", starting with a letter, digit or "_" (it names an S3 key folder and a metric dimension); got "${id}"`;
}
