import type { EngineConfig } from '../../containers/common/engine-config';
import { libpqEnv, type ConnectionParams } from '../../containers/common/pg-connection';
import { redact } from '../common/redact';
import type { LambdaLogger } from '../../lambdas/common/logger';
import { buildChatMessage } from '../../lambdas/notify-chat/chat-message';
import { createNotifyChatHandler } from '../../lambdas/notify-chat/handler';
import { createApplyRetentionHandler } from '../../lambdas/apply-retention/handler';
import { createWriteReportHandler } from '../../lambdas/write-report/handler';
import { createSnitchCheckInHandler } from '../../lambdas/snitch-checkin/handler';
import { createS3Client } from '../../containers/common/s3';
import { DEFAULT_KEY_PREFIX, DEFAULT_RETENTION_POLICY } from '../common/defaults';
import type { RetentionPolicy } from '../common/retention';
import { ENGINE_ENV } from '../contracts/engine-env';
import type { FleetSettings } from '../contracts/fleet-settings';
import { CHAT_ENV, REPORT_ENV, RETENTION_ENV, SNITCH_ENV } from '../contracts/lambda-env';
import { finalRunState, runStateSchema, summarizeExecution, type RunRecord } from '../contracts/run-record';
import { STATE } from '../contracts/state-names';
import { ContainerTaskError, runContainerTask } from './container-task';
import { renderLocalDefinition } from './local-definition';
import { executeLocally, type ExecutionEvent, type LocalExecution, type TaskBinding } from './state-machine-runner';

type Json = Parameters<TaskBinding>[0];

export interface LocalRunOptions {
  /** The engines' settings (`ENGINE_ENV.config`): a plain engine configuration, or keyed by database id (`localFleet`). */
  readonly config: FleetSettings | EngineConfig;
  /** The server and, without `databases`, the one database to prove. */
  readonly connection: ConnectionParams;
  /**
   * The databases of the server to prove, each in its own Map item, or `all`: every connectable database of the
   * server, discovered at the start of the run (minus `exclude`). @default [connection.database]
   */
  readonly databases?: readonly string[] | 'all';
  /** How many databases are proved at once. @default 4 */
  readonly maxConcurrency?: number;
  /** What the chat and the history call the run when it proves several databases. @default the server, host:port */
  readonly label?: string;
  /** Where backups go: the embedded S3 server or an S3-compatible endpoint (or AWS when `endpoint` is unset). */
  readonly s3: { endpoint?: string; bucket: string; prefix?: string; credentials?: Record<string, string> };
  /** The retention policy ApplyRetention applies after each verified database (tags only). @default the defaults */
  readonly retention?: RetentionPolicy;
  /** The execution's input, as a manual run in the console would get it (e.g. `{"reason": "…"}`). */
  readonly input?: Record<string, unknown>;
  /** Post the chat message here; without it the message is only returned (and printed). */
  readonly chatWebhookUrl?: string;
  /** Check in here on success. */
  readonly snitchUrl?: string;
  /**
   * Why backups cannot be stored (the CLI found the state dir read-only or full before starting): BackupDatabase
   * fails at once with StorageError and this message, and the failure path (chat, history) runs as usual.
   */
  readonly storageUnavailable?: string;
  readonly signal?: AbortSignal;
  /** Each state entered, failed or retried (progress display). */
  readonly onEvent?: (event: ExecutionEvent) => void;
  /** Each JSON log line of the task programs, with the state that runs it. */
  readonly onTaskLog?: (state: string, line: string) => void;
  /** Log records of the Lambda handlers. */
  readonly onLambdaLog?: (level: string, message: string, fields: Record<string, unknown>) => void;
}

/** The environment the Fargate task definitions give the engines (the construct's static part). */
export function staticTaskEnv(options: LocalRunOptions): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
  };
  // Added after libpqEnv, which drops every PG* variable (pgproof's own included) from the base it is given.
  const passed: NodeJS.ProcessEnv = {};
  for (const k of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_REGION',
    'AWS_DEFAULT_REGION',
    'AWS_PROFILE',
    ENGINE_ENV.pgRoots,
    ENGINE_ENV.pgSearchPath,
    ENGINE_ENV.clusterUser,
    ENGINE_ENV.workDir,
    'PGPASSFILE',
  ]) {
    if (process.env[k] !== undefined) passed[k] = process.env[k];
  }
  return {
    ...libpqEnv(options.connection, base),
    ...passed,
    ...options.s3.credentials,
    [ENGINE_ENV.bucket]: options.s3.bucket,
    [ENGINE_ENV.prefix]: options.s3.prefix ?? DEFAULT_KEY_PREFIX,
    ...(options.s3.endpoint ? { [ENGINE_ENV.s3Endpoint]: options.s3.endpoint } : {}),
    [ENGINE_ENV.config]: JSON.stringify(options.config),
  };
}

/** The per-execution environment ECS would apply from the RunTask container overrides (minus the task token). */
export function overrideEnv(runTaskInput: Json): Record<string, string> {
  const overrides = (
    runTaskInput as {
      Overrides?: { ContainerOverrides?: Array<{ Environment?: Array<{ Name: string; Value: string }> }> };
    } | null
  )?.Overrides;
  const env: Record<string, string> = {};
  for (const container of overrides?.ContainerOverrides ?? []) {
    for (const { Name, Value } of container.Environment ?? []) if (Name !== ENGINE_ENV.taskToken) env[Name] = Value;
  }
  return env;
}

function lambdaLogger(sink: LocalRunOptions['onLambdaLog']): LambdaLogger {
  const emit =
    (level: string) =>
    (message: string, ...extra: Record<string, unknown>[]) =>
      sink?.(level, message, Object.assign({}, ...extra));
  return { debug: emit('DEBUG'), info: emit('INFO'), warn: emit('WARN'), error: emit('ERROR') };
}

/** Pure: the names of a fleet's databases by id, for the ids that are not their name (the outcomes name the ids). */
export function databaseNamesOf(config: LocalRunOptions['config']): Record<string, string> {
  const databases = (config as Partial<FleetSettings>).databases;
  if (!databases || typeof databases !== 'object') return {};
  return Object.fromEntries(
    Object.entries(databases)
      .filter(([id, d]) => d && typeof d.name === 'string' && d.name !== id)
      .map(([id, d]) => [id, d.name]),
  );
}

/** Why a local execution was aborted: the only way one is (the runner's signal). */
export const INTERRUPTED_CAUSE =
  'the run was interrupted (Ctrl-C / SIGTERM); child processes were stopped and cleaned up';

/**
 * Pure: the record of a local run, from the execution the way `history` summarises an AWS one (the run's data where
 * it ended, its status and times), minus the console link (it points nowhere locally), plus the chat message a run
 * without a webhook printed instead of posting.
 */
export function localRunRecord(
  execution: LocalExecution,
  run: { database: string; startedAt: string; finishedAt: string; chatText?: string },
): RunRecord {
  const entered = execution.events
    .filter((e) => e.type === 'StateEntered' && e.state)
    .map((e) => ({ state: e.state!, input: e.input }));
  const { consoleUrl: _pointsNowhere, ...record } = summarizeExecution({
    status: execution.status,
    startedAt: run.startedAt,
    stoppedAt: run.finishedAt,
    state: finalRunState(execution.output, entered),
    ...(execution.error ? { error: execution.error } : {}),
    ...(execution.status === 'ABORTED'
      ? { cause: INTERRUPTED_CAUSE }
      : execution.cause !== undefined
        ? { cause: execution.cause }
        : {}),
  });
  const database = record.database || run.database;
  const unposted = record.chat && !record.chat.posted ? unpostedText(record, database, run.chatText) : undefined;
  return {
    ...record,
    database,
    ...(unposted ? { chat: { posted: false, text: unposted } } : {}),
    ...(record.error ? { error: { ...record.error, message: redact(record.error.message) } } : {}),
  };
}

/** The message a run without a webhook printed: the one the chat step built, else rebuilt from an older record. */
function unpostedText(record: RunRecord, database: string, built: string | undefined): string | undefined {
  if (built !== undefined) return built;
  const state = runStateSchema.safeParse({ ...record, database });
  return state.success ? buildChatMessage(state.data).text : undefined;
}

/**
 * One run of the deployed state machine's definition on this machine: rendered from the construct, executed by
 * aws-local-stepfunctions, with BackupDatabase/VerifyBackup bound to the container programs (child processes,
 * the Fargate environment) and the Lambda states to their handlers (in-process). Retry, Catch and the failure
 * path are the definition's own.
 */
export async function runLocally(options: LocalRunOptions): Promise<RunRecord> {
  const startedAt = new Date().toISOString();
  const databases = options.databases ?? [options.connection.database];
  const label =
    databases !== 'all' && databases.length === 1
      ? databases[0]!
      : (options.label ?? `${options.connection.host}:${options.connection.port}`);
  const multiple = databases === 'all' || databases.length > 1;
  const definition = renderLocalDefinition(label, {
    databases,
    ...(options.maxConcurrency !== undefined ? { maxConcurrency: options.maxConcurrency } : {}),
  });
  const env = staticTaskEnv(options);
  const running = new Set<Promise<unknown>>();
  const logger = lambdaLogger(options.onLambdaLog);

  const containerTask =
    (name: 'backup' | 'verify' | 'discover', state: string): TaskBinding =>
    async (input) => {
      const perRun: NodeJS.ProcessEnv = overrideEnv(input);
      const database = multiple ? perRun[ENGINE_ENV.database] : undefined;
      if (options.storageUnavailable) throw new ContainerTaskError('StorageError', options.storageUnavailable);
      const task = runContainerTask(name, {
        env: { ...env, ...perRun },
        ...(options.signal ? { signal: options.signal } : {}),
        // A fleet's task lines say which database they are about.
        onLogLine: (line) => options.onTaskLog?.(database ? `${state} [${database}]` : state, line),
      });
      running.add(task);
      try {
        return (await task) as Json;
      } finally {
        running.delete(task);
      }
    };
  // The console link of a local run points nowhere: leave it out of what the chat and the switch receive.
  const withoutConsoleUrl = (payload: Json): Json => {
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return payload;
    const { consoleUrl: _dropped, ...rest } = payload as Record<string, Json>;
    return rest;
  };
  // Locally a missing webhook or snitch URL is normal: the message is printed instead (never in AWS).
  const chat = createNotifyChatHandler({
    env: options.chatWebhookUrl ? { [CHAT_ENV.url]: options.chatWebhookUrl } : {},
    logger,
    whenUnconfigured: 'skip',
  });
  const snitch = createSnitchCheckInHandler({
    env: options.snitchUrl ? { [SNITCH_ENV.url]: options.snitchUrl } : {},
    logger,
    whenUnconfigured: 'skip',
  });
  let chatText: string | undefined;
  const notify: TaskBinding = async (payload) => {
    const output = await chat(withoutConsoleUrl(payload));
    chatText = output.text;
    return output as unknown as Json;
  };

  // The same handler as the Lambda, on the same bucket as the engines: it tags (s3rver keeps tags); Object Lock is
  // AWS-only, so no lock mode locally. Deleting locally is `prune` (or `retention.pruneLocal`).
  const s3Credentials = options.s3.credentials;
  const s3 = createS3Client(
    options.s3.endpoint ? { endpoint: options.s3.endpoint } : {},
    s3Credentials?.AWS_ACCESS_KEY_ID && s3Credentials.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: s3Credentials.AWS_ACCESS_KEY_ID, secretAccessKey: s3Credentials.AWS_SECRET_ACCESS_KEY }
      : undefined,
  );
  const applyRetention = createApplyRetentionHandler({
    env: {
      [RETENTION_ENV.bucket]: options.s3.bucket,
      [RETENTION_ENV.prefix]: options.s3.prefix ?? DEFAULT_KEY_PREFIX,
      [RETENTION_ENV.policy]: JSON.stringify(options.retention ?? DEFAULT_RETENTION_POLICY),
    },
    logger,
    s3,
  });
  // The same report as in AWS, in the same bucket: `<prefix>/<database>/report.html` beside its run log.
  const names = databaseNamesOf(options.config);
  const writeReport = createWriteReportHandler({
    env: {
      [REPORT_ENV.bucket]: options.s3.bucket,
      [REPORT_ENV.prefix]: options.s3.prefix ?? DEFAULT_KEY_PREFIX,
      [REPORT_ENV.policy]: JSON.stringify(options.retention ?? DEFAULT_RETENTION_POLICY),
      ...(Object.keys(names).length ? { [REPORT_ENV.databaseNames]: JSON.stringify(names) } : {}),
    },
    logger,
    s3,
  });

  const bindings: Record<string, TaskBinding> = {
    [STATE.backupDatabase]: containerTask('backup', STATE.backupDatabase),
    [STATE.verifyBackup]: containerTask('verify', STATE.verifyBackup),
    [STATE.applyRetention]: async (payload) => (await applyRetention(payload)) as unknown as Json,
    [STATE.writeReport]: async (payload) => (await writeReport(payload)) as unknown as Json,
    [STATE.discoverDatabases]: containerTask('discover', STATE.discoverDatabases),
    [STATE.notifyRun]: notify,
    [STATE.notifyFailure]: notify,
    [STATE.snitchCheckIn]: async (payload) => (await snitch(withoutConsoleUrl(payload))) as unknown as Json,
  };

  const execution = await executeLocally({
    definition: definition as never,
    input: (options.input ?? {}) as Json,
    bindings,
    executionName: `local-${Date.now()}`,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  // An aborted execution returns at once; its task programs are still cleaning up (cluster, upload): wait.
  await Promise.allSettled([...running]);

  return localRunRecord(execution, {
    database: label,
    startedAt,
    finishedAt: new Date().toISOString(),
    ...(chatText !== undefined ? { chatText } : {}),
  });
}
