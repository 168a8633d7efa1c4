import { spawnSync } from 'node:child_process';
import { appendFile, chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ENGINE_ENV } from '../../lib/contracts/engine-env';
import { ClusterStartFailed, DiskFull } from './errors';
import { runCommand } from './process';
import { markWorkDir } from './work-dir';
import type { ConnectionParams } from './pg-connection';

export interface ThrowawayClusterOptions {
  /** Directory of initdb, pg_ctl and postgres. */
  readonly binDir: string;
  /** Where the cluster's directory is created. @default - the OS temporary directory */
  readonly parentDir?: string;
  /** Listen on 127.0.0.1 too (password auth) instead of the private socket only. @default false */
  readonly tcp?: boolean;
  /** Password for the superuser over TCP. @default - trust on the private socket only */
  readonly superuserPassword?: string;
  /** Extra postgresql.conf settings. */
  readonly settings?: Readonly<Record<string, string | number>>;
}

/** A PostgreSQL cluster that exists only for the life of one run. */
export interface ThrowawayCluster {
  readonly rootDir: string;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly port: number;
  readonly binDir: string;
  readonly superuser: string;
  /** Connection parameters for a database of this cluster (socket, or TCP when `tcp` was asked for). */
  connection(database: string): ConnectionParams;
  /** Stops the server and removes every file of the cluster; safe to call more than once. */
  stop(): Promise<void>;
}

/** The unprivileged account used when we run as root (initdb and postgres refuse root). */
export function unprivilegedAccount(): { uid: number; gid: number; name: string } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const name = process.env[ENGINE_ENV.clusterUser] ?? 'postgres';
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new ClusterStartFailed(
      `running as root, and PostgreSQL refuses to run as root, but the user "${name}" to run the throwaway ` +
        `cluster as does not exist: create it or set ${ENGINE_ENV.clusterUser} to an unprivileged user`,
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), name };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Settings that make a disposable cluster fast: its data is thrown away, so durability buys nothing. */
export const THROWAWAY_SETTINGS: Readonly<Record<string, string | number>> = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  wal_level: 'minimal',
  max_wal_senders: 0,
  max_wal_size: '4GB',
  checkpoint_timeout: '30min',
  autovacuum: 'off',
  maintenance_work_mem: '256MB',
  logging_collector: 'off',
  // Containers often give /dev/shm only 64 MB, too little for parallel index builds during a restore.
  dynamic_shared_memory_type: 'mmap',
};

const live = new Set<ThrowawayCluster>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last line of defence: whatever ends the process normally, no cluster survives it.
  process.on('exit', () => {
    for (const cluster of live) stopSync(cluster);
  });
}

function stopSync(cluster: ThrowawayCluster): void {
  spawnSync(path.join(cluster.binDir, 'pg_ctl'), ['-D', cluster.dataDir, '-m', 'immediate', '-w', 'stop'], {
    stdio: 'ignore',
    ...asUser(),
  });
  rmSync(cluster.rootDir, { recursive: true, force: true });
  rmSync(cluster.socketDir, { recursive: true, force: true });
  live.delete(cluster);
}

/** Stops every cluster started by this process (for signal handlers). */
export async function stopAllClusters(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop().catch(() => undefined)));
}

function asUser(): { uid?: number; gid?: number } {
  const account = unprivilegedAccount();
  return account ? { uid: account.uid, gid: account.gid } : {};
}

function conf(settings: Readonly<Record<string, string | number>>): string {
  return Object.entries(settings)
    .map(([k, v]) => `${k} = ${typeof v === 'number' ? v : `'${String(v).replace(/'/g, "''")}'`}`)
    .join('\n');
}

/**
 * Creates and starts a PostgreSQL cluster in a new temporary directory (initdb + pg_ctl), listening on a
 * private Unix socket (and 127.0.0.1 when asked). As root, it runs as an unprivileged user.
 */
export async function startThrowawayCluster(options: ThrowawayClusterOptions): Promise<ThrowawayCluster> {
  const account = unprivilegedAccount();
  const owner = account ? { uid: account.uid, gid: account.gid } : {};
  const parent = options.parentDir ?? os.tmpdir();
  await mkdir(parent, { recursive: true });
  const rootDir = await mkdtemp(path.join(parent, 'pgproof-cluster-'));
  const dataDir = path.join(rootDir, 'data');
  // Unix socket paths are limited to ~107 bytes: keep the socket in a short directory of its own.
  const socketDir = await mkdtemp(path.join(os.tmpdir(), 'pgs-'));
  // Marked with our pid: if this process is killed (-9), the next pgproof start stops the server and removes both.
  await markWorkDir(rootDir);
  await markWorkDir(socketDir);
  const superuser = 'postgres';
  const port = options.tcp ? await freePort() : 5432;

  let started = false;
  const cluster: ThrowawayCluster = {
    rootDir,
    dataDir,
    socketDir,
    port,
    binDir: options.binDir,
    superuser,
    connection: (database) => ({
      host: options.tcp ? '127.0.0.1' : socketDir,
      port,
      user: superuser,
      database,
      sslMode: 'disable',
      ...(options.tcp && options.superuserPassword ? { password: options.superuserPassword } : {}),
    }),
    stop: async () => {
      if (!live.has(cluster)) return;
      live.delete(cluster);
      if (started) {
        const fast = await runCommand(
          path.join(options.binDir, 'pg_ctl'),
          ['-D', dataDir, '-m', 'fast', '-w', '-t', '30', 'stop'],
          owner,
        ).catch(() => undefined);
        if (fast?.code !== 0) {
          await runCommand(
            path.join(options.binDir, 'pg_ctl'),
            ['-D', dataDir, '-m', 'immediate', '-w', 'stop'],
            owner,
          ).catch(() => undefined);
        }
      }
      await rm(rootDir, { recursive: true, force: true });
      await rm(socketDir, { recursive: true, force: true });
    },
  };
  live.add(cluster);
  installExitHook();

  try {
    if (account) {
      await chown(rootDir, account.uid, account.gid);
      await chown(socketDir, account.uid, account.gid);
    }
    await chmod(rootDir, 0o700);
    await chmod(socketDir, 0o700);

    const initArgs = ['-D', dataDir, '-U', superuser, '-E', 'UTF8', '--locale=C', '--no-sync', '--auth-local=trust'];
    if (options.tcp && options.superuserPassword) {
      const pwfile = path.join(rootDir, 'pwfile');
      await writeFile(pwfile, `${options.superuserPassword}\n`, { mode: 0o600 });
      if (account) await chown(pwfile, account.uid, account.gid);
      initArgs.push('--auth-host=scram-sha-256', `--pwfile=${pwfile}`);
    } else {
      initArgs.push('--auth-host=trust');
    }
    const init = await runCommand(path.join(options.binDir, 'initdb'), initArgs, owner);
    await rm(path.join(rootDir, 'pwfile'), { force: true });
    if (init.code !== 0) throw clusterError('initdb', init.stderr || init.stdout);

    await appendFile(
      path.join(dataDir, 'postgresql.conf'),
      '\n# pgproof throwaway cluster\n' +
        conf({
          listen_addresses: options.tcp ? '127.0.0.1' : '',
          port,
          unix_socket_directories: socketDir,
          ...THROWAWAY_SETTINGS,
          ...options.settings,
        }) +
        '\n',
    );
    const logFile = path.join(rootDir, 'server.log');
    const start = await runCommand(
      path.join(options.binDir, 'pg_ctl'),
      ['-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start'],
      owner,
    );
    started = true;
    if (start.code !== 0) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      throw clusterError('pg_ctl start', `${start.stderr}\n${log}`);
    }
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

function clusterError(step: string, output: string): Error {
  const tail = output.trim().split('\n').slice(-8).join('\n');
  if (/No space left on device|could not extend file|ENOSPC/i.test(output)) {
    return new DiskFull(
      `the throwaway cluster ran out of disk space during ${step}: ${tail}. Give the task more ephemeral storage.`,
    );
  }
  const hint = /Permission denied/i.test(output)
    ? ' (the cluster runs as an unprivileged user when pgproof runs as root: every directory above it must be traversable by that user)'
    : '';
  return new ClusterStartFailed(`could not start the throwaway PostgreSQL cluster (${step} failed): ${tail}${hint}`);
}
