import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../containers/common/pg-connection';
import { type DemoSource, startDemoSource } from '../../lib/local/demo-source';
import { lastJson, pgproof } from '../helpers/pgproof-process';

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
