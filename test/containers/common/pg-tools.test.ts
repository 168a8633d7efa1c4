import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  discoverPgInstalls,
  majorFromVersionNum,
  parsePgVersion,
  selectDumpClient,
  selectRestoreServer,
  type PgInstall,
} from '../../../containers/common/pg-tools';

const install = (major: number, hasServer = true): PgInstall => ({
  major,
  version: `${major}.3`,
  binDir: `/pg/${major}/bin`,
  hasServer,
});

describe('parsing versions', () => {
  it('reads Debian and plain pg_dump banners', () => {
    expect(parsePgVersion('pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)')).toEqual({
      major: 15,
      version: '15.18',
    });
    expect(parsePgVersion('pg_dump (PostgreSQL) 18beta1')).toEqual({ major: 18, version: '18' });
    expect(parsePgVersion('not postgres')).toBeUndefined();
  });
  it('derives the major from server_version_num', () => {
    expect(majorFromVersionNum(150018)).toBe(15);
    expect(majorFromVersionNum(180001)).toBe(18);
  });
});

describe('choosing pg_dump for a server', () => {
  it('prefers the exact major, then the oldest newer one', () => {
    expect(selectDumpClient(15, '15.4', [install(17), install(15), install(14)]).major).toBe(15);
    expect(selectDumpClient(15, '15.4', [install(18), install(16), install(14)]).major).toBe(16);
  });
  it('refuses an older client and names the server version and the clients found (the GitLab failure)', () => {
    expect(() => selectDumpClient(16, '16.2', [install(15), install(14)])).toThrow(
      /server runs PostgreSQL 16\.2 .*no pg_dump of major 16 or newer.*found: 15\.3 \(\/pg\/15\/bin\), 14\.3/,
    );
    expect(() => selectDumpClient(16, '16.2', [])).toThrow(/found: none/);
  });
  it('picks restore server binaries that can read the archive', () => {
    expect(selectRestoreServer(15, 15, [install(17), install(15)]).major).toBe(15);
    expect(selectRestoreServer(14, 16, [install(14), install(16)]).major).toBe(16);
    expect(() => selectRestoreServer(15, 15, [install(15, false)])).toThrow(/no PostgreSQL server of major 15/);
  });
});

describe('discovering installations on disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-tools-'));
    await mkdir(path.join(dir, '12', 'bin'), { recursive: true });
    const fake = path.join(dir, '12', 'bin', 'pg_dump');
    await writeFile(fake, '#!/bin/sh\necho "pg_dump (PostgreSQL) 12.22"\n');
    await chmod(fake, 0o755);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('finds the real PostgreSQL 15 of this machine under /usr/lib/postgresql', async () => {
    const installs = await discoverPgInstalls({ roots: ['/usr/lib/postgresql'], searchPath: '' });
    expect(installs.map((i) => i.major)).toContain(15);
    expect(installs.find((i) => i.major === 15)?.hasServer).toBe(true);
  });

  it('sees only the old client in a directory that only has one, so the real server is refused', async () => {
    const installs = await discoverPgInstalls({ roots: [dir], searchPath: '' });
    expect(installs).toEqual([{ major: 12, version: '12.22', binDir: path.join(dir, '12', 'bin'), hasServer: false }]);
    expect(() => selectDumpClient(15, '15.18', installs)).toThrow(/PostgreSQL 15\.18.*found: 12\.22/);
  });
});
