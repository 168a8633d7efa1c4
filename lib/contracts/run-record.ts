import { z } from 'zod';
import { STATE } from './state-names';

/**
 * The run record: what the state machine carries to the notify functions (`RunState`), and what `--json` prints and
 * the local history keeps (`RunRecord`, summarised from an execution by `summarizeExecution`, the same on AWS and
 * locally). Never holds a secret: the state machine's input and output never carry one.
 */

// `null` is accepted wherever a field is optional (JSONPath states produce it) and read as absent.
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((value) => value ?? undefined);

const seconds = z.number().finite().nonnegative();
const count = z.number().int().nonnegative();

/** How a finished run ended. */
export const RUN_STATUSES = ['SUCCEEDED', 'FAILED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** A record's status: an execution still going in AWS is RUNNING. */
export type RunRecordStatus = RunStatus | 'RUNNING';

/** Error name of a run whose backup was verified and checked in, but whose success message was not posted. */
export const CHAT_POST_FAILED = 'ChatPostFailed';
/** Error name of a run in which at least one database was not verified (the Fail state after the Map). */
export const DATABASES_FAILED = 'DatabasesFailed';
/** Error name of an execution stopped before it ended (Ctrl-C locally, StopExecution in AWS). */
export const EXECUTION_ABORTED = 'ExecutionAborted';
/** Error name of an execution that ran past the state machine's own timeout. */
export const EXECUTION_TIMED_OUT = 'ExecutionTimedOut';
/** Where an error of the execution itself (not of one of its states) is recorded. */
export const EXECUTION_STATE = 'Execution';

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

/**
 * The previous verified backup's figures, for the size and restore-time trend. The verify task reports it in its
 * result, so the state machine carries it at `$.verify.previous`.
 */
export const previousRunSchema = z.looseObject({
  /** The run that made the previous verified backup. */
  runId: z.string().min(1),
  /** Its stored size (the dump object's bytes). */
  dumpBytes: count,
  /** Its measured recovery time; absent when its verification did not record one. */
  restoreSeconds: optional(seconds),
});

export const verifySummarySchema = z.looseObject({
  /** Cluster start to restore end: the day's measured recovery time. */
  restoreSeconds: seconds,
  checks: z.array(checkResultSchema),
  /** RDS-only extensions of the dump, left out of the restore ("not restorable outside RDS: skipped"). */
  skippedExtensions: optional(z.array(z.string())),
  previous: optional(previousRunSchema),
});

export const runErrorSchema = z.looseObject({
  /** The state that failed, e.g. `BackupDatabase`. */
  state: z.string(),
  /** The error name, e.g. `DumpFailed`, `States.Timeout`. */
  name: z.string(),
  /** The message or Step Functions `Cause` (a JSON `errorMessage` inside is unwrapped when shown). */
  message: z.string(),
});

const consoleUrlSchema = z
  .unknown()
  .transform((value) =>
    typeof value === 'string' && z.url({ protocol: /^https?$/ }).safeParse(value).success ? value : undefined,
  );

/**
 * One database's outcome in the run state after the Map (docs/fleet-design.md, "The run state after the Map"):
 * trimmed to about 1 KiB, so 200 of them fit the 256 KiB state. `verify.checks` counts the checks passed; a failing
 * check is named in the error, whose message the engines cap at 500 characters.
 */
export const databaseOutcomeSchema = z.looseObject({
  /** The database's id (today its name). */
  database: z.string().min(1),
  status: z.enum(RUN_STATUSES),
  /** No complete backup of this database was in the bucket before this run. */
  isNew: optional(z.boolean()),
  /** The backup made by this run. A re-verification's item carries the given key with null figures: left out. */
  backup: z.preprocess(
    (backup) => (isObject(backup) && backup.bytes === null && backup.seconds === null ? undefined : backup),
    optional(z.looseObject({ key: z.string().min(1), bytes: count, seconds, previousBytes: optional(count) })),
  ),
  verify: optional(
    z.looseObject({
      restoreSeconds: seconds,
      checks: count,
      /** RDS-only extensions left out of the restore. */
      skippedExtensions: optional(z.array(z.string())),
      previous: optional(z.looseObject({ dumpBytes: count, restoreSeconds: optional(seconds) })),
    }),
  ),
  /** What the retention step did after the database verified: backups kept and expired (tagged for deletion). */
  retention: optional(z.looseObject({ kept: count, expired: count })),
  error: optional(runErrorSchema),
});
/** One database's outcome after parsing. */
export type DatabaseOutcome = z.output<typeof databaseOutcomeSchema>;

/** What went wrong writing a database's report: the state and error name (the message is in the execution's history). */
export const reportErrorSchema = z.looseObject({
  state: z.string(),
  name: z.string(),
  message: optional(z.string()),
});

/** One database's report after WriteReports: whether its report and run log were written to the bucket. */
export const reportResultSchema = z.looseObject({
  /** The database's id (as its outcome names it). */
  database: z.string().min(1),
  written: z.boolean(),
  error: optional(reportErrorSchema),
});
export type ReportResult = z.output<typeof reportResultSchema>;

/** The reports of a run: a malformed entry is left out (a report never fails the run's notification). */
const reportsSchema = z.unknown().transform((value) =>
  Array.isArray(value)
    ? value.flatMap((item) => {
        const parsed = reportResultSchema.safeParse(item);
        return parsed.success ? [parsed.data] : [];
      })
    : undefined,
);

/**
 * The run's state as the state machine passes it to the Lambda functions. Objects are loose: the state machine may
 * carry more fields, which are kept but not read. Known fields are typed strictly.
 */
export const runStateSchema = z.looseObject({
  database: z.string().min(1),
  runId: z.string().min(1),
  status: z.enum(RUN_STATUSES),
  backup: optional(backupSummarySchema),
  verify: optional(verifySummarySchema),
  error: optional(runErrorSchema),
  /** Link to the execution in the Step Functions console. */
  // A malformed link is dropped rather than failing the run's notification over a cosmetic field.
  consoleUrl: consoleUrlSchema.optional(),
  /** Why the run was started by hand. */
  reason: optional(z.string()),
  /** The key of the existing backup this run verified again (input `verifyBackup`): the run made no backup. */
  verifyBackup: optional(z.string()),
  /** One outcome per database, after the Map (absent in executions that predate it). */
  outcomes: optional(z.array(databaseOutcomeSchema)),
  /** One entry per database after WriteReports: whether its report was written (absent before reports existed). */
  reports: reportsSchema.optional(),
  /** WriteReports itself failed (a runtime error of the Map, not one database's write). */
  reportsFailed: z
    .unknown()
    .transform((value) => {
      const parsed = reportErrorSchema.safeParse(value);
      return parsed.success ? parsed.data : undefined;
    })
    .optional(),
});

/** The run state after parsing (optional fields absent, never null). */
export type RunState = z.output<typeof runStateSchema>;
/** What may be passed in (nulls allowed). */
export type RunStateInput = z.input<typeof runStateSchema>;

/** One check of the verification (the fields of `checkResultSchema`). */
export interface CheckResult {
  readonly name: string;
  readonly passed: boolean;
  readonly value?: string;
  readonly expectation?: string;
  readonly detail?: string;
}

/** The backup task's figures (the fields of `backupSummarySchema`). */
export interface BackupSummary {
  readonly key: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly seconds: number;
  readonly tables?: number;
  readonly rows?: number;
  readonly previousBytes?: number;
}

/** The previous verified backup (the fields of `previousRunSchema`). */
export interface PreviousRun {
  readonly runId: string;
  readonly dumpBytes: number;
  readonly restoreSeconds?: number;
}

/** The verify task's figures (the fields of `verifySummarySchema`). */
export interface VerifySummary {
  readonly restoreSeconds: number;
  readonly checks: readonly CheckResult[];
  readonly skippedExtensions?: readonly string[];
  readonly previous?: PreviousRun;
}

/** Which state failed, with which error (the fields of `runErrorSchema`). */
export interface RunError {
  readonly state: string;
  readonly name: string;
  readonly message: string;
}

/** One run, as `--json` prints it, the local history keeps it and `history` lists it (AWS or local). No secrets. */
export interface RunRecord {
  readonly status: RunRecordStatus;
  readonly runId: string;
  readonly database: string;
  /** When the execution started (ISO 8601). */
  readonly startedAt: string;
  /** When it ended; absent while it runs. */
  readonly finishedAt?: string;
  /** Start to end, in seconds. */
  readonly seconds?: number;
  /** Why the run was started by hand (`started by hand` when no reason was given). */
  readonly reason?: string;
  /** A re-verification: the key of the existing backup it verified again (it made no backup, nor checked in). */
  readonly verifyBackup?: string;
  /** The backup's figures (executions before the Map; a Map execution has them per database in `databases`). */
  readonly backup?: BackupSummary;
  /** The verification's figures (executions before the Map; see `backup`). */
  readonly verify?: VerifySummary;
  /**
   * The step that failed, its error name and message. With one failed database, that database's error; with
   * several, `DatabasesFailed` naming them.
   */
  readonly error?: RunError;
  /** One result per database, in the run's order (Map executions that got past the Map). */
  readonly databases?: readonly DatabaseResult[];
  /** What the chat step did; `text` is the message a local run without a webhook printed instead of posting. */
  readonly chat?: { readonly posted: boolean; readonly text?: string };
  /** Whether the dead-man's switch was checked in (success path only). */
  readonly snitch?: { readonly checkedIn: boolean };
  /** The execution in the Step Functions console (AWS only). */
  readonly consoleUrl?: string;
  /** The execution's ARN (AWS only). */
  readonly executionArn?: string;
}

/** One database's backup, as its outcome records it. */
export interface DatabaseBackupSummary {
  readonly key: string;
  readonly bytes: number;
  readonly seconds: number;
  readonly sha256?: string;
  readonly previousBytes?: number;
}

/** One database's verification, as its outcome records it: `checks` counts the checks passed. */
export interface DatabaseVerifySummary {
  readonly restoreSeconds: number;
  readonly checks: number;
  readonly skippedExtensions?: readonly string[];
  readonly previous?: { readonly dumpBytes: number; readonly restoreSeconds?: number };
}

/** One database of one run (`--json`'s `databases`): its own status, figures and error. */
export interface DatabaseResult {
  readonly database: string;
  readonly status: RunStatus;
  /** No complete backup of this database was in the bucket before this run. */
  readonly isNew?: boolean;
  readonly backup?: DatabaseBackupSummary;
  readonly verify?: DatabaseVerifySummary;
  readonly error?: RunError;
}

/**
 * One database of one run, as `history` lists it: the run's fields repeated, the database's own status, figures and
 * error. Its figures are the trimmed ones of the outcome (the check count, not each check).
 */
export interface DatabaseRunRecord extends Omit<RunRecord, 'status' | 'backup' | 'verify' | 'databases'> {
  readonly status: RunRecordStatus;
  /** No complete backup of this database was in the bucket before this run. */
  readonly isNew?: boolean;
  readonly backup?: DatabaseBackupSummary;
  readonly verify?: DatabaseVerifySummary;
}

/** One execution as either runtime reports it: Step Functions' DescribeExecution, or the local runner. */
export interface ExecutionOutcome {
  /** As Step Functions names it: RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE. */
  readonly status: string;
  readonly startedAt: string;
  readonly stoppedAt?: string;
  /**
   * The run's data where the execution is: its output when it succeeded, else the input of the last state it
   * entered (a failed run ends in RunFailed or ChatPostFailed, which receive the whole run state).
   */
  readonly state?: unknown;
  /** The execution's error and cause (a failed, timed-out or aborted execution). */
  readonly error?: string;
  readonly cause?: string;
  /** The execution's name: the run id of an execution that never got one. */
  readonly name?: string;
  readonly executionArn?: string;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value ? value : undefined);

/** The part of the state `schema` accepts, or undefined: one malformed part never hides the others. */
function part<T extends z.ZodType>(schema: T, value: unknown): z.output<T> | undefined {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** The message inside a Step Functions `Cause`: Lambda errors carry a JSON `{errorMessage}`, others plain text. */
function causeMessage(cause: unknown): string | undefined {
  if (typeof cause !== 'string') return undefined;
  try {
    const parsed = JSON.parse(cause) as unknown;
    if (isObject(parsed) && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // plain text
  }
  return cause;
}

/** How many failed databases the run's error names before `and N more`. */
const NAMED_FAILURES = 10;

/** The run's error from its failed databases: the one database's own error, or `DatabasesFailed` naming them. */
function databasesError(failed: readonly DatabaseResult[], total: number): RunError | undefined {
  const [first] = failed;
  if (!first) return undefined;
  if (failed.length === 1 && total === 1 && first.error) return first.error;
  const named = failed
    .slice(0, NAMED_FAILURES)
    .map((d) => `${d.database} (${d.error ? `${d.error.name} in ${d.error.state}` : 'no error recorded'})`);
  const more = failed.length > NAMED_FAILURES ? `, and ${failed.length - NAMED_FAILURES} more` : '';
  return {
    state: STATE.proveDatabases,
    name: DATABASES_FAILED,
    message: `${failed.length} of ${total} databases failed: ${named.join(', ')}${more}`,
  };
}

/** The run's error: the step the definition recorded, its failed databases, else the execution's own error. */
function errorOf(
  execution: ExecutionOutcome,
  state: Record<string, unknown>,
  databases: readonly DatabaseResult[] | undefined,
): RunError {
  const recorded = part(runErrorSchema, state.error);
  if (recorded) return { state: recorded.state, name: recorded.name, message: recorded.message };
  const fromDatabases = databases
    ? databasesError(
        databases.filter((d) => d.status === 'FAILED'),
        databases.length,
      )
    : undefined;
  if (fromDatabases) return fromDatabases;
  if (execution.error === CHAT_POST_FAILED) {
    // The Fail state's cause only points to the history: the chat error caught into $.chatError says why.
    const chatError = isObject(state.chatError) ? state.chatError : {};
    const why = [text(chatError.Error), causeMessage(chatError.Cause)].filter(Boolean).join(': ') || 'an unknown error';
    return {
      state: databases ? STATE.notifyRun : STATE.notifySuccess,
      name: CHAT_POST_FAILED,
      message: `${execution.cause ?? ''} The chat post failed with ${why}`.trim(),
    };
  }
  if (execution.status === 'ABORTED') {
    return {
      state: EXECUTION_STATE,
      name: EXECUTION_ABORTED,
      message: execution.cause ?? 'the execution was stopped before it ended',
    };
  }
  if (execution.status === 'TIMED_OUT') {
    return {
      state: EXECUTION_STATE,
      name: EXECUTION_TIMED_OUT,
      message: execution.cause ?? 'the execution ran longer than the state machine allows',
    };
  }
  return { state: EXECUTION_STATE, name: execution.error ?? 'Failed', message: execution.cause ?? '' };
}

function backupOf(state: Record<string, unknown>): BackupSummary | undefined {
  const b = part(backupSummarySchema, state.backup);
  if (!b) return undefined;
  return {
    key: b.key,
    bytes: b.bytes,
    sha256: b.sha256,
    seconds: b.seconds,
    ...(b.tables !== undefined ? { tables: b.tables } : {}),
    ...(b.rows !== undefined ? { rows: b.rows } : {}),
    ...(b.previousBytes !== undefined ? { previousBytes: b.previousBytes } : {}),
  };
}

function verifyOf(state: Record<string, unknown>): VerifySummary | undefined {
  const v = part(verifySummarySchema, state.verify);
  if (!v) return undefined;
  return {
    restoreSeconds: v.restoreSeconds,
    checks: v.checks.map((c) => ({
      name: c.name,
      passed: c.passed,
      ...(c.value !== undefined ? { value: c.value } : {}),
      ...(c.expectation !== undefined ? { expectation: c.expectation } : {}),
      ...(c.detail ? { detail: c.detail } : {}),
    })),
    skippedExtensions: v.skippedExtensions ?? [],
    ...(v.previous
      ? {
          previous: {
            runId: v.previous.runId,
            dumpBytes: v.previous.dumpBytes,
            ...(v.previous.restoreSeconds !== undefined ? { restoreSeconds: v.previous.restoreSeconds } : {}),
          },
        }
      : {}),
  };
}

/**
 * Pure: the run record of one execution, from the run's data where it ended and the execution's status and times.
 * Both `history` paths (AWS and local) and the local run's result use it, so they cannot drift.
 */
export function summarizeExecution(execution: ExecutionOutcome): RunRecord {
  const state = isObject(execution.state) ? execution.state : {};
  const status: RunRecordStatus =
    execution.status === 'SUCCEEDED'
      ? 'SUCCEEDED'
      : execution.status === 'RUNNING' || execution.status === 'PENDING_REDRIVE'
        ? 'RUNNING'
        : 'FAILED';
  // A run that ended inside a Map item (stopped, timed out) ends in that item's state: its database failed there.
  const item = isObject(state.item) && text(state.item.database) ? text(state.item.database) : undefined;
  const backup = item ? undefined : backupOf(state);
  const verify = item ? undefined : verifyOf(state);
  const databases = item ? [stoppedItem(item, execution, state)] : databasesOf(state);
  const chat =
    isObject(state.chat) && typeof state.chat.posted === 'boolean' ? { posted: state.chat.posted } : undefined;
  const snitch =
    isObject(state.snitch) && typeof state.snitch.checkedIn === 'boolean'
      ? { checkedIn: state.snitch.checkedIn }
      : undefined;
  const consoleUrl = part(consoleUrlSchema, state.consoleUrl);
  const started = Date.parse(execution.startedAt);
  const stopped = execution.stoppedAt ? Date.parse(execution.stoppedAt) : NaN;
  return {
    status,
    // The state machine makes the run id (keys, chat, manifests use it); the execution name is only a fallback.
    runId: text(state.runId) ?? execution.name ?? '',
    database: text(state.database) ?? '',
    startedAt: execution.startedAt,
    ...(execution.stoppedAt ? { finishedAt: execution.stoppedAt } : {}),
    ...(Number.isFinite(started) && Number.isFinite(stopped) ? { seconds: (stopped - started) / 1000 } : {}),
    ...(text(state.reason) ? { reason: text(state.reason) } : {}),
    ...(text(state.verifyBackup) ? { verifyBackup: text(state.verifyBackup) } : {}),
    ...(backup ? { backup } : {}),
    ...(verify ? { verify } : {}),
    ...(status === 'FAILED' ? { error: errorOf(execution, state, databases) } : {}),
    ...(databases ? { databases } : {}),
    ...(chat ? { chat } : {}),
    ...(snitch ? { snitch } : {}),
    ...(consoleUrl ? { consoleUrl } : {}),
    ...(execution.executionArn ? { executionArn: execution.executionArn } : {}),
  };
}

/** One state entered, as either runtime's execution history reports it. */
export interface StateEntered {
  readonly state: string;
  /** The state's input (parsed JSON). */
  readonly input: unknown;
}

/**
 * Pure: the run's data where an execution ended, for `summarizeExecution`: the output of a succeeded execution,
 * else the input of the last state entered (`entered` in execution order).
 */
export function finalRunState(output: unknown, entered: readonly StateEntered[]): unknown {
  if (output !== undefined && output !== null) return output;
  return entered.at(-1)?.input;
}

/** One database's result from its outcome, trimmed as `--json` prints it. */
function databaseResult(o: DatabaseOutcome): DatabaseResult {
  return {
    database: o.database,
    status: o.status,
    ...(o.isNew !== undefined ? { isNew: o.isNew } : {}),
    ...(o.backup
      ? {
          backup: {
            key: o.backup.key,
            bytes: o.backup.bytes,
            seconds: o.backup.seconds,
            ...(typeof o.backup.sha256 === 'string' ? { sha256: o.backup.sha256 } : {}),
            ...(o.backup.previousBytes !== undefined ? { previousBytes: o.backup.previousBytes } : {}),
          },
        }
      : {}),
    ...(o.verify
      ? {
          verify: {
            restoreSeconds: o.verify.restoreSeconds,
            checks: o.verify.checks,
            ...(o.verify.skippedExtensions?.length ? { skippedExtensions: o.verify.skippedExtensions } : {}),
            ...(o.verify.previous
              ? {
                  previous: {
                    dumpBytes: o.verify.previous.dumpBytes,
                    ...(o.verify.previous.restoreSeconds !== undefined
                      ? { restoreSeconds: o.verify.previous.restoreSeconds }
                      : {}),
                  },
                }
              : {}),
          },
        }
      : {}),
    ...(o.error ? { error: { state: o.error.state, name: o.error.name, message: o.error.message } } : {}),
  };
}

/** The database of the Map item a run ended in, failed with the execution's own error. */
function stoppedItem(database: string, execution: ExecutionOutcome, state: Record<string, unknown>): DatabaseResult {
  const b = backupOf(state);
  const itemState = { ...state, error: undefined };
  return {
    database,
    status: 'FAILED',
    ...(b
      ? {
          backup: {
            key: b.key,
            bytes: b.bytes,
            seconds: b.seconds,
            sha256: b.sha256,
            ...(b.previousBytes !== undefined ? { previousBytes: b.previousBytes } : {}),
          },
        }
      : {}),
    error: errorOf(execution, itemState, undefined),
  };
}

/** The databases' results from the state's `outcomes` (a malformed outcome is left out, never the others). */
function databasesOf(state: Record<string, unknown>): DatabaseResult[] | undefined {
  if (!Array.isArray(state.outcomes)) return undefined;
  const outcomes = state.outcomes
    .map((o) => part(databaseOutcomeSchema, o))
    .filter((o): o is DatabaseOutcome => o !== undefined);
  return outcomes.length ? outcomes.map(databaseResult) : undefined;
}

/** A record of an execution without outcomes, in the per-database form: the figures trimmed as an outcome holds them. */
function asDatabaseRecord(record: RunRecord): DatabaseRunRecord {
  const { backup, verify, databases: _none, ...run } = record;
  return {
    ...run,
    ...(backup
      ? {
          backup: {
            key: backup.key,
            bytes: backup.bytes,
            seconds: backup.seconds,
            ...(backup.previousBytes !== undefined ? { previousBytes: backup.previousBytes } : {}),
          },
        }
      : {}),
    ...(verify
      ? {
          verify: {
            restoreSeconds: verify.restoreSeconds,
            checks: verify.checks.filter((c) => c.passed).length,
            ...(verify.previous
              ? {
                  previous: {
                    dumpBytes: verify.previous.dumpBytes,
                    ...(verify.previous.restoreSeconds !== undefined
                      ? { restoreSeconds: verify.previous.restoreSeconds }
                      : {}),
                  },
                }
              : {}),
          },
        }
      : {}),
  };
}

/**
 * Pure: one row per database of one run, the run's fields repeated (run id, times, reason, chat, snitch, console
 * link): what `history` lists. A run that failed outside the Map (the snitch, say) with every database verified
 * fails each row with the run's error; a run without database results (it failed before the Map, or predates it)
 * is one row.
 */
export function databaseRows(run: RunRecord): DatabaseRunRecord[] {
  if (!run.databases?.length) return [asDatabaseRecord(run)];
  const { backup: _backup, verify: _verify, error: runError, status: runStatus, databases, ...runFields } = run;
  const failedOutside = runStatus === 'FAILED' && !databases.some((d) => d.status === 'FAILED');
  return databases.map((d) => ({
    ...runFields,
    ...d,
    // A database of a run still going is RUNNING until the run ends; its own status once it has.
    status: runStatus === 'RUNNING' ? 'RUNNING' : failedOutside ? 'FAILED' : d.status,
    ...(failedOutside && runError ? { error: runError } : {}),
  }));
}

/** Pure: `databaseRows` of one execution. */
export function summarizeDatabases(execution: ExecutionOutcome): DatabaseRunRecord[] {
  return databaseRows(summarizeExecution(execution));
}
