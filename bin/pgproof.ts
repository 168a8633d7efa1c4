// The pgproof command line (DESIGN.md §6). Exit status: 0 verified, 1 failed run, 2 usage or config error.
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { parseEngineConfig } from '../containers/common/engine-config';
import { redact } from '../containers/common/redact';
import { startDemoSource } from '../lib/local/demo-source';
import { EMBEDDED_S3_CREDENTIALS, startEmbeddedS3 } from '../lib/local/embedded-s3';
import { appendHistory, historyTable, readHistory } from '../lib/local/history';
import { runLocally } from '../lib/local/local-run';
import { describeResult, type RunResult } from '../lib/local/run-result';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const say = (line: string) => process.stderr.write(redact(line) + '\n');

function printResult(result: RunResult, json: boolean): void {
  for (const line of describeResult(result)) (json ? say : (l: string) => process.stdout.write(redact(l) + '\n'))(line);
  if (json) process.stdout.write(redact(JSON.stringify(result)) + '\n');
}

const program = new Command()
  .name('pgproof')
  .description('PostgreSQL backups proven by restoring them')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

program
  .command('demo')
  .description('back up and prove a throwaway sample database with an embedded S3 server, on this machine')
  .option('--state-dir <dir>', 'local S3 data and run history', '.pgproof')
  .option('--json', 'print the result as one JSON object on the last line of stdout')
  .action(async (options: { stateDir: string; json?: boolean }) => {
    const stateDir = path.resolve(options.stateDir);
    say('pgproof demo: starting a throwaway source database with sample data…');
    const source = await startDemoSource();
    const s3 = await startEmbeddedS3(stateDir);
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let result: RunResult;
    try {
      say(`embedded S3 at ${s3.endpoint} (data in ${path.join(stateDir, 's3')})`);
      result = await runLocally({
        connection: source.connection,
        config: parseEngineConfig({
          checks: [{ name: 'customers exist', sql: 'select count(*) from shop.customers', expect: { min: 1 } }],
          freshness: [{ table: 'shop.customers', column: 'created_at', maxAgeHours: 26 }],
          deepProof: true,
        }),
        s3: { endpoint: s3.endpoint, bucket: s3.bucket, credentials: { ...EMBEDDED_S3_CREDENTIALS } },
        reason: 'pgproof demo',
        signal: controller.signal,
        onState: (state) => say(`→ ${state}`),
      });
      await appendHistory(stateDir, result);
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await s3.stop();
      await source.stop();
    }
    printResult(result, Boolean(options.json));
    process.exitCode = result.status === 'SUCCEEDED' ? 0 : 1;
  });

program
  .command('history')
  .description('past runs: when, status, size, durations, checks')
  .option('--local', 'runs made on this machine (state dir)')
  .option('--state-dir <dir>', 'local state directory', '.pgproof')
  .option('--json', 'print the runs as JSON (newest first)')
  .action(async (options: { local?: boolean; stateDir: string; json?: boolean }) => {
    if (!options.local) throw new CommanderError(2, 'pgproof.usage', 'error: history of the deployed stack is not available yet; use --local');
    const runs = await readHistory(path.resolve(options.stateDir));
    process.stdout.write((options.json ? JSON.stringify(runs, null, 2) : runs.length ? historyTable(runs) : 'no runs yet') + '\n');
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') process.exit(0);
    if (error.exitCode !== 0 && !/^error:/.test(error.message)) say(error.message);
    else if (error.code === 'pgproof.usage') say(error.message);
    process.exit(2);
  }
  say(`pgproof: ${(error as Error).message ?? String(error)}`);
  process.exit(1);
});
