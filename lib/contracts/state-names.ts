/**
 * Every state of the run's state machine, by name. People read these in the console's run history and the local
 * runner binds Task states by name: renaming one changes the user interface, so the values never change.
 */
export const STATE = {
  prepareRunId: 'PrepareRunId',
  validateInput: 'ValidateInput',
  readInputReason: 'ReadInputReason',
  useDefaultReason: 'UseDefaultReason',
  rejectInputReasonType: 'RejectInputReasonType',
  compareInputFields: 'CompareInputFields',
  checkInputFields: 'CheckInputFields',
  rejectUnknownInputField: 'RejectUnknownInputField',
  /** Re-verifying an existing backup (`{"verifyBackup": KEY}`): reading the input, listing its one database. */
  readInputVerifyBackup: 'ReadInputVerifyBackup',
  readInputReasonAndVerifyBackup: 'ReadInputReasonAndVerifyBackup',
  rejectInputVerifyBackupType: 'RejectInputVerifyBackupType',
  prepareVerifyBackupItem: 'PrepareVerifyBackupItem',
  listVerifyBackup: 'ListVerifyBackup',
  /** The item's start: a re-verification skips BackupDatabase and verifies the given backup. */
  checkBackupGiven: 'CheckBackupGiven',
  useGivenBackup: 'UseGivenBackup',
  backupDatabase: 'BackupDatabase',
  backupDatabaseFailed: 'BackupDatabaseFailed',
  backupDatabaseTimedOut: 'BackupDatabaseTimedOut',
  verifyBackup: 'VerifyBackup',
  verifyBackupFailed: 'VerifyBackupFailed',
  verifyBackupTimedOut: 'VerifyBackupTimedOut',
  applyRetention: 'ApplyRetention',
  applyRetentionFailed: 'ApplyRetentionFailed',
  applyRetentionTimedOut: 'ApplyRetentionTimedOut',
  /** Rendered only by definitions before the Map; kept so older executions still summarize. */
  notifySuccess: 'NotifySuccess',
  listDatabases: 'ListDatabases',
  discoverDatabases: 'DiscoverDatabases',
  discoverDatabasesFailed: 'DiscoverDatabasesFailed',
  discoverDatabasesTimedOut: 'DiscoverDatabasesTimedOut',
  proveDatabases: 'ProveDatabases',
  proveDatabasesFailed: 'ProveDatabasesFailed',
  databaseVerified: 'DatabaseVerified',
  summarizeRun: 'SummarizeRun',
  /** After SummarizeRun: each database's report and run log written to the bucket (never changes the run's status). */
  writeReports: 'WriteReports',
  writeReport: 'WriteReport',
  writeReportFailed: 'WriteReportFailed',
  writeReportsFailed: 'WriteReportsFailed',
  checkOutcomes: 'CheckOutcomes',
  markRunVerified: 'MarkRunVerified',
  markDatabasesFailed: 'MarkDatabasesFailed',
  notifyRun: 'NotifyRun',
  /** After NotifyRun: a re-verification never checks the dead-man's switch in (it made no backup). */
  checkVerifyBackupRun: 'CheckVerifyBackupRun',
  checkBackupReverified: 'CheckBackupReverified',
  checkAllVerified: 'CheckAllVerified',
  databasesFailed: 'DatabasesFailed',
  snitchCheckIn: 'SnitchCheckIn',
  snitchCheckInFailed: 'SnitchCheckInFailed',
  snitchCheckInTimedOut: 'SnitchCheckInTimedOut',
  checkChatPosted: 'CheckChatPosted',
  backupVerified: 'BackupVerified',
  chatPostFailed: 'ChatPostFailed',
  markRunFailed: 'MarkRunFailed',
  notifyFailure: 'NotifyFailure',
  runFailed: 'RunFailed',
} as const;

/** The name of one state of the run. */
export type StateName = (typeof STATE)[keyof typeof STATE];

/** The Task states (ECS tasks and Lambda invocations): the ones that take time, shown as a local run enters them. */
export const TASK_STATES: readonly StateName[] = [
  STATE.backupDatabase,
  STATE.verifyBackup,
  STATE.applyRetention,
  STATE.writeReport,
  STATE.discoverDatabases,
  STATE.notifyRun,
  STATE.notifySuccess,
  STATE.snitchCheckIn,
  STATE.notifyFailure,
];
