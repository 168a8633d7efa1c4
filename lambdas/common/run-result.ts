import { z } from 'zod';
import { InvalidInput } from './errors';

/**
 * The run's state as the state machine passes it to the Lambda functions (and as the CLI prints with `--json`).
 * Objects are loose: the state machine may carry more fields, which are kept but not read. Known fields are
 * typed strictly. `null` is accepted wherever a field is optional (JSONPath states produce it) and read as absent.
 */
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((value) => value ?? undefined);

const seconds = z.number().finite().nonnegative();
const count = z.number().int().nonnegative();

export const checkResultSchema = z.looseObject({
  name: z.string(),
  passed: z.boolean(),
  /** The observed value (the verify task reports it as text). */
  value: optional(z.union([z.string(), z.number(), z.boolean()]).transform(String)),
  /** What was expected, as text, e.g. `>= 1`. */
  expectation: optional(z.string()),
  detail: optional(z.string()),
});

export const backupSummarySchema = z.looseObject({
  key: z.string().min(1),
  bytes: count,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in lower-case hex'),
  seconds,
  tables: optional(count),
  rows: optional(count),
  /** The size of the last verified backup, as the backup task found it (the size guard's baseline). */
  previousBytes: optional(count),
});

export const verifySummarySchema = z.looseObject({
  /** Cluster start to restore end: the day's measured recovery time. */
  restoreSeconds: seconds,
  checks: z.array(checkResultSchema),
  /** RDS-only extensions of the dump, left out of the restore ("not restorable outside RDS: skipped"). */
  skippedExtensions: optional(z.array(z.string())),
});

export const runErrorSchema = z.looseObject({
  /** The state that failed, e.g. `BackupDatabase`. */
  state: z.string(),
  /** The error name, e.g. `DumpFailed`, `States.Timeout`. */
  name: z.string(),
  /** The message or Step Functions `Cause` (a JSON `errorMessage` inside is unwrapped when shown). */
  message: z.string(),
});

export const previousRunSchema = z.looseObject({
  bytes: optional(count),
  restoreSeconds: optional(seconds),
});

export const runResultSchema = z.looseObject({
  database: z.string().min(1),
  runId: z.string().min(1),
  status: z.enum(['SUCCEEDED', 'FAILED']),
  backup: optional(backupSummarySchema),
  verify: optional(verifySummarySchema),
  error: optional(runErrorSchema),
  /** Link to the execution in the Step Functions console. */
  // A malformed link is dropped rather than failing the run's notification over a cosmetic field.
  consoleUrl: z
    .unknown()
    .transform((value) => (typeof value === 'string' && z.url({ protocol: /^https?$/ }).safeParse(value).success ? value : undefined))
    .optional(),
  /** The previous run's figures, for comparison. */
  previous: optional(previousRunSchema),
  /** Why the run was started by hand. */
  reason: optional(z.string()),
});

/** The run state after parsing (optional fields absent, never null). */
export type RunResult = z.output<typeof runResultSchema>;
/** What may be passed in (nulls allowed). */
export type RunResultInput = z.input<typeof runResultSchema>;
export type CheckResult = z.output<typeof checkResultSchema>;
export type BackupSummary = z.output<typeof backupSummarySchema>;
export type VerifySummary = z.output<typeof verifySummarySchema>;
export type RunError = z.output<typeof runErrorSchema>;
export type PreviousRun = z.output<typeof previousRunSchema>;
export type RunStatus = RunResult['status'];

/** Parses an event into a `RunResult`, or throws `InvalidInput` naming every field at fault and why. */
export function parseRunResult(event: unknown): RunResult {
  const parsed = runResultSchema.safeParse(event);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .slice(0, 10)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(event)'}: ${issue.message}`)
    .join('; ');
  throw new InvalidInput(`the event is not a pgproof run state: ${problems}`, { cause: parsed.error });
}
