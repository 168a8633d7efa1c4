import { Aws, Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { ENGINE_ENV } from './contracts/engine-env';
import { DEFAULT_MAX_CONCURRENCY } from './common/defaults';
import { CHAT_POST_FAILED, DATABASES_FAILED } from './contracts/run-record';
import { STATE, type StateName } from './contracts/state-names';
import type { EngineTasks } from './engine-tasks';

export { CHAT_POST_FAILED, DATABASES_FAILED };

/** The image's discover program (the backup task definition runs it for `"databases": "all"`). */
export const DISCOVER_PROGRAM = '/app/discover.cjs';
/** Longest a discovery may take: one catalog query and one listing of the bucket. */
const DISCOVER_TIMEOUT = Duration.minutes(15);

/** Error name of a rejected manual input. */
export const INVALID_INPUT = 'InvalidInput';
/** The reason recorded when a run is started without one. */
export const DEFAULT_REASON = 'started by hand';

/** ECS RunTask errors worth another attempt (capacity, throttling, service trouble); never the engines' own. */
export const TRANSIENT_ECS_ERRORS = [
  'ECS.AmazonECSException',
  'ECS.ServerException',
  'ECS.LimitExceededException',
  'ECS.ThrottlingException',
];
// A JSON null: CDK leaves null values out of Parameters, and a state reading the missing field would fail.
const JSON_NULL = "States.StringToJson('null')";
const TIMEOUTS = [sfn.Errors.TIMEOUT, sfn.Errors.HEARTBEAT_TIMEOUT];
// Only whether the message was posted (never its text, which repeats the reason: the state stays small); the run
// record reads it from the execution's output.
const CHAT_RESULT = { resultSelector: { 'posted.$': '$.Payload.posted' }, resultPath: '$.chat' } as const;

export interface RunDefinitionProps {
  /** What the run proves, as the chat and the history name it: the database's id, or the deployment's name. */
  readonly databaseName: string;
  /**
   * The ids of the databases each run proves, in order, or `all`: every database of the server, discovered at the
   * start of each run by the discover program in the backup task's image. @default [databaseName]
   */
  readonly databases?: readonly string[] | 'all';
  /** How many databases are proved at once (the Map's MaxConcurrency). @default DEFAULT_MAX_CONCURRENCY */
  readonly maxConcurrency?: number;
  readonly cluster: ecs.ICluster;
  readonly engineTasks: EngineTasks;
  readonly subnets: ec2.SubnetSelection;
  readonly notifyChat: lambda.IFunction;
  readonly snitchCheckIn: lambda.IFunction;
  /** Applies the retention policy to a database's backups after it verified (tags; never deletes). */
  readonly applyRetention: lambda.IFunction;
  /** Writes each database's run log and report to the bucket after the run (never changes the run's status). */
  readonly writeReport: lambda.IFunction;
  /** Longest a backup may run. */
  readonly backupTimeout: Duration;
  /** Longest a verification may run. */
  readonly verifyTimeout: Duration;
  /** A task silent for this long is dead (the engines beat every minute). */
  readonly heartbeatTimeout: Duration;
  /** Longest one Lambda attempt may take in the state machine. @default 2 minutes */
  readonly notifyTimeout?: Duration;
  /** Longest the retention step may take (it lists and tags a database's objects). @default 5 minutes */
  readonly retentionTimeout?: Duration;
}

// A run id like 20261124T030000Z-9f2c41d0ab12 (containers/common/keys.ts) from the execution's start time and a UUID.
// StartTime looks like 2026-11-24T03:00:07.123Z. Step Functions allows at most 10 intrinsic functions in one field,
// so the parts are split first (PrepareRunId, at most 7 per field) and joined in a second state (9 calls).
// Only one-character separators are used: Step Functions splits on each character of a longer one,
// aws-local-stepfunctions on the whole string, so they would disagree.
const split = (value: string, separator: string) => `States.StringSplit(${value}, '${separator}')`;
const item = (array: string, index: number) => `States.ArrayGetItem(${array}, ${index})`;
const startTimeHalf = (index: number) => item(split('$$.Execution.StartTime', 'T'), index); // "2026-11-24", "03:00:07.123Z"

/** The state field where PrepareRunId puts the parts of the run id. */
const RUN_ID_PARTS_FIELD = 'runIdParts';
/** PrepareRunId's fields: the start date, the start time and a UUID, each split into an array of its parts. */
const RUN_ID_PARTS = {
  /** ["2026", "11", "24"] */
  'date.$': split(startTimeHalf(0), '-'),
  /** ["03", "00", "07"]: milliseconds and the zone letter cut off ("07.123Z" and "07Z" both give "07"). */
  'time.$': split(item(split(item(split(startTimeHalf(1), '.'), 0), 'Z'), 0), ':'),
  /** The first two groups of a UUID make the 12 hex digits. */
  'random.$': split('States.UUID()', '-'),
} as const;
const part = (name: 'date' | 'time' | 'random', index: number) => item(`$.${RUN_ID_PARTS_FIELD}.${name}`, index);
/** The run id, from PrepareRunId's parts. */
const RUN_ID_EXPRESSION = `States.Format('{}{}{}T{}{}{}Z-{}{}', ${[
  part('date', 0),
  part('date', 1),
  part('date', 2),
  part('time', 0),
  part('time', 1),
  part('time', 2),
  part('random', 0),
  part('random', 1),
].join(', ')})`;
const CONSOLE_URL_EXPRESSION = `States.Format('https://{}.console.aws.amazon.com/states/home?region={}#/v2/executions/details/{}', '${Aws.REGION}', '${Aws.REGION}', $$.Execution.Id)`;

/**
 * Builds the run's states:
 *
 * PrepareRunId → ValidateInput → ListDatabases → ProveDatabases (Map, one item per database, MaxConcurrency):
 *   each item: BackupDatabase → VerifyBackup → ApplyRetention → DatabaseVerified (its outcome); any error of the item →
 *   <Step>Failed | <Step>TimedOut (its outcome, with the error {state, name, message}): one database's failure never
 *   stops the others.
 * → SummarizeRun → WriteReports (Map over the outcomes: WriteReport, its error caught per database and for the Map)
 * → CheckOutcomes → MarkRunVerified | MarkDatabasesFailed → NotifyRun (one message for the run) →
 * CheckAllVerified → SnitchCheckIn (only when every database verified) → CheckChatPosted → BackupVerified
 *                  └ any database failed → DatabasesFailed (Fail).
 * A failure outside the Map (input, snitch) → <Step>Failed | <Step>TimedOut → MarkRunFailed → NotifyFailure →
 * RunFailed (Fail, with the original error's name and message).
 *
 * A failed NotifyRun is caught (a verified run still checks in), and CheckChatPosted then ends the execution in
 * ChatPostFailed: the run is visibly failed and alarms, but the snitch stays quiet.
 *
 * A re-verification (input `{"verifyBackup": KEY}`) makes no backup: PrepareVerifyBackupItem → ListVerifyBackup
 * list the key's one database (no ListDatabases, no discovery); its item starts at CheckBackupGiven → UseGivenBackup
 * → VerifyBackup (BackupDatabase skipped); after NotifyRun, CheckVerifyBackupRun → CheckBackupReverified ends it
 * without SnitchCheckIn (a check-in would hide a missing daily backup).
 */
export function buildRunDefinition(scope: Construct, props: RunDefinitionProps): sfn.IChainable {
  const runFields = {
    database: props.databaseName,
    'runId.$': RUN_ID_EXPRESSION,
    'consoleUrl.$': CONSOLE_URL_EXPRESSION,
  };
  const notifyTimeout = props.notifyTimeout ?? Duration.minutes(2);
  const databases = props.databases ?? [props.databaseName];

  // ---- failure path of the run -------------------------------------------------------------------------------
  const runFailed = new sfn.Fail(scope, STATE.runFailed, {
    stateName: STATE.runFailed,
    errorPath: '$.error.name',
    causePath: '$.error.message',
  });
  const notifyFailure = new tasks.LambdaInvoke(scope, STATE.notifyFailure, {
    stateName: STATE.notifyFailure,
    lambdaFunction: props.notifyChat,
    payload: sfn.TaskInput.fromJsonPathAt('$'),
    ...CHAT_RESULT,
    taskTimeout: sfn.Timeout.duration(notifyTimeout),
    retryOnServiceExceptions: true,
  });
  retryThrottledLambda(notifyFailure);
  // The run fails with its original error whether or not the chat post worked.
  notifyFailure.addCatch(runFailed, { errors: [sfn.Errors.ALL], resultPath: '$.chatError' });
  notifyFailure.next(runFailed);
  const markRunFailed = new sfn.Pass(scope, STATE.markRunFailed, {
    stateName: STATE.markRunFailed,
    result: sfn.Result.fromString('FAILED'),
    resultPath: '$.status',
  });
  markRunFailed.next(notifyFailure);

  /** The states that record a step's error: {state, name, message} from the caught error, in `fields` around it. */
  const errorStates = (
    states: { state: string; failed: string; timedOut: string },
    timedOutMessage: string,
    around: { fields: Record<string, unknown>; resultPath?: string },
  ) => {
    const { state } = states;
    // The run's own error replaces $.error; an item's error goes into its outcome, next to the outcome's fields.
    const at = (error: Record<string, unknown>) => (around.resultPath ? error : { ...around.fields, error });
    // A timeout carries no Cause, so its message is written here; every other error carries one.
    const timedOut = new sfn.Pass(scope, states.timedOut, {
      stateName: states.timedOut,
      parameters: at({ state, 'name.$': '$.error.Error', message: timedOutMessage }),
      ...(around.resultPath ? { resultPath: around.resultPath } : {}),
    });
    const failed = new sfn.Pass(scope, states.failed, {
      stateName: states.failed,
      parameters: at({ state, 'name.$': '$.error.Error', 'message.$': '$.error.Cause' }),
      ...(around.resultPath ? { resultPath: around.resultPath } : {}),
    });
    return { timedOut, failed };
  };
  const catchInto = (task: sfn.TaskStateBase, handlers: { timedOut: sfn.IChainable; failed: sfn.IChainable }) => {
    task.addCatch(handlers.timedOut, { errors: TIMEOUTS, resultPath: '$.error' });
    task.addCatch(handlers.failed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
  };

  // ---- after the Map ------------------------------------------------------------------------------------------
  const backupVerified = new sfn.Succeed(scope, STATE.backupVerified, { stateName: STATE.backupVerified });
  const chatPostFailed = new sfn.Fail(scope, STATE.chatPostFailed, {
    stateName: STATE.chatPostFailed,
    error: CHAT_POST_FAILED,
    cause:
      "Every database was verified and the snitch checked in (never for a re-verification), but NotifyRun could not post to chat: see its error in this execution's history.",
  });
  const checkChatPosted = new sfn.Choice(scope, STATE.checkChatPosted, { stateName: STATE.checkChatPosted })
    .when(sfn.Condition.isPresent('$.chatError'), chatPostFailed)
    .otherwise(backupVerified);

  const snitchCheckIn = new tasks.LambdaInvoke(scope, STATE.snitchCheckIn, {
    stateName: STATE.snitchCheckIn,
    lambdaFunction: props.snitchCheckIn,
    payload: sfn.TaskInput.fromJsonPathAt('$'),
    // Only whether it checked in: the run record reads it from the execution's output.
    resultSelector: { 'checkedIn.$': '$.Payload.checkedIn' },
    resultPath: '$.snitch',
    taskTimeout: sfn.Timeout.duration(notifyTimeout),
    retryOnServiceExceptions: true,
  });
  retryThrottledLambda(snitchCheckIn);
  const snitchErrors = errorStates(
    { state: STATE.snitchCheckIn, failed: STATE.snitchCheckInFailed, timedOut: STATE.snitchCheckInTimedOut },
    `The snitch check-in took longer than ${notifyTimeout.toSeconds()} seconds.`,
    { fields: {}, resultPath: '$.error' },
  );
  catchInto(snitchCheckIn, {
    timedOut: snitchErrors.timedOut.next(markRunFailed),
    failed: snitchErrors.failed.next(markRunFailed),
  });
  snitchCheckIn.next(checkChatPosted);

  const databasesFailed = new sfn.Fail(scope, STATE.databasesFailed, {
    stateName: STATE.databasesFailed,
    error: DATABASES_FAILED,
    cause:
      "At least one database was not verified: each one's state and error are in this execution's output (outcomes) and in `pgproof history`.",
  });
  const checkAllVerified = new sfn.Choice(scope, STATE.checkAllVerified, {
    stateName: STATE.checkAllVerified,
    comment: "The dead-man's switch is checked in only when every database verified.",
  })
    .when(sfn.Condition.stringEquals('$.status', 'SUCCEEDED'), snitchCheckIn)
    .otherwise(databasesFailed);

  const notifyRun = new tasks.LambdaInvoke(scope, STATE.notifyRun, {
    stateName: STATE.notifyRun,
    lambdaFunction: props.notifyChat,
    payload: sfn.TaskInput.fromJsonPathAt('$'),
    ...CHAT_RESULT,
    taskTimeout: sfn.Timeout.duration(notifyTimeout),
    retryOnServiceExceptions: true,
  });
  retryThrottledLambda(notifyRun);
  // A re-verification made no backup: checking the dead-man's switch in would hide a missing daily backup.
  const checkBackupReverified = new sfn.Choice(scope, STATE.checkBackupReverified, {
    stateName: STATE.checkBackupReverified,
    comment: "A re-verification of an existing backup never checks the dead-man's switch in: it made no backup.",
  })
    .when(sfn.Condition.stringEquals('$.status', 'SUCCEEDED'), checkChatPosted)
    .otherwise(databasesFailed);
  const checkVerifyBackupRun = new sfn.Choice(scope, STATE.checkVerifyBackupRun, {
    stateName: STATE.checkVerifyBackupRun,
  })
    .when(sfn.Condition.isPresent('$.verifyBackup'), checkBackupReverified)
    .otherwise(checkAllVerified);
  notifyRun.addCatch(checkVerifyBackupRun, { errors: [sfn.Errors.ALL], resultPath: '$.chatError' });
  notifyRun.next(checkVerifyBackupRun);

  const markRunVerified = new sfn.Pass(scope, STATE.markRunVerified, {
    stateName: STATE.markRunVerified,
    result: sfn.Result.fromString('SUCCEEDED'),
    resultPath: '$.status',
  }).next(notifyRun);
  const markDatabasesFailed = new sfn.Pass(scope, STATE.markDatabasesFailed, {
    stateName: STATE.markDatabasesFailed,
    result: sfn.Result.fromString('FAILED'),
    resultPath: '$.status',
  }).next(notifyRun);
  const checkOutcomes = new sfn.Choice(scope, STATE.checkOutcomes, { stateName: STATE.checkOutcomes })
    .when(sfn.Condition.booleanEquals('$.summary.anyFailed', true), markDatabasesFailed)
    .otherwise(markRunVerified);
  // ---- the reports: one per database, after every outcome (verified or failed) is known -----------------------
  // A report that cannot be written is said in the chat message; it never changes the run's status or its path.
  const writeReport = new tasks.LambdaInvoke(scope, STATE.writeReport, {
    stateName: STATE.writeReport,
    comment:
      "Appends this run to the database's run log (runs.json) and writes its report (report.html) to the bucket.",
    lambdaFunction: props.writeReport,
    payload: sfn.TaskInput.fromJsonPathAt('$'),
    // Only the id and whether it was written: 200 of these sit beside the outcomes in the 256 KiB state.
    // No ResultPath (the default replaces the item's state): aws-local-stepfunctions reads an explicit "$" as a key.
    resultSelector: { 'database.$': '$.Payload.database', 'written.$': '$.Payload.written' },
    taskTimeout: sfn.Timeout.duration(notifyTimeout),
    retryOnServiceExceptions: true,
  });
  retryThrottledLambda(writeReport);
  // The error's name only: a Lambda's Cause (message and trace) for each of 200 databases would not fit the state;
  // the message is in this execution's history and the function's log.
  const writeReportFailed = new sfn.Pass(scope, STATE.writeReportFailed, {
    stateName: STATE.writeReportFailed,
    parameters: {
      'database.$': '$.outcome.database',
      written: false,
      error: { state: STATE.writeReport, 'name.$': '$.error.Error' },
    },
  });
  writeReport.addCatch(writeReportFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
  const writeReports = new sfn.Map(scope, STATE.writeReports, {
    stateName: STATE.writeReports,
    comment: "Writes each database's run log and report to the bucket; a failed write ends its own item.",
    itemsPath: '$.outcomes',
    maxConcurrency: props.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY,
    itemSelector: { 'outcome.$': '$$.Map.Item.Value', 'runId.$': '$.runId', 'reason.$': '$.reason' },
    resultPath: '$.reports',
  });
  writeReports.itemProcessor(writeReport);
  writeReports.next(checkOutcomes);
  // A runtime error of the Map itself loses no run: it is recorded beside the outcomes and the run goes on.
  const writeReportsFailed = new sfn.Pass(scope, STATE.writeReportsFailed, {
    stateName: STATE.writeReportsFailed,
    parameters: { state: STATE.writeReports, 'name.$': '$.reportsFailed.Error' },
    resultPath: '$.reportsFailed',
  }).next(checkOutcomes);
  writeReports.addCatch(writeReportsFailed, { errors: [sfn.Errors.ALL], resultPath: '$.reportsFailed' });

  // A path selecting every outcome's status: both runtimes evaluate `[*]` inside an intrinsic's argument.
  const summarizeRun = new sfn.Pass(scope, STATE.summarizeRun, {
    stateName: STATE.summarizeRun,
    parameters: { 'anyFailed.$': "States.ArrayContains($.outcomes[*].status, 'FAILED')" },
    resultPath: '$.summary',
  }).next(writeReports);

  // ---- one database: the Map's item -----------------------------------------------------------------------------
  const { engineTasks } = props;
  const launchTarget = new tasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.LATEST });
  const heartbeatMinutes = props.heartbeatTimeout.toMinutes({ integral: false });
  /** The database's id in the item's state (ItemSelector puts the list's entry at $.item). */
  const itemDatabase = '$.item.database';

  /** One engine's ECS task, waiting for its task token, with the per-run variables and retries. */
  const engineTask = (task: {
    state: StateName;
    engine: 'backup' | 'verify';
    securityGroups: ec2.ISecurityGroup[];
    environment: tasks.TaskEnvironmentVariable[];
    timeout: Duration;
    /** Runs another program of the image (discovery runs in the backup task definition). */
    command?: string[];
    /** Where the result goes. @default `$.<engine>` */
    resultPath?: string;
    /** Inside the Map each task works on the item's database. @default true */
    perDatabase?: boolean;
  }) => {
    const runTask = new tasks.EcsRunTask(scope, task.state, {
      stateName: task.state,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      cluster: props.cluster,
      taskDefinition: engineTasks[task.engine],
      launchTarget,
      subnets: props.subnets,
      securityGroups: task.securityGroups,
      assignPublicIp: false,
      containerOverrides: [
        {
          containerDefinition: task.engine === 'backup' ? engineTasks.backupContainer : engineTasks.verifyContainer,
          ...(task.command ? { command: task.command } : {}),
          environment: [
            { name: ENGINE_ENV.taskToken, value: sfn.JsonPath.taskToken },
            ...(task.perDatabase === false
              ? []
              : [{ name: ENGINE_ENV.database, value: sfn.JsonPath.stringAt(itemDatabase) }]),
            ...task.environment,
          ],
        },
      ],
      resultPath: task.resultPath ?? `$.${task.engine}`,
      taskTimeout: sfn.Timeout.duration(task.timeout),
      heartbeatTimeout: sfn.Timeout.duration(props.heartbeatTimeout),
    });
    retryTransientEcs(runTask);
    return runTask;
  };
  const timedOutMessage = (engine: string, timeout: Duration) =>
    `The ${engine} task sent no heartbeat for ${heartbeatMinutes} minutes (it died or hung) or ran longer than ${timeout.toHumanString()}.`;

  // The backup's figures an outcome keeps (not the engine's whole result: 200 outcomes must fit the 256 KiB state).
  const outcomeBackup = {
    'key.$': '$.backup.key',
    'bytes.$': '$.backup.bytes',
    'seconds.$': '$.backup.seconds',
    'sha256.$': '$.backup.sha256',
    'previousBytes.$': '$.backup.previousBytes',
  };
  // The verification's figures an outcome keeps: every check passed (a failing one fails the task), so the count
  // is the number of checks.
  const outcomeVerify = {
    'restoreSeconds.$': '$.verify.restoreSeconds',
    'checks.$': 'States.ArrayLength($.verify.checks)',
    'skippedExtensions.$': '$.verify.skippedExtensions',
    'previous.$': '$.verify.previous',
  };
  const databaseVerified = new sfn.Pass(scope, STATE.databaseVerified, {
    stateName: STATE.databaseVerified,
    comment: "The database's outcome, trimmed so that 200 of them fit the run's state.",
    parameters: {
      'database.$': itemDatabase,
      status: 'SUCCEEDED',
      'isNew.$': '$.backup.isNew',
      backup: outcomeBackup,
      verify: outcomeVerify,
      'retention.$': '$.retention',
    },
  });

  // Only after this database verified: a broken pipeline never reaches it, so it can never expire anything.
  const retentionTimeout = props.retentionTimeout ?? Duration.minutes(5);
  const applyRetention = new tasks.LambdaInvoke(scope, STATE.applyRetention, {
    stateName: STATE.applyRetention,
    comment:
      "Tags every object of this database's backups with the retention rules that keep it, or as expired (the bucket's lifecycle deletes only those).",
    lambdaFunction: props.applyRetention,
    payload: sfn.TaskInput.fromObject({ 'backupKey.$': '$.backup.key' }),
    resultSelector: { 'kept.$': '$.Payload.kept', 'expired.$': '$.Payload.expired' },
    resultPath: '$.retention',
    taskTimeout: sfn.Timeout.duration(retentionTimeout),
    retryOnServiceExceptions: true,
  });
  retryThrottledLambda(applyRetention);
  // The backup was verified, but a failed step is a failed run (the switch stays silent): the outcome keeps both.
  const retentionErrors = errorStates(
    { state: STATE.applyRetention, failed: STATE.applyRetentionFailed, timedOut: STATE.applyRetentionTimedOut },
    `The retention step took longer than ${retentionTimeout.toSeconds()} seconds.`,
    {
      fields: {
        'database.$': itemDatabase,
        status: 'FAILED',
        'isNew.$': '$.backup.isNew',
        backup: outcomeBackup,
        verify: outcomeVerify,
      },
    },
  );
  catchInto(applyRetention, retentionErrors);
  applyRetention.next(databaseVerified);

  const verifyBackup = engineTask({
    state: STATE.verifyBackup,
    engine: 'verify',
    securityGroups: [engineTasks.verifySecurityGroup],
    environment: [{ name: ENGINE_ENV.backupKey, value: sfn.JsonPath.stringAt('$.backup.key') }],
    timeout: props.verifyTimeout,
  });
  const verifyErrors = errorStates(
    { state: STATE.verifyBackup, failed: STATE.verifyBackupFailed, timedOut: STATE.verifyBackupTimedOut },
    timedOutMessage('verify', props.verifyTimeout),
    { fields: { 'database.$': itemDatabase, status: 'FAILED', 'isNew.$': '$.backup.isNew', backup: outcomeBackup } },
  );
  catchInto(verifyBackup, verifyErrors);
  verifyBackup.next(applyRetention);

  const backupDatabase = engineTask({
    state: STATE.backupDatabase,
    engine: 'backup',
    securityGroups: engineTasks.backupSecurityGroups,
    environment: [
      { name: ENGINE_ENV.runId, value: sfn.JsonPath.stringAt('$.runId') },
      { name: ENGINE_ENV.reason, value: sfn.JsonPath.stringAt('$.reason') },
    ],
    timeout: props.backupTimeout,
  });
  const backupErrors = errorStates(
    { state: STATE.backupDatabase, failed: STATE.backupDatabaseFailed, timedOut: STATE.backupDatabaseTimedOut },
    timedOutMessage('backup', props.backupTimeout),
    { fields: { 'database.$': itemDatabase, status: 'FAILED', 'isNew.$': '$.item.isNew' } },
  );
  catchInto(backupDatabase, backupErrors);
  backupDatabase.next(verifyBackup);

  // A re-verification's item verifies the given backup instead of making one. Its figures are null (the run made
  // no backup; the outcome schema leaves such a backup out); isNew is false: the database had this backup.
  const useGivenBackup = new sfn.Pass(scope, STATE.useGivenBackup, {
    stateName: STATE.useGivenBackup,
    parameters: {
      'key.$': '$.item.verifyBackup',
      'bytes.$': JSON_NULL,
      'seconds.$': JSON_NULL,
      'sha256.$': JSON_NULL,
      'previousBytes.$': JSON_NULL,
      isNew: false,
    },
    resultPath: '$.backup',
  }).next(verifyBackup);
  const checkBackupGiven = new sfn.Choice(scope, STATE.checkBackupGiven, {
    stateName: STATE.checkBackupGiven,
    comment: 'A re-verification (its list entry names the backup) skips BackupDatabase.',
  })
    .when(sfn.Condition.isPresent('$.item.verifyBackup'), useGivenBackup)
    .otherwise(backupDatabase);

  const proveDatabases = new sfn.Map(scope, STATE.proveDatabases, {
    stateName: STATE.proveDatabases,
    comment: 'Backs up and verifies each database; a failed database ends its own item with its error.',
    itemsPath: '$.discovered.databases',
    maxConcurrency: props.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY,
    // Inside an item, $$.Execution describes the item (the local runtime): the run's own fields come from here.
    itemSelector: {
      'item.$': '$$.Map.Item.Value',
      // The run's label: a run stopped inside an item is summarised from the item's state.
      'database.$': '$.database',
      'runId.$': '$.runId',
      'reason.$': '$.reason',
    },
    resultPath: '$.outcomes',
  });
  proveDatabases.itemProcessor(checkBackupGiven);
  proveDatabases.next(summarizeRun);
  // Every item catches its own errors; anything else (a runtime error of the Map itself) still reaches the chat.
  const proveFailed = new sfn.Pass(scope, STATE.proveDatabasesFailed, {
    stateName: STATE.proveDatabasesFailed,
    parameters: { state: STATE.proveDatabases, 'name.$': '$.error.Error', 'message.$': '$.error.Cause' },
    resultPath: '$.error',
  }).next(markRunFailed);
  proveDatabases.addCatch(proveFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

  // The databases of the run, at $.discovered.databases: the configured list, or the server's, discovered.
  let listDatabases: sfn.INextable & sfn.IChainable;
  if (databases === 'all') {
    const discover = engineTask({
      state: STATE.discoverDatabases,
      engine: 'backup',
      securityGroups: engineTasks.backupSecurityGroups,
      command: [DISCOVER_PROGRAM],
      environment: [{ name: ENGINE_ENV.runId, value: sfn.JsonPath.stringAt('$.runId') }],
      timeout: DISCOVER_TIMEOUT,
      resultPath: '$.discovered',
      perDatabase: false,
    });
    const discoverErrors = errorStates(
      {
        state: STATE.discoverDatabases,
        failed: STATE.discoverDatabasesFailed,
        timedOut: STATE.discoverDatabasesTimedOut,
      },
      timedOutMessage('discover', DISCOVER_TIMEOUT),
      { fields: {}, resultPath: '$.error' },
    );
    catchInto(discover, {
      timedOut: discoverErrors.timedOut.next(markRunFailed),
      failed: discoverErrors.failed.next(markRunFailed),
    });
    listDatabases = discover;
  } else {
    // isNew is unknown until the backup engine looks (null); discovery knows it beforehand.
    listDatabases = new sfn.Pass(scope, STATE.listDatabases, {
      stateName: STATE.listDatabases,
      result: sfn.Result.fromObject({ databases: databases.map((database) => ({ database, isNew: null })) }),
      resultPath: '$.discovered',
    });
  }
  listDatabases.next(proveDatabases);

  // A re-verification proves one backup: its database is the key's folder (<prefix>/<folder>/<date>/<file>), which
  // the verify engine maps to the database's settings. The key is prefixed with two segments so that a key of fewer
  // than three never gives a negative index: it fails in VerifyBackup with BackupNotFound, not here (7 calls).
  const keyParts = "States.StringSplit(States.Format('-/-/{}', $.verifyBackup), '/')";
  const prepareVerifyBackupItem = new sfn.Pass(scope, STATE.prepareVerifyBackupItem, {
    stateName: STATE.prepareVerifyBackupItem,
    parameters: {
      'database.$': `States.ArrayGetItem(${keyParts}, States.MathAdd(States.ArrayLength(${keyParts}), -3))`,
      isNew: false,
      'verifyBackup.$': '$.verifyBackup',
    },
    resultPath: '$.verifyBackupItem',
  });
  prepareVerifyBackupItem.next(
    new sfn.Pass(scope, STATE.listVerifyBackup, {
      stateName: STATE.listVerifyBackup,
      comment: "A re-verification makes no backup and discovers nothing: the list is the backup's one database.",
      parameters: { 'databases.$': 'States.Array($.verifyBackupItem)' },
      resultPath: '$.discovered',
    }).next(proveDatabases),
  );

  // ---- input validation (pure Step Functions: no Lambda, so the local runner needs no binding) ----------------
  // Only "reason" (text) and "verifyBackup" (text: a backup key) are accepted. Unknown fields are found by comparing
  // the input's JSON with the JSON of the known fields rebuilt from it, in either order of the two (the input's own
  // order is kept); the message shows the input, so the offending field is named.
  // Its length (MAX_REASON_CHARS) cannot be checked here: JSONPath intrinsics cannot measure a string. `pgproof
  // start` enforces it; from the console, ECS refuses overrides over 8,192 characters at BackupDatabase.
  const rejectUnknownField = new sfn.Pass(scope, STATE.rejectUnknownInputField, {
    stateName: STATE.rejectUnknownInputField,
    parameters: {
      state: STATE.validateInput,
      name: INVALID_INPUT,
      'message.$':
        "States.Format('The input may hold only the fields reason (text) and verifyBackup (a backup key); got {}', $.input.given)",
    },
    resultPath: '$.error',
  });
  const knownFieldsOnly = sfn.Condition.or(
    sfn.Condition.stringEqualsJsonPath('$.input.given', '$.input.expected.json'),
    sfn.Condition.stringEqualsJsonPath('$.input.given', '$.input.expected.reordered'),
  );
  const checkInputFields = new sfn.Choice(scope, STATE.checkInputFields, { stateName: STATE.checkInputFields })
    .when(sfn.Condition.and(knownFieldsOnly, sfn.Condition.isPresent('$.verifyBackup')), prepareVerifyBackupItem)
    .when(knownFieldsOnly, listDatabases)
    .otherwise(rejectUnknownField.next(markRunFailed));
  const compareInputFields = new sfn.Pass(scope, STATE.compareInputFields, {
    stateName: STATE.compareInputFields,
    parameters: {
      'json.$': 'States.JsonToString($.input.known)',
      'reordered.$': 'States.JsonToString($.input.reordered)',
    },
    resultPath: '$.input.expected',
  }).next(checkInputFields);
  /** A state rebuilding the run's state from the input: the reason (given or the default), the backup to verify. */
  const readInput = (name: StateName, given: { reason: boolean; verifyBackup: boolean }) => {
    const reason = given.reason ? { 'reason.$': '$.input.reason' } : {};
    const verifyBackup = given.verifyBackup ? { 'verifyBackup.$': '$.input.verifyBackup' } : {};
    return new sfn.Pass(scope, name, {
      stateName: name,
      parameters: {
        ...runFields,
        ...(given.reason ? reason : { reason: DEFAULT_REASON }),
        ...verifyBackup,
        input: {
          'given.$': 'States.JsonToString($.input)',
          known: { ...reason, ...verifyBackup },
          reordered: { ...verifyBackup, ...reason },
        },
      },
    }).next(compareInputFields);
  };
  const inputTypeError = (name: StateName, message: string) =>
    new sfn.Pass(scope, name, {
      stateName: name,
      parameters: { ...runFields, error: { state: STATE.validateInput, name: INVALID_INPUT, message } },
    }).next(markRunFailed);
  const isGivenButNotText = (path: string) =>
    sfn.Condition.and(sfn.Condition.isPresent(path), sfn.Condition.not(sfn.Condition.isString(path)));

  const validateInput = new sfn.Choice(scope, STATE.validateInput, {
    stateName: STATE.validateInput,
    comment:
      'Accepts {}, {"reason": "<text>"}, {"verifyBackup": "<backup key>"} or both; anything else fails the run at once.',
  })
    .when(
      isGivenButNotText('$.input.reason'),
      inputTypeError(
        STATE.rejectInputReasonType,
        'The input field reason must be text, e.g. {"reason": "before migration"}.',
      ),
    )
    .when(
      isGivenButNotText('$.input.verifyBackup'),
      inputTypeError(
        STATE.rejectInputVerifyBackupType,
        'The input field verifyBackup must be text: the key of the backup to verify again, e.g. {"verifyBackup": "pgproof/orders/2026-11-24/20261124T030000Z-9f2c41d0ab12.dump.zst"}; `pgproof backups` lists the keys.',
      ),
    )
    .when(
      sfn.Condition.and(sfn.Condition.isPresent('$.input.reason'), sfn.Condition.isPresent('$.input.verifyBackup')),
      readInput(STATE.readInputReasonAndVerifyBackup, { reason: true, verifyBackup: true }),
    )
    .when(
      sfn.Condition.isPresent('$.input.reason'),
      readInput(STATE.readInputReason, { reason: true, verifyBackup: false }),
    )
    .when(
      sfn.Condition.isPresent('$.input.verifyBackup'),
      readInput(STATE.readInputVerifyBackup, { reason: false, verifyBackup: true }),
    )
    .otherwise(readInput(STATE.useDefaultReason, { reason: false, verifyBackup: false }));
  // The run's input moves to $.input untouched, next to the run id's parts; the states above rebuild the state.
  return new sfn.Pass(scope, STATE.prepareRunId, {
    stateName: STATE.prepareRunId,
    comment:
      'Splits the start time and a UUID into the parts of the run id (Step Functions allows 10 intrinsic functions per field).',
    parameters: { 'input.$': '$', [RUN_ID_PARTS_FIELD]: RUN_ID_PARTS },
  }).next(validateInput);
}

function retryTransientEcs(task: sfn.TaskStateBase): void {
  task.addRetry({
    errors: TRANSIENT_ECS_ERRORS,
    interval: Duration.seconds(30),
    maxAttempts: 4,
    backoffRate: 2,
    maxDelay: Duration.minutes(5),
    jitterStrategy: sfn.JitterType.FULL,
  });
}

function retryThrottledLambda(task: sfn.TaskStateBase): void {
  task.addRetry({
    errors: ['Lambda.TooManyRequestsException'],
    interval: Duration.seconds(5),
    maxAttempts: 5,
    backoffRate: 2,
    jitterStrategy: sfn.JitterType.FULL,
  });
}
