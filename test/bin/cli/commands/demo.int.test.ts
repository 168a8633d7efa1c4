import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgproof } from '../../../helpers/pgproof-process';

describe('pgproof demo', () => {
  let stateDir: string;
  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-cli-'));
  });
  afterAll(() => rm(stateDir, { recursive: true, force: true }));

  it('proves two sample databases end to end, prints the result as JSON, and records one history row per database', async () => {
    // WHEN
    const out = await pgproof(['demo', '--json', '--state-dir', stateDir]);
    // THEN
    expect(out.code).toBe(0);
    const result = JSON.parse(out.stdout.trim().split('\n').at(-1)!);
    expect(result).toMatchObject({ status: 'SUCCEEDED', database: 'demo' });
    expect(result.databases).toEqual([
      expect.objectContaining({
        database: 'shop',
        status: 'SUCCEEDED',
        isNew: true,
        backup: expect.objectContaining({
          key: expect.stringMatching(/^pgproof\/shop\//),
          sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        }),
        verify: expect.objectContaining({ restoreSeconds: expect.any(Number), checks: expect.any(Number) }),
      }),
      expect.objectContaining({
        database: 'blog',
        status: 'SUCCEEDED',
        backup: expect.objectContaining({ key: expect.stringMatching(/^pgproof\/blog\//) }),
      }),
    ]);
    for (const d of result.databases) expect(d.verify.checks).toBeGreaterThan(0);
    expect(out.stderr).toMatch(/→ VerifyBackup \[blog\]/);
    const history = await pgproof(['history', '--local', '--state-dir', stateDir]);
    expect(history.code).toBe(0);
    const rows = history.stdout.split('\n').filter((l) => l.includes('SUCCEEDED'));
    expect(rows).toHaveLength(2);
    expect(rows.some((l) => /shop/.test(l)) && rows.some((l) => /blog/.test(l))).toBe(true);
    const json = await pgproof(['history', '--local', '--json', '--state-dir', stateDir]);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ runId: result.runId, status: 'SUCCEEDED' })]);
  });

  it('exits 2 on an unknown command or flag', async () => {
    expect((await pgproof(['bogus'])).code).toBe(2);
    const flag = await pgproof(['demo', '--no-such-flag']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/unknown option '--no-such-flag'/);
  });
});
