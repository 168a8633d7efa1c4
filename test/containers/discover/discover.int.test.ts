// Discovery against a PostgreSQL cluster of its own: the shared source cluster holds other suites' databases,
// which would make "exactly these databases" untestable.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dumpKey } from '../../../containers/common/keys';
import { connect, type ConnectionParams } from '../../../containers/common/pg-connection';
import { startThrowawayCluster, type ThrowawayCluster } from '../../../containers/common/throwaway-cluster';
import { discoverDatabases, type DiscoverSettings } from '../../../containers/discover/discover';
import { runDiscover } from '../../../containers/discover/run-discover';
import { ENGINE_ENV } from '../../../lib/contracts/engine-env';
import { backupForTest, captureLogger, createBucket, ROOT, runNodeProcess, testS3 } from '../../helpers/fixtures';
import { parseLocalResult } from '../../../containers/common/reporter';

const SUPERUSER_PASSWORD = 'Discover-Super-Pw-41c7';
/** The password of the unprivileged role discovery logs in as: it must never appear in any output. */
const ROLE_PASSWORD = 'Discover-Role-Pw-9e2b';
const ROLE = 'pgproof_discover';

describe('discover engine (own cluster, local S3 server)', () => {
  let cluster: ThrowawayCluster;
  let bucket: string;
  let role: ConnectionParams;
  let bundleDir: string;
  let bundle: string;

  beforeAll(async () => {
    // GIVEN a server with: two ordinary databases and postgres; a template; one that refuses connections; one
    // the role may not CONNECT to; one to exclude by pattern
    cluster = await startThrowawayCluster({
      binDir: inject('source').binDir,
      tcp: true,
      superuserPassword: SUPERUSER_PASSWORD,
    });
    const admin = await connect(cluster.connection('postgres'));
    try {
      for (const sql of [
        `create role ${ROLE} login password '${ROLE_PASSWORD}'`,
        'create database orders',
        'create database billing',
        'create database tmpl_base is_template true',
        'create database closed',
        'alter database closed allow_connections false',
        'create database hr_private',
        'revoke connect on database hr_private from public',
        'create database scratch_1',
      ])
        await admin.query(sql);
    } finally {
      await admin.end();
    }
    role = { ...cluster.connection('postgres'), user: ROLE, password: ROLE_PASSWORD };
    bucket = await createBucket('pgproof-discover');
    // The image's bundle, built the way the Dockerfile builds it (one self-contained CommonJS file).
    bundleDir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-discover-'));
    bundle = path.join(bundleDir, 'discover.cjs');
    const esbuild = await import('esbuild');
    await esbuild.build({
      entryPoints: [path.join(ROOT, 'containers/discover/main.ts')],
      absWorkingDir: ROOT,
      outfile: bundle,
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'cjs',
      external: ['pg-native'],
      logLevel: 'error',
    });
  });

  afterAll(async () => {
    await cluster?.stop();
    if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
  });

  const settings = (exclude: readonly string[] = ['scratch_*']): DiscoverSettings => ({
    connection: role,
    storage: { bucket, prefix: 'pgproof', endpoint: inject('s3Endpoint') },
    exclude,
  });

  /** The task environment the backup task definition gives discovery (PGDATABASE unset: `postgres`). */
  const taskEnv = (config: unknown, password = ROLE_PASSWORD): Record<string, string> => ({
    PGHOST: role.host,
    PGPORT: String(role.port),
    PGUSER: ROLE,
    PGPASSWORD: password,
    PGSSLMODE: 'disable',
    [ENGINE_ENV.bucket]: bucket,
    [ENGINE_ENV.s3Endpoint]: inject('s3Endpoint'),
    [ENGINE_ENV.config]: JSON.stringify(config),
  });

  it('lists the connectable, non-template databases the role may enter, minus the excluded, sorted, all new', async () => {
    // WHEN
    const { logger, lines } = captureLogger();
    const result = await discoverDatabases(settings(), { s3: testS3(), logger });
    // THEN not tmpl_base/template0/template1 (templates), closed (no connections), hr_private (no CONNECT),
    // scratch_1 (excluded)
    expect(result).toEqual({
      databases: [
        { database: 'billing', isNew: true },
        { database: 'orders', isNew: true },
        { database: 'postgres', isNew: true },
      ],
    });
    expect(lines.join('\n')).not.toContain(ROLE_PASSWORD);
    expect(lines.some((l) => JSON.parse(l).message === 'databases discovered')).toBe(true);
  });

  it('marks a database old once a complete backup of it is in the bucket, and not for an incomplete one', async () => {
    // GIVEN a real backup of orders (dump and manifest) and, for billing, a dump whose run died before its manifest
    await backupForTest(cluster.connection('orders'), bucket, { compression: { method: 'none' } });
    await testS3().send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: dumpKey('pgproof', 'billing', '20261124T030000Z-0123456789', '.dump'),
        Body: 'PGDMP',
      }),
    );
    // WHEN
    const result = await discoverDatabases(settings(), { s3: testS3(), logger: captureLogger().logger });
    // THEN
    expect(result.databases).toEqual([
      { database: 'billing', isNew: true },
      { database: 'orders', isNew: false },
      { database: 'postgres', isNew: true },
    ]);
  });

  it('picks up a database created since the last discovery, marked new', async () => {
    // GIVEN
    const admin = await connect(cluster.connection('postgres'));
    await admin.query('create database analytics');
    await admin.end();
    // WHEN
    const result = await discoverDatabases(settings(['scratch_*', 'post*']), {
      s3: testS3(),
      logger: captureLogger().logger,
    });
    // THEN
    expect(result.databases).toEqual([
      { database: 'analytics', isNew: true },
      { database: 'billing', isNew: true },
      { database: 'orders', isNew: false },
    ]);
  });

  it('as the image runs it: reports the list as the local result line, exclusions from PGPROOF_CONFIG', async () => {
    // WHEN
    const out = await runNodeProcess([bundle], taskEnv({ exclude: ['scratch_*', 'analytics'], checks: [] }));
    // THEN
    expect(out.code).toBe(0);
    expect(parseLocalResult(out.stdout)).toEqual({
      status: 'SUCCEEDED',
      output: {
        databases: [
          { database: 'billing', isNew: true },
          { database: 'orders', isNew: false },
          { database: 'postgres', isNew: true },
        ],
      },
    });
    expect(out.stdout + out.stderr).not.toContain(ROLE_PASSWORD);
    // AND the local runner's in-process call on the same environment gives the same result
    const env = taskEnv({ exclude: ['scratch_*', 'analytics'], checks: [] });
    const inProcess = await runDiscover(env, { s3: testS3(), logger: captureLogger().logger });
    expect(inProcess).toEqual((parseLocalResult(out.stdout) as { output: unknown }).output);
  });

  it('fails with NoDatabasesFound naming host:port and the exclusions, never the password', async () => {
    // WHEN every database is excluded
    const out = await runNodeProcess([bundle], taskEnv({ exclude: ['*'] }));
    // THEN
    expect(out.code).toBe(1);
    const result = parseLocalResult(out.stdout);
    expect(result).toMatchObject({ status: 'FAILED', error: { name: 'NoDatabasesFound' } });
    const message = result?.status === 'FAILED' ? result.error.message : '';
    expect(message).toContain(`127.0.0.1:${cluster.port}`);
    expect(message).toContain('"*" left out "analytics", "billing", "orders", "postgres"');
    expect(out.stdout + out.stderr).not.toContain(ROLE_PASSWORD);
  });

  it('fails a refused login with DatabaseConnectionFailed, the password in no output', async () => {
    // WHEN the password is wrong (the wrong one is a secret too: it is registered before connecting)
    const wrong = `${ROLE_PASSWORD}-wrong`;
    const out = await runNodeProcess([bundle], taskEnv({}, wrong));
    // THEN
    expect(out.code).toBe(1);
    expect(parseLocalResult(out.stdout)).toMatchObject({
      status: 'FAILED',
      error: { name: 'DatabaseConnectionFailed', message: expect.stringContaining(`127.0.0.1:${cluster.port}`) },
    });
    expect(out.stdout + out.stderr).not.toContain(wrong);
    expect(out.stdout + out.stderr).not.toContain(ROLE_PASSWORD);
  });
});
