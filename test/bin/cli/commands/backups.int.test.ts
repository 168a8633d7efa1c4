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

  it('prune --local deletes every object of what the policy expires, and nothing with --dry-run', {
    timeout: 60_000,
  }, async () => {
    // GIVEN the two demo runs above and a policy keeping only the newest verified backup of each database
    const config = path.join(stateDir, 'prune.json');
    await writeFile(config, JSON.stringify({ retention: { keepVerifiedMin: 1 } }));
    const list = async () =>
      JSON.parse((await pgproof(['backups', '--local', '--state-dir', stateDir, '--json'])).stdout) as Array<{
        key: string;
        database: string;
      }>;
    const before = await list();
    const older = ['shop', 'blog'].map((db) => before.filter((r) => r.database === db)[1]!.key);
    // WHEN a dry run
    const dry = await pgproof(['prune', '--local', '--state-dir', stateDir, '--config', config, '--dry-run', '--json']);
    // THEN it names the older backup of each database with all its objects, and deletes nothing
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout) as { deleted: string[]; kept: string[]; dryRun: boolean };
    expect(plan.dryRun).toBe(true);
    for (const key of older) {
      const stem = key.replace(/\.dump(\.zst)?$/, '');
      expect(plan.deleted).toEqual(
        expect.arrayContaining([key, `${stem}.manifest.json`, `${stem}.verified.json`, `${stem}.roles.sql`]),
      );
    }
    expect(plan.kept).toHaveLength(2);
    expect(await list()).toHaveLength(4);
    // WHEN pruned for real
    const pruned = await pgproof(['prune', '--local', '--state-dir', stateDir, '--config', config]);
    // THEN only the newest backup of each database is left, and it still lists as verified
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stderr).toMatch(/deleted 8 objects; kept 2 backups/);
    const after = await list();
    expect(after.map((r) => r.key).sort()).toEqual(plan.kept.slice().sort());
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
