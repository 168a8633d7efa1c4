// Benchmark: pgproof's backup pipeline against bare pg_dump on the same database, side by side in one run.
// Usage: npm run bench [-- --rows 1500000 --scale 20]   (prints a Markdown table; nothing is asserted)
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { runBackup } from '../containers/backup/backup';
import { parseEngineConfig } from '../containers/common/engine-config';
import { createLogger } from '../containers/common/log';
import { connect, libpqEnv } from '../containers/common/pg-connection';
import { discoverPgInstalls, discoveryOptionsFromEnv } from '../containers/common/pg-tools';
import { createS3Client } from '../containers/common/s3';
import { startThrowawayCluster } from '../containers/common/throwaway-cluster';
import { which } from '../containers/common/which';
import { runVerify } from '../containers/verify/verify';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1500000' },
    scale: { type: 'string', default: '20' },
    'random-bytes-mb': { type: 'string', default: '100' },
  },
});
process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';

/** Runs a shell pipeline, counting the bytes it writes to stdout; returns seconds and bytes. */
function timed(shell: string, env: NodeJS.ProcessEnv): Promise<{ seconds: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('bash', ['-o', 'pipefail', '-c', shell], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let bytes = 0;
    child.stdout.on('data', (d: Buffer) => (bytes += d.length));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${shell} exited with ${code}`));
      resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, bytes });
    });
  });
}

async function main(): Promise<void> {
  const installs = await discoverPgInstalls();
  const pg = installs.find((i) => i.hasServer);
  if (!pg) throw new Error('needs PostgreSQL server binaries');
  const cluster = await startThrowawayCluster({ binDir: pg.binDir, settings: { shared_buffers: '256MB' } });
  const s3dir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-bench-s3-'));
  const s3server = new S3rver({ address: '127.0.0.1', port: 0, directory: s3dir, silent: true });
  const { port } = await s3server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const s3 = createS3Client({ endpoint, region: 'us-east-1' });
  await s3.send(new CreateBucketCommand({ Bucket: 'bench' }));
  const logger = createLogger({ service: 'bench', level: 'WARN' });
  try {
    const admin = await connect(cluster.connection('postgres'));
    await admin.query('create database bench');
    await admin.end();
    const conn = cluster.connection('bench');
    const env = libpqEnv(conn);
    console.error(`loading: pgbench scale ${values.scale} + ${values.rows} rows of random text…`);
    await timed(`${path.join(pg.binDir, 'pgbench')} -i -q -s ${values.scale} bench >/dev/null 2>&1`, env);
    const client = await connect(conn);
    await client.query(
      `create table random_text as select i, md5(random()::text) || repeat(md5(random()::text), 3) as t, random() * 1000 as f, now() - random() * interval '365 days' as at from generate_series(1, ${Number(values.rows)}) i`,
    );
    // Incompressible data too: random bytes (md5 digests decoded), which no compressor can shrink.
    const randomRows = Math.round((Number(values['random-bytes-mb']) * 1e6) / 64);
    await client.query(
      `create table random_bytes as select i, decode(md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text), 'hex') as b from generate_series(1, ${randomRows}) i`,
    );
    await client.query('vacuum analyze');
    const { rows } = await client.query<{ size: string }>("select pg_size_pretty(pg_database_size('bench')) as size");
    await client.end();

    const dump = path.join(pg.binDir, 'pg_dump');
    const results: Array<{ name: string; seconds: number; bytes: number }> = [];
    const add = (name: string, r: { seconds: number; bytes: number }) => {
      results.push({ name, ...r });
      console.error(`${name}: ${r.seconds.toFixed(2)} s, ${(r.bytes / 1e6).toFixed(1)} MB`);
    };
    add('bare `pg_dump -Fc` (default gzip) to /dev/null', await timed(`${dump} -Fc`, env));
    add('bare `pg_dump -Fc -Z0`', await timed(`${dump} -Fc -Z0`, env));
    for (const level of [1, 3])
      add(`\`pg_dump -Fc -Z0 | zstd -T0 -${level}\``, await timed(`${dump} -Fc -Z0 | zstd -q -c -T0 -${level}`, env));

    const zstdPath = await which('zstd');
    for (const compression of [
      { method: 'zstd', level: 1, threads: 0 },
      { method: 'zstd', level: 3, threads: 0 },
      { method: 'pg_dump', level: 6 },
    ]) {
      const started = process.hrtime.bigint();
      let peakRss = process.memoryUsage().rss;
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
      const result = await runBackup(
        {
          connection: conn,
          storage: { bucket: 'bench', prefix: 'pgproof', endpoint },
          config: parseEngineConfig({ compression }),
          discovery: discoveryOptionsFromEnv(),
          zstdPath,
        },
        { s3, logger },
      );
      clearInterval(sampler);
      console.error(
        `peak RSS of the backup process (S3 client, upload buffers, bench harness): ${(peakRss / 1e6).toFixed(0)} MB`,
      );
      add(
        `pgproof backup (${compression.method}${'level' in compression ? ` level ${compression.level}` : ''}) to local S3, with row counts and manifest`,
        {
          seconds: Number(process.hrtime.bigint() - started) / 1e9,
          bytes: result.bytes,
        },
      );
      if (compression.level === 1 && compression.method === 'zstd') {
        const v = await runVerify(
          {
            storage: { bucket: 'bench', prefix: 'pgproof', endpoint },
            key: result.key,
            config: parseEngineConfig({}),
            discovery: discoveryOptionsFromEnv(),
            zstdPath,
          },
          { s3, logger },
        );
        console.error(
          `verify of that backup: download ${v.downloadSeconds.toFixed(2)} s, restore ${v.restoreSeconds.toFixed(2)} s`,
        );
        results.push({
          name: `pgproof verify: download + decompress (restore ${v.restoreSeconds.toFixed(2)} s, ${v.tables} tables, ${v.rows} rows)`,
          seconds: v.downloadSeconds,
          bytes: v.bytes,
        });
      }
    }

    const base = results[0]!;
    console.log(
      `\nDatabase: pgbench scale ${values.scale} + ${values.rows} random-text rows + ${values['random-bytes-mb']} MB random bytes (${rows[0]!.size} on disk); ${os.cpus().length} cores; PostgreSQL ${pg.version}.\n`,
    );
    console.log('| pipeline | seconds | output MB | time vs bare pg_dump -Fc | size vs bare pg_dump -Fc |');
    console.log('|---|---:|---:|---:|---:|');
    for (const r of results) {
      console.log(
        `| ${r.name.replace(/\|/g, '\\|')} | ${r.seconds.toFixed(2)} | ${(r.bytes / 1e6).toFixed(1)} | ${(r.seconds / base.seconds).toFixed(2)}× | ${(r.bytes / base.bytes).toFixed(2)}× |`,
      );
    }
  } finally {
    await cluster.stop();
    await s3server.close();
    await rm(s3dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
