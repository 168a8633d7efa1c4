import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, inject } from 'vitest';
import type { ConnectionParams } from '../../containers/common/pg-connection';
import { createSampleDatabase } from '../../lib/local/sample-database';
import type { DatabaseResult, RunRecord } from '../../lib/contracts/run-record';
import { lastJson, pgproof, type PgproofRun } from '../helpers/pgproof-process';
import { createBucket, createSourceDatabase, getObjectBytes, listAllKeys } from '../helpers/fixtures';
import { SOURCE_PASSWORD } from '../helpers/source-cluster';
import { startFakeHttpServer, type FakeHttpServer } from '../helpers/fake-http-server';
import { startS3FaultProxy, type S3FaultProxy } from './s3-fault-proxy';

/** Secret tokens planted in every world: none may appear in any output. */
export const CHAT_TOKEN = 'T0FAULT/B0CHAT/chatFaultToken9f8e7d';
export const SNITCH_TOKEN = 'snitchFaultToken1a2b3c';
export const SECRETS = [SOURCE_PASSWORD, CHAT_TOKEN, 'chatFaultToken9f8e7d', SNITCH_TOKEN];

/** One source database, one bucket behind a fault proxy, a state dir, a fake chat and snitch server, and a verified baseline backup. */
/** The run's one database (these worlds prove one); empty when the run failed before the Map. */
export function databaseOf(result: RunRecord): Partial<DatabaseResult> {
  return result.databases?.[0] ?? {};
}

export interface FaultWorld {
  readonly name: string;
  readonly source: ConnectionParams;
  readonly bucket: string;
  readonly proxy: S3FaultProxy;
  readonly http: FakeHttpServer;
  readonly dir: string;
  readonly stateDir: string;
  readonly chatUrl: string;
  readonly snitchUrl: string;
  /** A good, verified run made when the world was created: faults must leave it untouched. */
  readonly baseline: { runId: string; key: string; sha256: string };
  close(): Promise<void>;
}

export interface FaultRun extends PgproofRun {
  readonly result: RunRecord;
  readonly chatRequests: FaultWorld['http']['requests'];
  readonly snitchRequests: FaultWorld['http']['requests'];
}

export const databaseUrl = (c: ConnectionParams) =>
  `postgres://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password ?? '')}@${c.host}:${c.port}/${c.database}`;

/** Creates a world and makes its baseline run (which must succeed). */
export async function createWorld(name: string, options: { rows?: number } = {}): Promise<FaultWorld> {
  const source = await createSourceDatabase(`fault_${name}`, async (sql) => {
    await createSampleDatabase({ query: sql } as unknown as Parameters<typeof createSampleDatabase>[0], {
      rows: options.rows ?? 300,
    });
  });
  const bucket = await createBucket('pgproof-fault');
  const proxy = await startS3FaultProxy(inject('s3Endpoint'));
  const http = await startFakeHttpServer();
  const dir = await mkdtemp(path.join(os.tmpdir(), `pgproof-fault-${name}-`));
  const world: FaultWorld = {
    name,
    source,
    bucket,
    proxy,
    http,
    dir,
    stateDir: path.join(dir, 'state'),
    chatUrl: `${http.baseUrl}/services/${CHAT_TOKEN}`,
    snitchUrl: `${http.baseUrl}/ping/${SNITCH_TOKEN}`,
    baseline: { runId: '', key: '', sha256: '' },
    close: async () => {
      await proxy.close();
      await http.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  const first = await runPgproof(world);
  if (first.code !== 0) throw new Error(`the baseline run of world ${name} failed: ${first.stderr}`);
  http.requests.length = 0;
  Object.assign(world.baseline, {
    runId: first.result.runId,
    key: databaseOf(first.result).backup!.key,
    sha256: databaseOf(first.result).backup!.sha256!,
  });
  return world;
}

/** `pgproof run --local` against the world (fault proxy as S3, fake chat and snitch), `--json`; extra args last. */
/** `pgproof run --local --json` against the world's source, S3 proxy, chat and snitch. */
export function runArgs(world: FaultWorld, url: string = databaseUrl(world.source)): string[] {
  return [
    'run',
    '--local',
    '--database-url',
    url,
    '--state-dir',
    world.stateDir,
    '--s3-endpoint',
    world.proxy.endpoint,
    '--bucket',
    world.bucket,
    '--chat-webhook',
    world.chatUrl,
    '--snitch-url',
    world.snitchUrl,
    '--json',
  ];
}

export async function runPgproof(
  world: FaultWorld,
  options: {
    args?: string[];
    env?: Record<string, string>;
    databaseUrl?: string;
    onStderr?: (text: string, pid: number) => void;
  } = {},
): Promise<FaultRun> {
  const before = world.http.requests.length;
  const out = await pgproof([...runArgs(world, options.databaseUrl), ...(options.args ?? [])], {
    ...(options.env ? { env: options.env } : {}),
    ...(options.onStderr ? { onStderr: options.onStderr } : {}),
  });
  const requests = world.http.requests.slice(before);
  return {
    ...out,
    result: lastJson(out) as unknown as RunRecord,
    chatRequests: requests.filter((r) => r.url.startsWith('/services/')),
    snitchRequests: requests.filter((r) => r.url.startsWith('/ping/')),
  };
}

/** Every text a person or a machine could read after a run: outputs, history, execution logs, chat bodies, manifests. */
export async function everyOutput(
  world: FaultWorld,
  run: PgproofRun & { chatRequests?: { body: string }[] },
): Promise<string> {
  const parts = [run.stdout, run.stderr, ...(run.chatRequests ?? []).map((r) => r.body)];
  parts.push(await readFile(path.join(world.stateDir, 'history.jsonl'), 'utf8').catch(() => ''));
  const executions = path.join(world.stateDir, 'executions');
  for (const f of await readdir(executions).catch(() => [] as string[]))
    parts.push(await readFile(path.join(executions, f), 'utf8'));
  for (const key of await listAllKeys(world.bucket))
    if (key.endsWith('.json')) parts.push((await getObjectBytes(world.bucket, key)).toString());
  return parts.join('\n');
}

export function secretsIn(text: string): string[] {
  return SECRETS.filter((s) => text.includes(s));
}

/**
 * Asserts everything issue 6 demands of a fault: exit 1 and a FAILED run whose error names the state and the
 * cause; the chat heard of it (once); the dead-man's switch stayed silent; the baseline backup is untouched and
 * still listed; no secret in any output.
 */
export async function expectFailedRun(
  world: FaultWorld,
  run: FaultRun,
  expected: { state: string; name?: string | RegExp; message: RegExp },
): Promise<void> {
  expect(run.code, `exit code; stderr:\n${run.stderr}`).toBe(1);
  expect(run.result.status).toBe('FAILED');
  expect(run.result.error?.state).toBe(expected.state);
  if (expected.name)
    expect(run.result.error?.name).toMatch(
      expected.name instanceof RegExp ? expected.name : new RegExp(`^${expected.name}$`),
    );
  expect(run.result.error?.message).toMatch(expected.message);
  // The chat heard of it, naming the failed state.
  expect(run.chatRequests).toHaveLength(1);
  expect(run.chatRequests[0]!.body).toMatch(/❌|fail/i);
  expect(run.chatRequests[0]!.body).toContain(expected.state);
  // The dead-man's switch stayed silent.
  expect(run.snitchRequests).toEqual([]);
  await expectBaselineIntact(world);
  expect(secretsIn(await everyOutput(world, run))).toEqual([]);
}

/** The baseline backup: same bytes, manifest and verification record still there, still in the history. */
export async function expectBaselineIntact(world: FaultWorld): Promise<void> {
  const bytes = await getObjectBytes(world.bucket, world.baseline.key);
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(world.baseline.sha256);
  const keys = await listAllKeys(world.bucket);
  const stem = world.baseline.key.replace(/\.dump(\.zst)?$/, '');
  expect(keys).toEqual(expect.arrayContaining([world.baseline.key, `${stem}.manifest.json`, `${stem}.verified.json`]));
  const history = await pgproof(['history', '--local', '--json', '--state-dir', world.stateDir]);
  expect((JSON.parse(history.stdout) as RunRecord[]).map((r) => r.runId)).toContain(world.baseline.runId);
}
