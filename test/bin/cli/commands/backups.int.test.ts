import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgproof } from '../../../helpers/pgproof-process';

describe('pgproof backups', () => {
  let stateDir: string;
  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-backups-'));
  });
  afterAll(() => rm(stateDir, { recursive: true, force: true }));

  it('lists the verified backups of two demo runs with the rules that keep them, per database', {
    timeout: 180_000,
  }, async () => {
    // GIVEN two demo runs (two databases each) in one state dir
    for (let i = 0; i < 2; i++) expect((await pgproof(['demo', '--state-dir', stateDir])).code).toBe(0);
    // WHEN
    const out = await pgproof(['backups', '--local', '--state-dir', stateDir, '--json']);
    // THEN four backups, newest first, each verified; the newest of each database is kept by every daily-ish rule
    expect(out.code, out.stderr).toBe(0);
    const rows = JSON.parse(out.stdout) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      expect(row).toMatchObject({
        key: expect.stringMatching(/^pgproof\/(shop|blog)\/.*\.dump\.zst$/),
        verified: true,
        expiresAt: null,
        bytes: expect.any(Number),
      });
    }
    const shop = rows.filter((r) => r.database === 'shop');
    expect(shop.map((r) => r.keptBy)).toEqual([['daily', 'weekly', 'monthly', 'min'], ['min']]);
    // AND --database filters, and the table names the rules
    const blog = await pgproof(['backups', '--local', '--state-dir', stateDir, '--database', 'blog']);
    expect(blog.code).toBe(0);
    expect(blog.stdout).toMatch(/blog .* yes .*daily, weekly, monthly, min/);
    expect(blog.stdout).not.toMatch(/shop/);
    // AND a configuration's retention applies: with keepVerifiedMin 1, the older shop backup expires
    const config = path.join(stateDir, 'retention.json');
    await writeFile(config, JSON.stringify({ retention: { keepVerifiedMin: 1 } }));
    const strict = await pgproof(['backups', '--local', '--state-dir', stateDir, '--config', config, '--json']);
    expect(
      (JSON.parse(strict.stdout) as Array<{ database: string; keptBy: string[] }>)
        .filter((r) => r.database === 'shop')
        .map((r) => r.keptBy),
    ).toEqual([['daily', 'weekly', 'monthly', 'min'], []]);
  });

  it('names a bad retention field and needs a source', async () => {
    const config = path.join(stateDir, 'bad.json');
    await writeFile(config, JSON.stringify({ retention: { keepVerifiedMin: 0 } }));
    const bad = await pgproof(['backups', '--local', '--state-dir', stateDir, '--config', config]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/retention.*keepVerifiedMin/);
    const none = await pgproof(['backups']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--local or --bucket/);
  });
});
