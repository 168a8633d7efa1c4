import type { Command } from 'commander';
import { ENGINE_ENV } from '../../lib/contracts/engine-env';
import { DEFAULT_KEY_PREFIX, DEFAULT_MAX_CONCURRENCY } from '../../lib/common/defaults';

/** The flags `demo` and `run --local` share. */
export interface RunFlags {
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
  /** `a,b,c`: the databases of the --database-url server to prove (its database part is then ignored). */
  databases?: string;
  /** Glob patterns of database names `--databases all` leaves out. */
  excludeDatabases?: string[];
  maxConcurrency?: string;
}

/** Adds the flags of a local run to `command`. */
export function addRunOptions(command: Command): Command {
  return command
    .option(
      '--config <file>',
      'configuration file (same schema as the deployed one; only checks, freshness, sizeGuard, compression, deepProof apply)',
    )
    .option('--state-dir <dir>', 'local S3 data and run history', '.pgproof')
    .option(
      '--s3-endpoint <url>',
      'a real S3-compatible endpoint instead of the embedded server (with --bucket and AWS_* credentials)',
    )
    .option('--bucket <name>', 'the bucket at --s3-endpoint (or in AWS)')
    .option('--prefix <prefix>', 'key prefix', DEFAULT_KEY_PREFIX)
    .option('--chat-webhook <url>', 'post the chat message there (else it is printed)')
    .option('--snitch-url <url>', 'check in there when the run succeeds')
    .option('--input <json>', 'the execution input, as a manual run would get it, e.g. {"reason": "before migration"}')
    .option(
      '--work-dir <dir>',
      `where verify decompresses and restores the backup (needs about twice the database; default $${ENGINE_ENV.workDir} or the temp dir)`,
    )
    .option(
      '--databases <list>',
      'prove these databases of the server, comma-separated (e.g. orders,billing), or "all" (every connectable non-template database, found at the start of the run): the URL then only names the server',
    )
    .option(
      '--exclude-databases <pattern>',
      'with --databases all, leave out databases whose name matches (* and ?; repeatable)',
      (pattern: string, previous: string[] = []) => [...previous, pattern],
    )
    .option(
      '--max-concurrency <n>',
      `how many databases are proved at once, 1-40 (default: the configuration's maxConcurrency, else ${DEFAULT_MAX_CONCURRENCY})`,
    )
    .option('--json', 'print the result as one JSON object on the last line of stdout');
}
