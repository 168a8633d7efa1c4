import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runNodeProcess } from '../helpers/fixtures';

/** The packages a command loads only when it runs: a start that only prints help must not wait for them. */
const HEAVY = ['aws-cdk-lib', '@aws-sdk/', 's3rver', 'aws-local-stepfunctions', 'pg', 'zod'];

// Node's module hooks see every module the ESM loader resolves (ours, the bundle's chunks, the packages they import).
const HOOKS = `
import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(log, resolved.url + '\\n');
  return resolved;
}`;

describe('pgproof start-up', () => {
  let dir: string;
  let registerHooks: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-imports-'));
    await writeFile(path.join(dir, 'hooks.mjs'), HOOKS);
    registerHooks = path.join(dir, 'register.mjs');
    await writeFile(
      registerHooks,
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(path.join(dir, 'hooks.mjs')).href)}, { data: { log: process.env.PGPROOF_IMPORT_LOG } });\n`,
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** Runs `pgproof args` through bin/pgproof.mjs; returns the run and the packages it loaded. */
  async function pgproofLoading(name: string, args: string[]) {
    const log = path.join(dir, `${name}.log`);
    await writeFile(log, '');
    const run = await runNodeProcess(
      ['--import', pathToFileURL(registerHooks).href, path.join(ROOT, 'bin', 'pgproof.mjs'), ...args],
      { PGPROOF_IMPORT_LOG: log },
    );
    const packages = (await readFile(log, 'utf8'))
      .split('\n')
      .map((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1])
      .filter((name): name is string => name !== undefined);
    const loadsHeavy = (heavy: string) =>
      packages.some((p) => (heavy.endsWith('/') ? p.startsWith(heavy) : p === heavy));
    return { run, packages, heavyLoaded: HEAVY.filter(loadsHeavy) };
  }

  it('--help loads commander, and none of aws-cdk-lib, the AWS SDK, s3rver, aws-local-stepfunctions, pg, zod', async () => {
    const { run, packages, heavyLoaded } = await pgproofLoading('help', ['--help']);

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Usage: pgproof/);
    // The hook saw the bundle's own imports, so an eager import of a heavy package would be seen too.
    expect(packages).toContain('commander');
    expect(heavyLoaded).toEqual([]);
  });

  it('--version and a usage error load none of them either', async () => {
    const version = await pgproofLoading('version', ['--version']);
    const usage = await pgproofLoading('usage', ['history', '--local', '--limit', '0']);

    expect(version.run.code).toBe(0);
    expect(version.run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(version.heavyLoaded).toEqual([]);
    expect(usage.run.code).toBe(2);
    expect(usage.run.stderr).toMatch(/error: --limit must be a whole number from 1 to 1000, got "0"/);
    expect(usage.heavyLoaded).toEqual([]);
  });

  it('a command that runs loads what it needs (the hook sees packages imported lazily)', async () => {
    // `history` of a stack reads it with the AWS SDK: with no region or credentials it fails, after loading the SDK.
    const { run, heavyLoaded } = await pgproofLoading('history', [
      'history',
      '--stack',
      'PgProof-none',
      '--region',
      'eu-west-1',
      '--profile',
      'pgproof-test-no-such-profile',
    ]);

    expect(run.code).toBe(1);
    expect(heavyLoaded).toContain('@aws-sdk/');
  });
});
