import { runStateSchema, type RunState, type RunStateInput } from '../../lib/contracts/run-record';
import { InvalidInput } from './errors';

export type {
  BackupSummary,
  CheckResult,
  PreviousRun,
  RunError,
  RunStatus,
  VerifySummary,
} from '../../lib/contracts/run-record';
/** The run state a notify function receives (the run record's contract, `RunState`). */
export type RunResult = RunState;
/** What may be passed in (nulls allowed). */
export type RunResultInput = RunStateInput;

/** Parses an event into the run state, or throws `InvalidInput` naming every field at fault and why. */
export function parseRunResult(event: unknown): RunResult {
  const parsed = runStateSchema.safeParse(event);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .slice(0, 10)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(event)'}: ${issue.message}`)
    .join('; ');
  throw new InvalidInput(`the event is not a pgproof run state: ${problems}`, { cause: parsed.error });
}
