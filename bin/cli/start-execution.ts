import {
  DescribeExecutionCommand,
  type SFNClient,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { newRunId } from '../../containers/common/keys';
import { PgProofError } from '../../lib/common/errors';
import { reasonProblem } from '../../lib/common/rules';
import { executionConsoleUrl } from './deployed-state-machine';

/**
 * What a manual run may carry. The state machine's ValidateInput enforces the same fields and type, but not the
 * length: Step Functions' JSONPath intrinsics cannot measure a string, so a run started from the console with a
 * longer reason is bounded by ECS instead (RunTask refuses overrides over 8,192 characters; BackupDatabase fails).
 */
export const manualInputSchema = z
  .object({
    reason: z.string().superRefine(refineReason),
    /** Re-verifies this existing backup instead of making one (`pgproof verify`). */
    verifyBackup: z.string().min(1, 'verifyBackup must be a backup key, e.g. as `pgproof backups` lists it'),
  })
  .partial()
  .strict();

/** Parses `--input` or fails naming the field (exit 2 in the CLI). */
export function parseManualInput(text: string | undefined): z.infer<typeof manualInputSchema> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InputError('--input is not valid JSON: expected e.g. {"reason": "before migration"}');
  }
  const parsed = manualInputSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length ? issue.path.join('.') : ((issue as { keys?: string[] }).keys ?? []).join(', ');
    if (issue.code === 'custom') throw new InputError(`--input: ${issue.message}`);
    throw new InputError(
      `--input: ${field ? `${field}: ` : ''}${issue.message} (allowed: {"reason": "<text>", "verifyBackup": "<backup key>"})`,
    );
  }
  return parsed.data;
}

function refineReason(reason: string, ctx: z.RefinementCtx): void {
  const problem = reasonProblem('reason', reason);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, path: [] });
}

/** A usage or input error: the CLI exits 2. */
export class InputError extends PgProofError {
  override readonly name = 'InputError';
}

export interface StartedExecution {
  readonly executionArn: string;
  readonly name: string;
  readonly consoleUrl: string;
}

export async function startExecution(
  sfn: SFNClient,
  stateMachineArn: string,
  input: Record<string, unknown>,
): Promise<StartedExecution> {
  // The run id itself is made by the state machine; the execution's name says it was started by hand, and when.
  const name = `manual-${newRunId()}`;
  const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
  return { executionArn: out.executionArn!, name, consoleUrl: executionConsoleUrl(out.executionArn!) };
}

/** Polls until the execution leaves RUNNING. */
export async function waitForExecution(
  sfn: SFNClient,
  executionArn: string,
  options: { intervalMs?: number; onPoll?: (status: string) => void; signal?: AbortSignal } = {},
): Promise<DescribeExecutionCommandOutput> {
  for (;;) {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    options.onPoll?.(out.status ?? 'UNKNOWN');
    if (out.status !== 'RUNNING' && out.status !== 'PENDING_REDRIVE') return out;
    if (options.signal?.aborted) return out;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 5000));
  }
}
