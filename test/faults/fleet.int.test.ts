import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConnectionParams, connect } from '../../containers/common/pg-connection';
import { type DemoSource, startDemoSource } from '../../lib/local/demo-source';
import { type FakeHttpServer, startFakeHttpServer } from '../helpers/fake-http-server';
import { createSourceDatabase } from '../helpers/fixtures';
import { lastJson, pgproof } from '../helpers/pgproof-process';
import { SOURCE_PASSWORD } from '../helpers/source-cluster';

/** A run of a whole server: `--databases all` discovers its databases at the start of each run. */
describe('a fleet through `pgproof run --local --databases all`', () => {
  let source: DemoSource;
  let dir: string;
  let url: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    source = await startDemoSource(200);
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-fleet-'));
    const c = source.connection;
    url = `postgres://${c.user}@${c.host}:${c.port}/postgres?sslmode=disable`;
    env = { PGPASSWORD: c.password! };
  });
  afterAll(async () => {
    await source?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const run = (...extra: string[]) =>
    pgproof(
      [
        'run',
        '--local',
        '--database-url',
        url,
        '--databases',
        'all',
        '--exclude-databases',
        'postgres',
        '--state-dir',
        path.join(dir, 'state'),
        '--json',
        ...extra,
      ],
      { env },
    );

  it('proves every database of the server, and picks up one created between two runs, marked new', {
    timeout: 300_000,
  }, async () => {
    // WHEN the first run
    const first = await run();
    // THEN both databases verified, both new (nothing was in the bucket)
    expect(first.code, first.stderr).toBe(0);
    const one = lastJson(first);
    expect(one.status).toBe('SUCCEEDED');
    expect(one.databases).toEqual([
      expect.objectContaining({ database: 'blog', status: 'SUCCEEDED', isNew: true }),
      expect.objectContaining({ database: 'shop', status: 'SUCCEEDED', isNew: true }),
    ]);
    expect(one.chat).toMatchObject({ posted: false, text: expect.stringMatching(/2 databases verified/) });

    // GIVEN a database created after the first run
    const admin = await connect({ ...source.connection, database: 'postgres' });
    await admin.query('create database crm');
    await admin.end();
    // WHEN the next run
    const second = await run();
    // THEN it is in the run, and only it is new
    expect(second.code, second.stderr).toBe(0);
    const two = lastJson(second);
    expect(two.databases).toEqual([
      expect.objectContaining({ database: 'blog', status: 'SUCCEEDED', isNew: false }),
      expect.objectContaining({ database: 'crm', status: 'SUCCEEDED', isNew: true }),
      expect.objectContaining({ database: 'shop', status: 'SUCCEEDED', isNew: false }),
    ]);
    expect(String((two.chat as { text: string }).text)).toMatch(/New: crm/);
    // AND the history lists one row per database per run
    const history = await pgproof(['history', '--local', '--state-dir', path.join(dir, 'state')]);
    expect(history.code).toBe(0);
    const rows = history.stdout.split('\n').filter((l) => /SUCCEEDED/.test(l));
    expect(rows).toHaveLength(5);
    expect(rows.filter((l) => /crm \(new\)/.test(l))).toHaveLength(1);
    expect(first.stdout + first.stderr + second.stdout + second.stderr).not.toContain(source.connection.password!);
  });

  it('fails the run when every database is excluded, naming the server and the patterns', async () => {
    const out = await run('--exclude-databases', '*');
    expect(out.code).toBe(1);
    const result = lastJson(out);
    expect(result).toMatchObject({ status: 'FAILED', error: { state: 'DiscoverDatabases', name: 'NoDatabasesFound' } });
    expect(String((result.error as { message: string }).message)).toMatch(/127\.0\.0\.1:\d+/);
    expect(result.databases).toBeUndefined();
  });
});

/** A listed fleet: three databases of one server, each with its own checks, one check failing until it is fixed. */
describe('a listed fleet through `pgproof run --local --config` with three databases', () => {
  const CHAT_TOKEN = 'T0FLEET/B0CHAT/fleetChatToken1234';
  const SNITCH_TOKEN = 'fleetSnitchToken5678';
  let dbs: ConnectionParams[];
  let http: FakeHttpServer;
  let dir: string;
  beforeAll(async () => {
    const table = async (sql: (text: string) => Promise<unknown>) => {
      await sql('create table items (id int primary key)');
      await sql('insert into items select generate_series(1, 5)');
    };
    dbs = await Promise.all(['fleet_a', 'fleet_b', 'fleet_c'].map((p) => createSourceDatabase(p, table)));
    http = await startFakeHttpServer();
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-fleet-list-'));
  });
  afterAll(async () => {
    await http?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const runWith = async (bMax: number) => {
    const config = path.join(dir, `fleet-${bMax}.json`);
    const [a, b, c] = dbs.map((d) => d.database);
    await writeFile(
      config,
      JSON.stringify({
        name: 'fleet',
        checks: [{ name: 'items exist', sql: 'select count(*) from items', expect: { min: 1 } }],
        databases: [
          a,
          { name: b, checks: [{ name: 'few items', sql: 'select count(*) from items', expect: { max: bMax } }] },
          c,
        ],
      }),
    );
    http.requests.length = 0;
    const source = dbs[0]!;
    return pgproof(
      [
        'run',
        '--local',
        '--database-url',
        `postgres://${source.user}@${source.host}:${source.port}/${source.database}`,
        '--config',
        config,
        '--state-dir',
        path.join(dir, 'state'),
        '--chat-webhook',
        `${http.baseUrl}/services/${CHAT_TOKEN}`,
        '--snitch-url',
        `${http.baseUrl}/ping/${SNITCH_TOKEN}`,
        '--json',
      ],
      { env: { PGPASSWORD: SOURCE_PASSWORD } },
    );
  };

  it('one failing check fails only its database: one chat post naming it, the snitch silent, exit 1; fixed, all verify and it checks in once', {
    timeout: 300_000,
  }, async () => {
    const [a, b, c] = dbs.map((d) => d.database);
    // WHEN database b's check fails (5 items, at most 2 expected)
    const failed = await runWith(2);
    // THEN b failed alone, in VerifyBackup, and the run failed
    expect(failed.code, failed.stderr).toBe(1);
    const one = lastJson(failed);
    expect(one).toMatchObject({
      status: 'FAILED',
      database: 'fleet',
      error: { name: 'VerificationFailed', state: 'VerifyBackup' },
    });
    expect(one.databases).toEqual([
      expect.objectContaining({ database: a, status: 'SUCCEEDED' }),
      expect.objectContaining({
        database: b,
        status: 'FAILED',
        error: expect.objectContaining({ state: 'VerifyBackup' }),
      }),
      expect.objectContaining({ database: c, status: 'SUCCEEDED' }),
    ]);
    const chats = http.requests.filter((r) => r.url.startsWith('/services/'));
    expect(chats).toHaveLength(1);
    expect(chats[0]!.body).toMatch(/1 of 3 databases FAILED, 2 verified/);
    expect(chats[0]!.body).toContain(b);
    expect(chats[0]!.body).toMatch(/few items/);
    expect(http.requests.filter((r) => r.url.startsWith('/ping/'))).toHaveLength(0);

    // WHEN the check is fixed
    const fixed = await runWith(10);
    // THEN every database verified, one chat post, one check-in
    expect(fixed.code, fixed.stderr).toBe(0);
    const two = lastJson(fixed);
    expect(two.status).toBe('SUCCEEDED');
    expect((two.databases as Array<{ status: string }>).map((d) => d.status)).toEqual([
      'SUCCEEDED',
      'SUCCEEDED',
      'SUCCEEDED',
    ]);
    expect(http.requests.filter((r) => r.url.startsWith('/services/'))).toHaveLength(1);
    expect(http.requests.filter((r) => r.url.startsWith('/ping/'))).toHaveLength(1);
    const all = failed.stdout + failed.stderr + fixed.stdout + fixed.stderr;
    for (const secret of [SOURCE_PASSWORD, CHAT_TOKEN, SNITCH_TOKEN]) expect(all).not.toContain(secret);
  });
});
