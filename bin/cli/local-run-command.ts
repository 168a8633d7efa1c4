// What `demo` and `run --local` do once their flags are parsed; loaded only when one of them runs (it pulls in the
// local runtime: the state machine definition from the CDK app, the embedded S3 server, the engines' runner).
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { CommanderError } from 'commander';
import type { CatalogLocation } from '../../containers/common/backup-catalog';
import type { ConnectionParams } from '../../containers/common/pg-connection';
import { DEFAULT_KEY_PREFIX } from '../../lib/common/defaults';
import { registerSecret } from '../../lib/common/redact';
import { MAX_CONCURRENCY_RANGE, MAX_DATABASES } from '../../lib/common/rules';
import { parseEndpointValue } from '../../lambdas/common/endpoint';
import type { RetentionPolicy } from '../../lib/common/retention';
import { type RetentionSettings, retentionSettingsOf } from '../../lib/config';
import { EMBEDDED_S3_CREDENTIALS, startEmbeddedS3 } from '../../lib/local/embedded-s3';
import { appendHistory, writeExecutionLog } from '../../lib/local/history';
import { readLocalConfigFile } from '../../lib/local/local-config';
import { type LocalFleet, localFleet } from '../../lib/local/local-fleet';
import { runLocally } from '../../lib/local/local-run';
import { watchParent } from '../../lib/local/parent-watch';
import { ProgressDisplay } from '../../lib/local/progress';
import type { RunRecord } from '../../lib/contracts/run-record';
import { describeResult } from '../../lib/local/run-result';
import type { ExecutionEvent } from '../../lib/local/state-machine-runner';
import { describeStorageFailure, prepareStateDir } from '../../lib/local/state-dir';
import { ensureBundles } from '../bundles.mjs';
import { embeddedS3Client } from './catalog-store';
import { interruptOnSignals } from './interrupt';
import { print, say } from './output';
import { pruneBackups } from './prune-backups';
import { type PrunePlan, prunedLine, verifiedDatabases } from './prune-plan';
import type { RunFlags } from './run-options';
import { parsedOrUsage, usageError } from './usage-error';

const INVALID_INPUT = '--input is not valid JSON: expected e.g. {"reason": "before migration"}';

/** Checks the flags that need no work to check, so a typo fails at once rather than after the backup and verify. */
export function validateRunFlags(flags: RunFlags): void {
  if (flags.s3Endpoint && !flags.bucket) throw usageError('--s3-endpoint needs --bucket');
  for (const [flag, value] of [
    ['--chat-webhook', flags.chatWebhook],
    ['--snitch-url', flags.snitchUrl],
  ] as const) {
    if (value === undefined) continue;
    registerSecret(value);
    parsedOrUsage(() => parseEndpointValue(value, flag));
  }
  if (flags.input !== undefined) parseInput(flags.input);
  if (flags.databases !== undefined) parseDatabaseList(flags.databases);
  if (flags.maxConcurrency !== undefined) parseMaxConcurrency(flags.maxConcurrency);
  for (const pattern of flags.excludeDatabases ?? []) {
    if (pattern.trim() === '') throw usageError('--exclude-databases needs a pattern, e.g. "tmp_*"');
  }
}

/** `a,b,c` → the database names, each once; `all` → discovery; or a usage error naming what is wrong. */
export function parseDatabaseList(text: string): string[] | 'all' {
  if (text.trim() === 'all') return 'all';
  const names = text.split(',').map((n) => n.trim());
  if (names.some((n) => n === '')) {
    throw usageError(`--databases takes comma-separated database names, e.g. orders,billing; got "${text}"`);
  }
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  if (repeated.length) throw usageError(`--databases names ${repeated[0]} twice`);
  if (names.length > MAX_DATABASES) {
    throw usageError(`--databases names ${names.length} databases; one run proves at most ${MAX_DATABASES}`);
  }
  return names;
}

function parseMaxConcurrency(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < MAX_CONCURRENCY_RANGE.min || n > MAX_CONCURRENCY_RANGE.max) {
    throw usageError(
      `--max-concurrency must be a whole number from ${MAX_CONCURRENCY_RANGE.min} to ${MAX_CONCURRENCY_RANGE.max}; got "${text}"`,
    );
  }
  return n;
}

function parseInput(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw usageError(INVALID_INPUT);
  }
}

/** What pruning one verified database after the run did: the plan it carried out, or why it failed. */
export type PruneOutcome = PrunePlan | { readonly error: string };

/** Exit code of a run whose every database verified but whose pruning failed: the proof stands, storage grows. */
export const PRUNE_FAILED_EXIT_CODE = 3;

function printResult(result: RunRecord, json: boolean, pruned: ReadonlyMap<string, PruneOutcome>): void {
  const out = json ? say : print;
  for (const line of describeResult(result)) out(line);
  if (result.chat?.text !== undefined && !result.chat.posted) {
    out('');
    out('Chat message (no --chat-webhook given, so it was not posted):');
    for (const line of result.chat.text.split('\n')) out(`  ${line}`);
  }
  for (const [database, outcome] of pruned) {
    if ('error' in outcome) say(`❌ pruning ${database} failed: ${outcome.error}`);
    else out(prunedLine(database, outcome));
  }
  if (json) {
    // Each pruned database's result carries `pruned`; the run record in the history does not (pruning is not the run).
    const databases = result.databases?.map((d) => {
      const outcome = pruned.get(d.database);
      return outcome ? { ...d, pruned: outcome } : d;
    });
    print(JSON.stringify(databases ? { ...result, databases } : result));
  }
}

/**
 * Prunes, after the run, each database that verified in it (never a failed one) by the configuration's policy, as
 * `pgproof prune --local --database <name>` would. A failure is returned per database, never thrown.
 */
export async function pruneVerified(
  result: Pick<RunRecord, 'databases'>,
  s3: S3Client,
  storage: CatalogLocation,
  policy: RetentionPolicy,
): Promise<Map<string, PruneOutcome>> {
  const outcomes = new Map<string, PruneOutcome>();
  for (const database of verifiedDatabases(result)) {
    try {
      outcomes.set(database, await pruneBackups(s3, storage, policy, { database }));
    } catch (error) {
      outcomes.set(database, { error: (error as Error).message });
    }
  }
  return outcomes;
}

/** Pure: a local run's exit code: a signal's, 1 when the run failed, 3 when it verified but pruning failed, else 0. */
export function localRunExitCode(
  status: RunRecord['status'],
  pruned: ReadonlyMap<string, PruneOutcome>,
  signalExitCode: number | undefined,
): number {
  if (signalExitCode !== undefined) return signalExitCode;
  if (status !== 'SUCCEEDED') return 1;
  return [...pruned.values()].some((o) => 'error' in o) ? PRUNE_FAILED_EXIT_CODE : 0;
}

/**
 * Runs the state machine locally against `connection`, then prunes its verified databases when the configuration's
 * `retention.pruneLocal` asks; returns the exit code (0 verified, 1 failed, 3 verified but pruning failed, 130/143
 * after a signal).
 */
export async function runLocalCommand(
  flags: RunFlags,
  connection: ConnectionParams,
  defaults: {
    file?: unknown;
    input?: Record<string, unknown>;
    /** Never prune after the run, whatever the configuration's `retention.pruneLocal` says (`pgproof demo`). */
    neverPrune?: boolean;
  } = {},
): Promise<number> {
  validateRunFlags(flags);
  const input = flags.input !== undefined ? parseInput(flags.input) : (defaults.input ?? {});
  for (const url of [flags.chatWebhook, flags.snitchUrl]) registerSecret(url);
  let fleet: LocalFleet;
  let file: unknown;
  let retention: RetentionSettings;
  try {
    // The configuration file (or the caller's defaults) and the flags: which databases, with which settings.
    file = flags.config !== undefined ? await readLocalConfigFile(flags.config) : defaults.file;
    fleet = localFleet({
      ...(file !== undefined ? { file } : {}),
      ...(flags.config !== undefined ? { source: flags.config } : {}),
      urlDatabase: connection.database,
      ...(flags.databases !== undefined ? { databases: parseDatabaseList(flags.databases) } : {}),
      ...(flags.excludeDatabases?.length ? { exclude: flags.excludeDatabases } : {}),
      ...(flags.maxConcurrency !== undefined ? { maxConcurrency: parseMaxConcurrency(flags.maxConcurrency) } : {}),
    });
    // What ApplyRetention tags after each verified database (and pruneLocal deletes): checked before the run, or a
    // bad field would surface only after the backup and verify.
    retention = retentionSettingsOf(file ?? {}, flags.config ?? 'the configuration');
  } catch (error) {
    if (error instanceof CommanderError) throw error;
    throw usageError((error as Error).message);
  }
  const databases = fleet.ids;
  // A fleet's run is called by the configuration's name (the deployment's), else by its server.
  const name = (file as { name?: unknown } | undefined)?.name;
  // The engines' bundles are compiled (when a source changed) before the run starts, not inside its first task.
  await ensureBundles(databases === 'all' ? ['backup', 'verify', 'discover'] : ['backup', 'verify']);
  const stateDir = path.resolve(flags.stateDir);
  // A state dir that cannot be written (read-only, full) fails the run as a storage error, with its chat message.
  const stateProblem = await prepareStateDir(stateDir);
  const embedded = flags.bucket || stateProblem ? undefined : await startEmbeddedS3(stateDir);
  const interrupt = interruptOnSignals((_signal, why) =>
    say(`\n${why}: stopping the run (ending child processes, removing the throwaway cluster, aborting the upload)…`),
  );
  // Started through `npx` (npm exec → sh -c), a SIGTERM ends npx and sh but not us: stop when our parent goes away.
  const unwatch = watchParent(() => interrupt.stop('SIGTERM', 'the parent process went away (e.g. npx was stopped)'));
  const progress = new ProgressDisplay();
  progress.fleet = databases === 'all' || databases.length > 1;
  const events: ExecutionEvent[] = [];
  let result: RunRecord;
  let pruned = new Map<string, PruneOutcome>();
  try {
    if (embedded) progress.message(`embedded S3 at ${embedded.endpoint} (data in ${path.join(stateDir, 's3')})`);
    result = await runLocally({
      connection,
      config: fleet.config,
      databases,
      maxConcurrency: fleet.maxConcurrency,
      retention: retention.policy,
      ...(typeof name === 'string' && name ? { label: name } : {}),
      s3: embedded
        ? {
            endpoint: embedded.endpoint,
            bucket: embedded.bucket,
            prefix: flags.prefix,
            credentials: { ...EMBEDDED_S3_CREDENTIALS },
          }
        : {
            ...(flags.s3Endpoint ? { endpoint: flags.s3Endpoint } : {}),
            bucket: flags.bucket ?? 'pgproof-local',
            prefix: flags.prefix,
          },
      ...(stateProblem && !flags.bucket
        ? { storageUnavailable: `the embedded S3 cannot store backups: ${stateProblem}` }
        : {}),
      input,
      ...(flags.chatWebhook ? { chatWebhookUrl: flags.chatWebhook } : {}),
      ...(flags.snitchUrl ? { snitchUrl: flags.snitchUrl } : {}),
      signal: interrupt.signal,
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
    if (retention.pruneLocal && !defaults.neverPrune && interrupt.exitCode === undefined) {
      if (embedded) {
        const s3 = embeddedS3Client(embedded);
        try {
          pruned = await pruneVerified(result, s3, { bucket: embedded.bucket, prefix: flags.prefix }, retention.policy);
        } finally {
          s3.destroy();
        }
      } else if (flags.bucket) {
        say(
          `retention.pruneLocal: not pruning s3://${flags.bucket} (pruning applies to the state dir's embedded S3 only; a real bucket expires backups by its own rules)`,
        );
      }
    }
    try {
      await appendHistory(stateDir, result);
      await writeExecutionLog(stateDir, result.runId, events);
    } catch (error) {
      say(`could not record this run in the history: ${describeStorageFailure(error, stateDir)}`);
    }
  } finally {
    unwatch();
    interrupt.dispose();
    await embedded?.stop();
  }
  printResult(result, Boolean(flags.json), pruned);
  if ([...pruned.values()].some((o) => 'error' in o)) {
    const again = [
      `--state-dir ${flags.stateDir}`,
      ...(flags.prefix !== DEFAULT_KEY_PREFIX ? [`--prefix ${flags.prefix}`] : []),
      ...(flags.config !== undefined ? [`--config ${flags.config}`] : []),
    ];
    say(
      `every kept backup is intact, but pruning stopped, so expired backups remain and storage grows until a prune succeeds: fix the cause, then run pgproof prune --local ${again.join(' ')}`,
    );
  }
  return localRunExitCode(result.status, pruned, interrupt.exitCode);
}
