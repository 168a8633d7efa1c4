import { ENGINE_ENV } from '../../lib/contracts/engine-env';
import { access, readdir, realpath } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { runCommand } from './process';
import { PgVersionMismatch } from './errors';

/** One PostgreSQL installation (a directory holding pg_dump, pg_restore and maybe the server binaries). */
export interface PgInstall {
  /** Major version, e.g. 15. */
  readonly major: number;
  /** Full version string as printed by `pg_dump --version`, e.g. "15.18". */
  readonly version: string;
  /** Directory of the binaries. */
  readonly binDir: string;
  /** Whether initdb, pg_ctl and postgres are present too (needed for a throwaway cluster). */
  readonly hasServer: boolean;
}

export interface DiscoveryOptions {
  /** Roots laid out like Debian's `/usr/lib/postgresql/<major>/bin`. */
  readonly roots?: readonly string[];
  /** PATH-style list of directories also searched for pg_dump. */
  readonly searchPath?: string;
}

/** Default discovery roots; `ENGINE_ENV.pgRoots` (colon-separated) replaces them, `ENGINE_ENV.pgSearchPath` PATH. */
export function discoveryOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): DiscoveryOptions {
  const roots = env[ENGINE_ENV.pgRoots];
  const searchPath = env[ENGINE_ENV.pgSearchPath];
  return {
    roots: roots !== undefined ? roots.split(':').filter(Boolean) : ['/usr/lib/postgresql', '/usr/pgsql'],
    searchPath: searchPath !== undefined ? searchPath : (env.PATH ?? ''),
  };
}

/** Parses `pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` into major 15 and version "15.18". */
export function parsePgVersion(text: string): { major: number; version: string } | undefined {
  const match =
    /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text) ?? /PostgreSQL\)?\s+(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) return undefined;
  const major = Number(match[1]);
  // Before 10, the major was two numbers (9.6); pgproof does not support those servers but still reports them.
  const version = [match[1], match[2], match[3]].filter((p) => p !== undefined).join('.');
  return { major, version };
}

/** Major version from `server_version_num` (e.g. 150018 → 15; 90624 → 9, i.e. the 9.x series). */
export function majorFromVersionNum(versionNum: number): number {
  return Math.floor(versionNum / 10000);
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function probe(binDir: string): Promise<PgInstall | undefined> {
  const pgDump = path.join(binDir, 'pg_dump');
  if (!(await isExecutable(pgDump))) return undefined;
  let parsed: { major: number; version: string } | undefined;
  try {
    const out = await runCommand(pgDump, ['--version']);
    parsed = out.code === 0 ? parsePgVersion(out.stdout) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed) return undefined;
  const server = await Promise.all(['initdb', 'pg_ctl', 'postgres'].map((t) => isExecutable(path.join(binDir, t))));
  return { ...parsed, binDir, hasServer: server.every(Boolean) };
}

/** Finds every PostgreSQL client installation under the roots and on the search path, newest major first. */
export async function discoverPgInstalls(options: DiscoveryOptions = discoveryOptionsFromEnv()): Promise<PgInstall[]> {
  const dirs: string[] = [];
  for (const root of options.roots ?? []) {
    let entries: string[] = [];
    try {
      entries = await readdir(root);
    } catch {
      continue;
    }
    for (const entry of entries) if (/^\d+(\.\d+)?$/.test(entry)) dirs.push(path.join(root, entry, 'bin'));
  }
  for (const dir of (options.searchPath ?? '').split(':').filter(Boolean)) dirs.push(dir);

  const seen = new Set<string>();
  const installs: PgInstall[] = [];
  for (const dir of dirs) {
    const found = await probe(dir);
    if (!found) continue;
    // Debian's /usr/bin/pg_dump is a wrapper around one of the /usr/lib/postgresql dirs, probed first:
    // keep one entry per binary and per version.
    const real = await realpath(path.join(dir, 'pg_dump')).catch(() => path.join(dir, 'pg_dump'));
    if (seen.has(real) || installs.some((i) => i.version === found.version)) continue;
    seen.add(real);
    installs.push(found);
  }
  return installs.sort((a, b) => b.major - a.major || Number(b.hasServer) - Number(a.hasServer));
}

function describeInstalls(installs: readonly PgInstall[]): string {
  if (installs.length === 0) return 'none';
  return installs.map((i) => `${i.version} (${i.binDir})`).join(', ');
}

/**
 * Chooses the pg_dump for a server: the same major, else the oldest newer one (pg_dump reads older servers,
 * never newer ones: an older pg_dump against a newer server is how GitLab lost its backups).
 */
export function selectDumpClient(
  serverMajor: number,
  serverVersion: string,
  installs: readonly PgInstall[],
): PgInstall {
  const exact = installs.find((i) => i.major === serverMajor);
  if (exact) return exact;
  const newer = installs.filter((i) => i.major > serverMajor).sort((a, b) => a.major - b.major);
  if (newer[0]) return newer[0];
  throw new PgVersionMismatch(
    `the database server runs PostgreSQL ${serverVersion} (major ${serverMajor}), but no pg_dump of major ` +
      `${serverMajor} or newer is installed; found: ${describeInstalls(installs)}. Install the PostgreSQL ` +
      `${serverMajor} client (e.g. postgresql-client-${serverMajor}) in the backup image or add its major to ` +
      `containers/pg-majors.json; refusing to write a dump with a client older than the server.`,
  );
}

/**
 * Chooses the server binaries for a throwaway cluster restoring a dump of `dumpServerMajor` made by a pg_dump of
 * `dumpClientMajor`: the same major as the dump's server, else the oldest newer one whose pg_restore can read
 * the archive.
 */
export function selectRestoreServer(
  dumpServerMajor: number,
  dumpClientMajor: number,
  installs: readonly PgInstall[],
): PgInstall {
  const servers = installs.filter((i) => i.hasServer && i.major >= dumpClientMajor);
  const exact = servers.find((i) => i.major === dumpServerMajor);
  if (exact) return exact;
  const newer = servers.filter((i) => i.major > dumpServerMajor).sort((a, b) => a.major - b.major);
  if (newer[0]) return newer[0];
  throw new PgVersionMismatch(
    `the dump comes from PostgreSQL ${dumpServerMajor} (pg_dump ${dumpClientMajor}), but no PostgreSQL server ` +
      `of major ${Math.max(dumpServerMajor, dumpClientMajor)} or newer is installed for the throwaway cluster; ` +
      `found: ${describeInstalls(installs)}. Install postgresql-${dumpServerMajor} in the verify image.`,
  );
}
