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

  it('proves a sample database end to end, prints the result as JSON, and records it in the local history', async () => {
    // WHEN
    const out = await pgproof(['demo', '--json', '--state-dir', stateDir]);
    // THEN
    expect(out.code).toBe(0);
    const result = JSON.parse(out.stdout.trim().split('\n').at(-1)!);
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      database: 'shop',
      backup: { key: expect.stringMatching(/^pgproof\/shop\//), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(result.verify.checks.every((c: { passed: boolean }) => c.passed)).toBe(true);
    expect(result.verify.restoreSeconds).toBeGreaterThan(0);
    const history = await pgproof(['history', '--local', '--json', '--state-dir', stateDir]);
    expect(history.code).toBe(0);
    expect(JSON.parse(history.stdout)).toEqual([
      expect.objectContaining({
        runId: result.runId,
        status: 'SUCCEEDED',
        backup: expect.objectContaining({ key: result.backup.key }),
      }),
    ]);
  });

  it('exits 2 on an unknown command or flag', async () => {
    expect((await pgproof(['bogus'])).code).toBe(2);
    const flag = await pgproof(['demo', '--no-such-flag']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/unknown option '--no-such-flag'/);
  });
});
