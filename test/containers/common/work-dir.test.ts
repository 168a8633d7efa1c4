import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkDir, OWNER_FILE, processStartTime, removeStaleWorkDirs } from '../../../containers/common/work-dir';

describe('work dirs (issue 10.12)', () => {
  let parent: string;
  beforeAll(async () => {
    parent = await mkdtemp(path.join(os.tmpdir(), 'pgproof-workdirs-'));
  });
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it('are private and marked with the owning process', async () => {
    const dir = await createWorkDir(parent, 'pgproof-verify-');
    expect(((await stat(dir)).mode & 0o777).toString(8)).toBe('700');
    expect(existsSync(path.join(dir, OWNER_FILE))).toBe(true);
  });

  it("a dead owner's dirs are removed; a live run's, a recycled pid's owner and unmarked dirs are kept", async () => {
    // GIVEN a process that has ended, this live process, a live pid with another start time, and no mark at all
    const dead = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim();
    const mark = async (name: string, owner: object | undefined) => {
      const dir = path.join(parent, name);
      await mkdir(dir);
      await writeFile(path.join(dir, 'archive.dump'), 'plaintext copy of the database');
      if (owner) await writeFile(path.join(dir, OWNER_FILE), JSON.stringify(owner));
      return dir;
    };
    const stale = await mark('pgproof-verify-dead', { pid: Number(dead) });
    const live = await mark('pgproof-verify-live', { pid: process.pid, start: processStartTime(process.pid) });
    const recycled = await mark('pgproof-cluster-recycled', { pid: process.pid, start: 'another-start-time' });
    const unmarked = await mark('pgproof-verify-unmarked', undefined);
    const other = await mark('something-else', { pid: Number(dead) });
    // WHEN
    const removed = await removeStaleWorkDirs([parent]);
    // THEN
    expect(removed.sort()).toEqual([recycled, stale].sort());
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(recycled)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(unmarked)).toBe(true);
    expect(existsSync(other)).toBe(true);
  });
});
