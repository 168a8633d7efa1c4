// The pgproof command line (DESIGN.md §6). Exit status: 0 verified, 1 failed run, 2 usage or config error, 130/143 interrupted.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { AccountMismatch, findDeployedStateMachine, resolveAwsTarget, resolveStackName } from './cli/deployed-state-machine';
import { executionHistory, executionRecord, executionTable } from './cli/execution-history';
import { parseManualInput, startExecution, waitForExecution } from './cli/start-execution';
import { parseEngineConfig, type EngineConfig } from '../containers/common/engine-config';
import { createLogger } from '../containers/common/log';
import { connectionFromEnv, connectionFromUrl, urlHasPassword, type ConnectionParams } from '../containers/common/pg-connection';
import { removeStaleWorkDirs } from '../containers/common/work-dir';
import { parseEndpointValue } from '../lambdas/common/endpoint';
import { discoveryOptionsFromEnv } from '../containers/common/pg-tools';
import { createS3Client } from '../containers/common/s3';
import { which } from '../containers/common/which';
import { restoreBackup } from '../containers/restore/restore-backup';
import { targetStateOf } from '../containers/restore/restore-errors';
import { describeRestore, describeRestoreFailure } from './cli/restore-output';
import { redact, registerSecret } from '../containers/common/redact';
import { startDemoSource } from '../lib/local/demo-source';
import { loadLocalEngineConfig } from '../lib/local/local-config';
import { ProgressDisplay } from '../lib/local/progress';
import type { ExecutionEvent } from '../lib/local/state-machine-runner';
import { EMBEDDED_S3_CREDENTIALS, startEmbeddedS3 } from '../lib/local/embedded-s3';
import { appendHistory, historyTable, readHistory, writeExecutionLog } from '../lib/local/history';
import { watchParent } from '../lib/local/parent-watch';
import { describeStorageFailure, prepareStateDir } from '../lib/local/state-dir';
import { runLocally } from '../lib/local/local-run';
import { describeResult } from '../lib/local/run-result';
import type { RunRecord } from '../lib/contracts/run-record';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Everything pgproof writes (the state dir with every backup, work files holding a decompressed dump) is private to
// this user; the engines, started from here, inherit the mask.
process.umask(0o077);

// A reader that went away (a closed pipe) must not crash a run half-way through its cleanup.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const say = (line: string) => process.stderr.write(redact(line) + '\n');

function printResult(result: RunRecord, json: boolean): void {
  const out = json ? say : (l: string) => process.stdout.write(redact(l) + '\n');
  for (const line of describeResult(result)) out(line);
  if (result.chat?.text !== undefined && !result.chat.posted) {
    out('');
    out('Chat message (no --chat-webhook given, so it was not posted):');
    for (const line of result.chat.text.split('\n')) out(`  ${line}`);
  }
  if (json) process.stdout.write(redact(JSON.stringify(result)) + '\n');
}

interface RunFlags {
  config?: string;
  stateDir: string;
  s3Endpoint?: string;
  bucket?: string;
  prefix: string;
  chatWebhook?: string;
  snitchUrl?: string;
  input?: string;
  workDir?: string;
  json?: boolean;
}

function addRunOptions(command: Command): Command {
  return command
    .option('--config <file>', 'configuration file (same schema as the deployed one; only checks, freshness, sizeGuard, compression, deepProof apply)')
    .option('--state-dir <dir>', 'local S3 data and run history', '.pgproof')
    .option('--s3-endpoint <url>', 'a real S3-compatible endpoint instead of the embedded server (with --bucket and AWS_* credentials)')
    .option('--bucket <name>', 'the bucket at --s3-endpoint (or in AWS)')
    .option('--prefix <prefix>', 'key prefix', 'pgproof')
    .option('--chat-webhook <url>', 'post the chat message there (else it is printed)')
    .option('--snitch-url <url>', 'check in there when the run succeeds')
    .option('--input <json>', 'the execution input, as a manual run would get it, e.g. {"reason": "before migration"}')
    .option('--work-dir <dir>', 'where verify decompresses and restores the backup (needs about twice the database; default $PGPROOF_WORK_DIR or the temp dir)')
    .option('--json', 'print the result as one JSON object on the last line of stdout');
}

/** Checks the flags that need no work to check, so a typo fails at once rather than after the backup and verify. */
function validateRunFlags(flags: RunFlags): void {
  if (flags.s3Endpoint && !flags.bucket) throw usage('--s3-endpoint needs --bucket');
  for (const [flag, value] of [['--chat-webhook', flags.chatWebhook], ['--snitch-url', flags.snitchUrl]] as const) {
    if (value === undefined) continue;
    registerSecret(value);
    try {
      parseEndpointValue(value, flag);
    } catch (error) {
      throw usage((error as Error).message);
    }
  }
  if (flags.input !== undefined) {
    try {
      JSON.parse(flags.input);
    } catch {
      throw usage('--input is not valid JSON: expected e.g. {"reason": "before migration"}');
    }
  }
}

/** Removes what runs killed before they could clean up left behind (decompressed dumps, throwaway clusters). */
async function removeLeftovers(workDir: string | undefined): Promise<void> {
  const removed = await removeStaleWorkDirs([os.tmpdir(), ...(workDir ? [workDir] : [])]).catch(() => [] as string[]);
  for (const dir of removed) say(`removed ${dir}, left behind by a pgproof run that was killed`);
}

/** Runs the state machine locally against `connection`; returns the exit code (0 verified, 1 failed, 128+n after signal n). */
async function runLocalCommand(flags: RunFlags, connection: ConnectionParams, defaults: { config?: EngineConfig; input?: Record<string, unknown> } = {}): Promise<number> {
  validateRunFlags(flags);
  let input: Record<string, unknown> = defaults.input ?? {};
  if (flags.input !== undefined) {
    try {
      input = JSON.parse(flags.input) as Record<string, unknown>;
    } catch {
      throw usage('--input is not valid JSON: expected e.g. {"reason": "before migration"}');
    }
  }
  for (const url of [flags.chatWebhook, flags.snitchUrl]) registerSecret(url);
  let config: EngineConfig;
  try {
    config = flags.config !== undefined || !defaults.config ? await loadLocalEngineConfig(flags.config) : defaults.config;
  } catch (error) {
    throw usage((error as Error).message);
  }
  const stateDir = path.resolve(flags.stateDir);
  // A state dir that cannot be written (read-only, full) fails the run as a storage error, with its chat message.
  const stateProblem = await prepareStateDir(stateDir);
  const embedded = flags.bucket || stateProblem ? undefined : await startEmbeddedS3(stateDir);
  const controller = new AbortController();
  let interruptedBy: NodeJS.Signals | undefined;
  const stop = (signal: NodeJS.Signals, why: string = signal) => {
    if (interruptedBy) return;
    interruptedBy = signal;
    say(`\n${why}: stopping the run (ending child processes, removing the throwaway cluster, aborting the upload)…`);
    controller.abort();
  };
  // Node passes the signal's number as a second argument: keep it out of `why`.
  const onSignal = (signal: NodeJS.Signals) => stop(signal);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Started through `npx` (npm exec → sh -c), a SIGTERM ends npx and sh but not us: stop when our parent goes away.
  const unwatch = watchParent(() => stop('SIGTERM', 'the parent process went away (e.g. npx was stopped)'));
  const progress = new ProgressDisplay();
  const events: ExecutionEvent[] = [];
  let result: RunRecord;
  try {
    if (embedded) progress.message(`embedded S3 at ${embedded.endpoint} (data in ${path.join(stateDir, 's3')})`);
    result = await runLocally({
      connection,
      config,
      s3: embedded
        ? { endpoint: embedded.endpoint, bucket: embedded.bucket, prefix: flags.prefix, credentials: { ...EMBEDDED_S3_CREDENTIALS } }
        : { ...(flags.s3Endpoint ? { endpoint: flags.s3Endpoint } : {}), bucket: flags.bucket ?? 'pgproof-local', prefix: flags.prefix },
      ...(stateProblem && !flags.bucket ? { storageUnavailable: `the embedded S3 cannot store backups: ${stateProblem}` } : {}),
      input,
      ...(flags.chatWebhook ? { chatWebhookUrl: flags.chatWebhook } : {}),
      ...(flags.snitchUrl ? { snitchUrl: flags.snitchUrl } : {}),
      signal: controller.signal,
      onEvent: (event) => {
        events.push(event);
        progress.onEvent(event);
      },
      onTaskLog: progress.onTaskLog,
      onLambdaLog: (level, message) => {
        if (level === 'WARN' || level === 'ERROR') progress.message(`  ${message}`);
      },
    });
    progress.done();
    try {
      await appendHistory(stateDir, result);
      await writeExecutionLog(stateDir, result.runId, events);
    } catch (error) {
      say(`could not record this run in the history: ${describeStorageFailure(error, stateDir)}`);
    }
  } finally {
    unwatch();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await embedded?.stop();
  }
  printResult(result, Boolean(flags.json));
  // The shell convention, as the engines follow it: 130 after Ctrl-C, 143 after SIGTERM (a supervisor stopping us).
  if (interruptedBy) return interruptedBy === 'SIGINT' ? 130 : 143;
  return result.status === 'SUCCEEDED' ? 0 : 1;
}

function stackOrUsage(flag: string | undefined, configFile: string): string {
  const stack = resolveStackName(flag, configFile);
  if (!stack) throw usage(`which stack? pass --stack NAME, or run where ${configFile} (the deployed configuration) is`);
  return stack;
}

/** The deployed state machine of `start`/`history`; credentials of another account than the config's are a usage error. */
async function deployedOrUsage(options: { stack?: string; config: string; region?: string; profile?: string }) {
  const stack = stackOrUsage(options.stack, options.config);
  try {
    return await findDeployedStateMachine(stack, resolveAwsTarget(options, options.config));
  } catch (error) {
    if (error instanceof AccountMismatch) throw usage(error.message);
    throw error;
  }
}

function usage(message: string): CommanderError {
  return new CommanderError(2, 'pgproof.usage', `error: ${message}`);
}

const program = new Command()
  .name('pgproof')
  .description('PostgreSQL backups proven by restoring them')
  .version(VERSION, '-V, --version', 'print the pgproof version')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

addRunOptions(
  program
    .command('demo')
    .description('back up and prove a throwaway sample database with an embedded S3 server, on this machine'),
).action(async (flags: RunFlags) => {
  validateRunFlags(flags);
  applyWorkDir(flags);
  await removeLeftovers(process.env.PGPROOF_WORK_DIR);
  say('pgproof demo: starting a throwaway source database with sample data…');
  const source = await startDemoSource();
  try {
    process.exitCode = await runLocalCommand(flags, source.connection, {
      config: parseEngineConfig({
        checks: [{ name: 'customers exist', sql: 'select count(*) from shop.customers', expect: { min: 1 } }],
        freshness: [{ table: 'shop.customers', column: 'created_at', maxAgeHours: 26 }],
        deepProof: true,
      }),
      input: { reason: 'pgproof demo' },
    });
  } finally {
    await source.stop();
  }
});

addRunOptions(
  program
    .command('run')
    .description('one full run of the state machine on this machine (backup, verify, chat, snitch)')
    .requiredOption('--local', 'run on this machine (the only mode; AWS runs start with `pgproof start`)')
    .option('--database-url <url>', 'postgres://user@host:5432/db, password in PGPASSWORD or ~/.pgpass (else $PGPROOF_DATABASE_URL, else the standard PG* variables)'),
).action(async (flags: RunFlags & { databaseUrl?: string }) => {
  validateRunFlags(flags);
  const url = flags.databaseUrl ?? process.env.PGPROOF_DATABASE_URL;
  let connection: ConnectionParams;
  try {
    connection = url ? connectionFromUrl(url) : connectionFromEnv();
  } catch (error) {
    throw usage(`${flags.databaseUrl ? '--database-url' : url ? 'PGPROOF_DATABASE_URL' : 'the PG* variables'}: ${(error as Error).message}`);
  }
  if (flags.databaseUrl && urlHasPassword(flags.databaseUrl)) {
    say('warning: --database-url holds a password, which every user of this machine can read in the process list (ps, /proc/<pid>/cmdline); put it in PGPASSWORD or ~/.pgpass, or the whole URL in PGPROOF_DATABASE_URL');
  }
  applyWorkDir(flags);
  await removeLeftovers(process.env.PGPROOF_WORK_DIR);
  process.exitCode = await runLocalCommand(flags, connection);
});

/** `history --limit`: a whole number from 1 to 1000. */
function parseLimit(text: string): number {
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw usage(`--limit must be a whole number from 1 to 1000, got "${text}"`);
  return limit;
}

/** `--work-dir` wins over PGPROOF_WORK_DIR; the engines read the variable. */
function applyWorkDir(flags: RunFlags): void {
  if (flags.workDir) process.env.PGPROOF_WORK_DIR = path.resolve(flags.workDir);
}

program
  .command('history')
  .description('past runs: when, status, size, durations, checks (--local: this machine; else the deployed stack)')
  .option('--local', 'runs made on this machine (state dir)')
  .option('--state-dir <dir>', 'local state directory', '.pgproof')
  .option('--stack <name>', 'the deployed stack (default: PgProof-<name> from --config or ./pgproof.config.json)')
  .option('--config <file>', 'the configuration file the stack was deployed from', 'pgproof.config.json')
  .option('--limit <n>', 'how many runs (newest first)', '20')
  .option('--region <region>', 'the stack\'s AWS region (default: "region" of the configuration file, else the AWS CLI default)')
  .option('--profile <name>', 'the AWS profile whose credentials to use (default: AWS_PROFILE, else the default credentials)')
  .option('--json', 'print the runs as JSON (newest first)')
  .action(async (options: { local?: boolean; stateDir: string; stack?: string; config: string; limit: string; region?: string; profile?: string; json?: boolean }) => {
    if (options.local) {
      const runs = (await readHistory(path.resolve(options.stateDir))).slice(0, parseLimit(options.limit));
      process.stdout.write((options.json ? JSON.stringify(runs, null, 2) : runs.length ? historyTable(runs) : 'no runs yet') + '\n');
      return;
    }
    const limit = Number(options.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CommanderError(2, 'pgproof.usage', `error: --limit must be a whole number from 1 to 1000, got "${options.limit}"`);
    const { stateMachineArn, sfn } = await deployedOrUsage(options);
    const runs = await executionHistory(sfn, stateMachineArn, limit);
    process.stdout.write((options.json ? JSON.stringify(runs, null, 2) : runs.length ? executionTable(runs) : 'no executions yet') + '\n');
  });

program
  .command('start')
  .description('start a run of the deployed state machine (StartExecution) and print its console link')
  .option('--input <json>', 'the run\'s input, e.g. {"reason": "before migration"}')
  .option('--stack <name>', 'the deployed stack (default: PgProof-<name> from --config or ./pgproof.config.json)')
  .option('--config <file>', 'the configuration file the stack was deployed from', 'pgproof.config.json')
  .option('--region <region>', 'the stack\'s AWS region (default: "region" of the configuration file, else the AWS CLI default)')
  .option('--profile <name>', 'the AWS profile whose credentials to use (default: AWS_PROFILE, else the default credentials)')
  .option('--wait', 'follow the execution to its end; exit 0 only if it succeeded')
  .option('--json', 'print the execution (and with --wait its result) as JSON on the last line')
  .action(async (options: { input?: string; stack?: string; config: string; region?: string; profile?: string; wait?: boolean; json?: boolean }) => {
    let input;
    try {
      input = parseManualInput(options.input);
    } catch (error) {
      throw new CommanderError(2, 'pgproof.usage', `error: ${(error as Error).message}`);
    }
    const { stateMachineArn, sfn } = await deployedOrUsage(options);
    const started = await startExecution(sfn, stateMachineArn, input);
    say(`started execution ${started.name}: ${started.consoleUrl}`);
    if (!options.wait) {
      if (options.json) process.stdout.write(JSON.stringify(started) + '\n');
      return;
    }
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    const done = await waitForExecution(sfn, started.executionArn, { signal: controller.signal, onPoll: (status) => say(`… ${status}`) });
    const summary = await executionRecord(sfn, done);
    say(`${summary.status === 'SUCCEEDED' ? '✅' : '❌'} ${summary.status}${summary.error ? ` (${summary.error.state}: ${summary.error.name})` : ''}`);
    if (options.json) process.stdout.write(JSON.stringify({ ...started, ...summary }) + '\n');
    process.exitCode = summary.status === 'SUCCEEDED' ? 0 : 1;
  });

program
  .command('restore')
  .description('disaster restore: check the backup\'s SHA-256, then pg_restore it into a target database')
  .requiredOption('--backup <latest|KEY>', '`latest` (the newest verified backup) or a backup.key a run printed')
  .requiredOption('--target-url <url>', 'postgres://user:password@host:5432/database to restore into (should be empty)')
  .option('--local', 'read the backup from the embedded S3 data under the state dir')
  .option('--state-dir <dir>', 'local state directory', '.pgproof')
  .option('--s3-endpoint <url>', 'an S3-compatible endpoint instead of AWS')
  .option('--bucket <name>', 'the backup bucket (AWS or --s3-endpoint)')
  .option('--prefix <prefix>', 'key prefix', 'pgproof')
  .option('--database <name>', 'with --backup latest: the source database whose backup to take')
  .option('--force', 'replace a non-empty target database: restore into a new database on the same server, check it, then swap it in and drop the old one')
  .option('--terminate-connections', 'with --force: end other sessions on the target before the swap (else they are named and the restore refused)')
  .option('--create-roles', 'create roles the backup refers to and the target lacks (NOLOGIN)')
  .option('--no-owner', 'restore without owners and grants (for a target without the source\'s roles)')
  .option('--work-dir <dir>', 'where the downloaded archive is decompressed (needs room for the whole dump; default $PGPROOF_WORK_DIR or the temp dir)')
  .option('--json', 'print the result as one JSON object on the last line of stdout')
  .action(async (options: RestoreOptions) => {
    // With --json, a usage error also ends with a result object on stdout.
    const refuse = (message: string) => {
      if (options.json) process.stdout.write(redact(JSON.stringify({ status: 'FAILED', backup: options.backup, error: { name: 'UsageError', message } })) + '\n');
      return usage(message);
    };
    if (!options.local && !options.bucket) throw refuse('restore needs --local or --bucket (with --s3-endpoint for S3-compatible servers)');
    await removeLeftovers(options.workDir ?? process.env.PGPROOF_WORK_DIR);
    let target: ConnectionParams;
    try {
      target = connectionFromUrl(options.targetUrl);
    } catch (error) {
      throw refuse(`--target-url: ${(error as Error).message}`);
    }
    const controller = new AbortController();
    const stop = (signal: NodeJS.Signals) => {
      interruptedBy = signal;
      say(`\n${signal}: stopping the restore (ending pg_restore, removing the downloaded archive)…`);
      controller.abort();
    };
    let interruptedBy: NodeJS.Signals | undefined;
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const stateDir = path.resolve(options.stateDir);
    const out = (l: string) => (options.json ? say(l) : process.stdout.write(redact(l) + '\n'));
    const embedded = options.local ? await startEmbeddedS3(stateDir) : undefined;
    try {
      const endpoint = embedded?.endpoint ?? options.s3Endpoint;
      const storage = { bucket: embedded?.bucket ?? options.bucket!, prefix: options.prefix, ...(endpoint ? { endpoint } : {}) };
      const s3 = createS3Client(storage, embedded ? { accessKeyId: EMBEDDED_S3_CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: EMBEDDED_S3_CREDENTIALS.AWS_SECRET_ACCESS_KEY } : undefined);
      const result = await restoreBackup(
        {
          storage,
          backup: options.backup,
          ...(options.database ? { database: options.database } : {}),
          target,
          force: Boolean(options.force),
          terminateConnections: Boolean(options.terminateConnections),
          roles: options.owner === false ? 'skip-ownership' : options.createRoles ? 'create' : 'require',
          discovery: discoveryOptionsFromEnv(),
          zstdPath: await which('zstd'),
          ...(options.workDir ?? process.env.PGPROOF_WORK_DIR ? { workDir: path.resolve(options.workDir ?? process.env.PGPROOF_WORK_DIR!) } : {}),
        },
        { s3, logger: createLogger({ service: 'pgproof-restore', level: 'ERROR' }), signal: controller.signal, warn: say },
      ).catch((error: unknown) => {
        const failure = describeRestoreFailure(error, options.backup);
        if (interruptedBy) {
          say(`restore interrupted by ${interruptedBy}; ${targetStateOf(error)?.message ?? 'the target may hold a partial restore: drop it before trying again'}`);
          process.exitCode = interruptedBy === 'SIGINT' ? 130 : 143;
        } else {
          for (const line of failure.lines) say(line);
          process.exitCode = failure.exitCode;
        }
        if (options.json) process.stdout.write(redact(JSON.stringify(failure.json)) + '\n');
        return undefined;
      });
      if (!result) return;
      for (const line of describeRestore(result)) out(line);
      if (options.json) process.stdout.write(redact(JSON.stringify({ status: 'SUCCEEDED', ...result })) + '\n');
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await embedded?.stop();
    }
  });

interface RestoreOptions {
  workDir?: string;
  backup: string;
  targetUrl: string;
  local?: boolean;
  stateDir: string;
  s3Endpoint?: string;
  bucket?: string;
  prefix: string;
  database?: string;
  force?: boolean;
  terminateConnections?: boolean;
  createRoles?: boolean;
  owner?: boolean;
  json?: boolean;
}

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') process.exit(0);
    if (error.exitCode !== 0 && !/^error:/.test(error.message)) say(error.message);
    else if (error.code === 'pgproof.usage') say(error.message);
    process.exit(2);
  }
  const e = error as Error;
  say(`pgproof: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message ?? String(error)}`);
  process.exit(1);
});
