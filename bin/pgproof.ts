// The pgproof command line. Exit status: 0 verified, 1 failed run, 2 usage or config error, 130/143 interrupted.
import { readFileSync } from 'node:fs';
import { createProgram, reportFailure } from './cli/program';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Everything pgproof writes (the state dir with every backup, work files holding a decompressed dump) is private to
// this user; the engines, started from here, inherit the mask.
process.umask(0o077);

// A reader that went away (a closed pipe) must not crash a run half-way through its cleanup.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

// Read relative to this file, which sits one folder below the root both as source (bin/) and as bundle (dist/).
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

createProgram(VERSION)
  .parseAsync(process.argv)
  .catch((error: unknown) => process.exit(reportFailure(error)));
