import { z } from 'zod';
import { DEFAULT_COMPRESSION } from '../../lib/common/defaults';
import { ConfigError } from './errors';
import { ENGINE_ENV } from '../../lib/contracts/engine-env';

/** How the dump is compressed: multi-threaded zstd on an uncompressed archive, pg_dump's own gzip, or none. */
export const compressionSchema = z.discriminatedUnion('method', [
  z
    .object({
      method: z.literal('zstd'),
      level: z.number().int().min(1).max(19).default(1),
      threads: z.number().int().min(0).max(64).default(0),
    })
    .strict(),
  z.object({ method: z.literal('pg_dump'), level: z.number().int().min(0).max(9).default(6) }).strict(),
  z.object({ method: z.literal('none') }).strict(),
]);
export type CompressionConfig = z.infer<typeof compressionSchema>;

const expectationSchema = z
  .object({
    min: z.number().optional(),
    max: z.number().optional(),
    equals: z.union([z.number(), z.string(), z.boolean(), z.null()]).optional(),
  })
  .strict()
  .refine((e) => e.min !== undefined || e.max !== undefined || e.equals !== undefined, {
    message: 'an expectation needs at least one of min, max, equals',
  })
  .refine((e) => e.min === undefined || e.max === undefined || e.min <= e.max, { message: 'min must not exceed max' });
export type Expectation = z.infer<typeof expectationSchema>;

/** A user check: SQL returning one value, and what that value must be. */
export const checkSchema = z
  .object({
    name: z.string().min(1).max(200),
    sql: z.string().min(1),
    expect: expectationSchema,
  })
  .strict();
export type CheckConfig = z.infer<typeof checkSchema>;

/** A freshness check: the newest timestamp in a column must be recent relative to the dump's snapshot. */
export const freshnessSchema = z
  .object({
    table: z.string().min(1).describe('table name, optionally schema-qualified (schema.table)'),
    column: z.string().min(1),
    maxAgeHours: z.number().positive(),
  })
  .strict();
export type FreshnessConfig = z.infer<typeof freshnessSchema>;

/** Extensions that cannot be installed outside Amazon RDS / Aurora (verify skips them). */
export const DEFAULT_RDS_ONLY_EXTENSIONS: readonly string[] = [
  'aws_s3',
  'aws_commons',
  'rds_tools',
  'apg_plan_mgmt',
  'aws_lambda',
  'aws_ml',
  'rds_activity_stream',
  'pg_transport',
];

/** The part of pgproof's configuration the engines read (no secrets: it travels in the task environment). */
export const engineConfigSchema = z
  .object({
    compression: compressionSchema.default({ ...DEFAULT_COMPRESSION }),
    sizeGuard: z
      .object({ maxShrink: z.number().min(0).max(1).default(0.5) })
      .strict()
      .default({ maxShrink: 0.5 }),
    checks: z.array(checkSchema).default([]),
    freshness: z.array(freshnessSchema).default([]),
    /** Hash every table's content in the dump's snapshot and again after restore. Costs a full read of each table twice. */
    deepProof: z.boolean().default(false),
    /** Parallel pg_restore jobs. @default - the number of CPU cores */
    restoreJobs: z.number().int().min(1).max(64).optional(),
    /**
     * Extensions that exist only on Amazon RDS / Aurora: verify leaves them out of the restore and reports them as
     * "not restorable outside RDS: skipped". Replaces the default list when given.
     * @default - DEFAULT_RDS_ONLY_EXTENSIONS
     */
    rdsOnlyExtensions: z
      .array(
        z
          .string()
          .regex(
            /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/,
            'an extension name (letters, digits, _ . -; at most 63 characters)',
          ),
      )
      .default([...DEFAULT_RDS_ONLY_EXTENSIONS]),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.checks.forEach((check, i) => {
      if (seen.has(check.name))
        ctx.addIssue({ code: 'custom', path: ['checks', i, 'name'], message: `duplicate check name "${check.name}"` });
      seen.add(check.name);
    });
  });
export type EngineConfig = z.infer<typeof engineConfigSchema>;

/** Formats the first validation issue as "field: problem", the way every pgproof config error reads. */
export function describeZodError(error: z.ZodError, source: string): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${source}: ${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/** Parses the engine configuration (JSON text from `ENGINE_ENV.config`, or an object). */
export function parseEngineConfig(input: string | unknown, source: string = ENGINE_ENV.config): EngineConfig {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = input.trim() === '' ? {} : JSON.parse(input);
    } catch (error) {
      throw new ConfigError(`${source} is not valid JSON: ${(error as Error).message}`);
    }
  }
  const parsed = engineConfigSchema.safeParse(value ?? {});
  if (!parsed.success) throw new ConfigError(describeZodError(parsed.error, source));
  return parsed.data;
}
