import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import { ensureBundles } from '../../bin/bundles.mjs';
import { runBackup, type BackupResult, type BackupSettings } from '../../containers/backup/backup';
import { parseEngineConfig } from '../../containers/common/engine-config';
import type { VerifySettings } from '../../containers/verify/verify';
import { createLogger, type Logger } from '../../containers/common/log';
import { connect, type ConnectionParams } from '../../containers/common/pg-connection';
import { parseLocalResult, type LocalResultLine } from '../../containers/common/reporter';
import { createS3Client } from '../../containers/common/s3';
import { which } from '../../containers/common/which';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Connection parameters of a database on the shared source cluster (superuser, TCP, password). */
export function sourceConnection(database: string, overrides: Partial<ConnectionParams> = {}): ConnectionParams {
  const s = inject('source');
  return { host: s.host, port: s.port, user: s.user, password: s.password, database, sslMode: 'prefer', ...overrides };
}

/** Creates a fresh database with a unique name on the source cluster and runs `setup` in it. */
export async function createSourceDatabase(
  prefix: string,
  setup?: (sql: (text: string) => Promise<unknown>) => Promise<void>,
): Promise<ConnectionParams> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = await connect(sourceConnection('postgres'));
  await admin.query(`create database ${name}`);
  await admin.end();
  if (setup) {
    const client = await connect(sourceConnection(name));
    try {
      await setup((text) => client.query(text));
    } finally {
      await client.end();
    }
  }
  return sourceConnection(name);
}

export function testS3(): S3Client {
  return createS3Client({ endpoint: inject('s3Endpoint'), region: 'us-east-1' });
}

/** Credentials s3rver accepts, for child processes. */
export const S3RVER_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
process.env.AWS_ACCESS_KEY_ID ??= S3RVER_ENV.AWS_ACCESS_KEY_ID;
process.env.AWS_SECRET_ACCESS_KEY ??= S3RVER_ENV.AWS_SECRET_ACCESS_KEY;

export async function createBucket(prefix = 'pgproof-test'): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  await testS3().send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

export async function listAllKeys(bucket: string, prefix = ''): Promise<string[]> {
  const out = await testS3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

export async function getObjectBytes(bucket: string, key: string): Promise<Buffer> {
  const out = await testS3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

/** A logger that keeps its lines, so tests can assert what was (and was not) logged. */
export function captureLogger(service = 'test'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ service, level: 'DEBUG', write: (l) => lines.push(l) }), lines };
}

export interface TaskProcessResult extends NodeProcessResult {
  result: LocalResultLine | undefined;
}

export interface NodeProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a Node script of this repository as a child process with a minimal environment (PATH, HOME, the local S3
 * server's credentials, plus `env`), collecting its output. The one way tests start our programs.
 */
export function runNodeProcess(
  args: string[],
  env: Record<string, string> = {},
  options: { onSpawn?: (pid: number) => void; onStderr?: (text: string, pid: number) => void } = {},
): Promise<NodeProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...S3RVER_ENV, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      options.onStderr?.(d.toString(), child.pid ?? 0);
    });
    child.on('error', reject);
    if (child.pid) options.onSpawn?.(child.pid);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs a container entrypoint as a child process, as the local runner does, with only the given environment. */
export async function runTaskProcess(
  entry: 'backup' | 'verify',
  env: Record<string, string>,
  options: { onSpawn?: (pid: number) => void; onStderr?: (text: string) => void } = {},
): Promise<TaskProcessResult> {
  // The bundle the local runner (and the image) runs, not a second way of starting the engine.
  const bundle = (await ensureBundles([entry]))[entry];
  const out = await runNodeProcess([bundle], env, options);
  return { ...out, result: parseLocalResult(out.stdout) };
}

/** The environment a backup/verify task gets for a database of the source cluster and a test bucket. */
export function taskEnv(
  conn: ConnectionParams,
  bucket: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PGHOST: conn.host,
    PGPORT: String(conn.port),
    PGUSER: conn.user,
    PGDATABASE: conn.database,
    ...(conn.password !== undefined ? { PGPASSWORD: conn.password } : {}),
    PGSSLMODE: conn.sslMode,
    PGPROOF_BUCKET: bucket,
    PGPROOF_S3_ENDPOINT: inject('s3Endpoint'),
    ...extra,
  };
}

/** How the tests run a backup in-process: the machine's PostgreSQL clients, zstd, the shared S3 server. */
export async function backupSettingsFor(
  conn: ConnectionParams,
  bucket: string,
  config: unknown = {},
): Promise<BackupSettings> {
  return {
    connection: conn,
    storage: { bucket, prefix: 'pgproof', endpoint: inject('s3Endpoint') },
    config: parseEngineConfig(config),
    discovery: { roots: ['/usr/lib/postgresql'], searchPath: '' },
    zstdPath: await which('zstd'),
  };
}

/** Backs up `conn` into `bucket` in-process (a logger that keeps its lines). */
export async function backupForTest(
  conn: ConnectionParams,
  bucket: string,
  config: unknown = {},
): Promise<BackupResult> {
  return runBackup(await backupSettingsFor(conn, bucket, config), { s3: testS3(), logger: captureLogger().logger });
}

/** How the tests run a verification in-process: the backup at `key`, restored under `workDir`. */
export async function verifySettingsFor(
  bucket: string,
  key: string,
  workDir: string,
  config: unknown = {},
): Promise<VerifySettings> {
  return {
    storage: { bucket, prefix: 'pgproof', endpoint: inject('s3Endpoint') },
    key,
    config: parseEngineConfig(config),
    discovery: { roots: ['/usr/lib/postgresql'], searchPath: '' },
    zstdPath: await which('zstd'),
    workDir,
  };
}
