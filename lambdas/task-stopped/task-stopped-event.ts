import { z } from 'zod';
import { ENGINE_ENV } from '../../lib/contracts/engine-env';
import { InvalidInput } from '../common/errors';

// ECS may add fields at any time (its events documentation says so): every object is loose, every field we do not
// strictly need is optional, and null is read as absent.
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((value) => value ?? undefined);

const containerSchema = z.looseObject({
  name: optional(z.string()),
  lastStatus: optional(z.string()),
  exitCode: optional(z.number().int()),
  /** Why the container stopped, e.g. `OutOfMemoryError: Container killed due to memory usage`. */
  reason: optional(z.string()),
});

const containerOverrideSchema = z.looseObject({
  name: optional(z.string()),
  environment: optional(z.array(z.looseObject({ name: z.string(), value: optional(z.string()) }))),
});

const detailSchema = z.looseObject({
  taskArn: z.string().min(1),
  clusterArn: optional(z.string()),
  taskDefinitionArn: optional(z.string()),
  lastStatus: z.string(),
  /** Task memory in MiB, as text (`"2048"`). */
  memory: optional(z.string()),
  stopCode: optional(z.string()),
  stoppedReason: optional(z.string()),
  containers: optional(z.array(containerSchema)),
  overrides: optional(z.looseObject({ containerOverrides: optional(z.array(containerOverrideSchema)) })),
});

const eventSchema = z.looseObject({
  source: z.literal('aws.ecs'),
  'detail-type': z.literal('ECS Task State Change'),
  detail: detailSchema,
});

/** Which engine a task ran, as far as its overrides tell. */
export type EngineKind = 'backup' | 'verify' | 'engine';

export interface StoppedContainer {
  readonly name?: string;
  readonly exitCode?: number;
  readonly reason?: string;
}

/** What the logic needs from an `ECS Task State Change` event. The task token is kept apart: it is a credential. */
export interface TaskStateChange {
  readonly taskArn: string;
  readonly taskDefinitionArn?: string;
  readonly lastStatus: string;
  readonly engine: EngineKind;
  readonly memoryMiB?: number;
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly containers: readonly StoppedContainer[];
  /** The Step Functions task token from the container overrides; absent for a task not started by the state machine. */
  readonly taskToken?: string;
}

/** Parses an EventBridge `ECS Task State Change` event, or throws `InvalidInput` naming the fields at fault. */
export function parseTaskStateChange(event: unknown): TaskStateChange {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 10)
      .map((issue) => `${issue.path.length ? issue.path.join('.') : '(event)'}: ${issue.message}`)
      .join('; ');
    throw new InvalidInput(`the event is not an ECS Task State Change event: ${problems}`);
  }
  const { detail } = parsed.data;
  const variables = new Map<string, string>();
  for (const override of detail.overrides?.containerOverrides ?? []) {
    for (const variable of override.environment ?? []) {
      if (variable.value !== undefined) variables.set(variable.name, variable.value);
    }
  }
  const memory = detail.memory === undefined ? undefined : Number.parseInt(detail.memory, 10);
  const token = variables.get(ENGINE_ENV.taskToken)?.trim();
  return {
    taskArn: detail.taskArn,
    ...(detail.taskDefinitionArn ? { taskDefinitionArn: detail.taskDefinitionArn } : {}),
    lastStatus: detail.lastStatus,
    // Only the verify task gets the backup key, only the backup task the run id: they tell the two apart.
    engine: variables.has(ENGINE_ENV.backupKey) ? 'verify' : variables.has(ENGINE_ENV.runId) ? 'backup' : 'engine',
    ...(memory !== undefined && Number.isFinite(memory) ? { memoryMiB: memory } : {}),
    ...(detail.stopCode ? { stopCode: detail.stopCode } : {}),
    ...(detail.stoppedReason ? { stoppedReason: detail.stoppedReason } : {}),
    containers: (detail.containers ?? []).map((c) => ({
      ...(c.name ? { name: c.name } : {}),
      ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
      ...(c.reason ? { reason: c.reason } : {}),
    })),
    ...(token ? { taskToken: token } : {}),
  };
}
