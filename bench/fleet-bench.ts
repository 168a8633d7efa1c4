// Benchmark: one local run proving a fleet of small databases, at Map concurrency 1 and 4, side by side in one run.
// Usage: npm run bench:fleet [-- --databases 20 --rows 200 --concurrency 1,4]   (prints a Markdown table)
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '../containers/common/pg-connection';
import { discoverPgInstalls } from '../containers/common/pg-tools';
import { startThrowawayCluster } from '../containers/common/throwaway-cluster';
import { EMBEDDED_S3_CREDENTIALS, startEmbeddedS3 } from '../lib/local/embedded-s3';
import { localFleet } from '../lib/local/local-fleet';
import { runLocally } from '../lib/local/local-run';
import { createSampleDatabase } from '../lib/local/sample-database';

const { values } = parseArgs({
  options: {
    databases: { type: 'string', default: '20' },
    rows: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '1,4' },
  },
});

async function main(): Promise<void> {
  const count = Number(values.databases);
  const levels = values.concurrency.split(',').map(Number);
  const pg = (await discoverPgInstalls()).find((i) => i.hasServer);
  if (!pg) throw new Error('needs PostgreSQL server binaries');
  const cluster = await startThrowawayCluster({ binDir: pg.binDir });
  const names = Array.from({ length: count }, (_, i) => `fleet_${String(i + 1).padStart(2, '0')}`);
  try {
    const admin = await connect(cluster.connection('postgres'));
    for (const name of names) await admin.query(`create database ${name}`);
    await admin.end();
    for (const name of names) {
      const client = await connect(cluster.connection(name));
      await createSampleDatabase(client, { rows: Number(values.rows) });
      await client.end();
    }
    const rows: string[] = [];
    const baseline: { seconds?: number } = {};
    for (const maxConcurrency of levels) {
      const stateDir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-fleet-bench-'));
      const s3 = await startEmbeddedS3(stateDir);
      try {
        const started = process.hrtime.bigint();
        // The settings a `--databases` run gets: keyed by database id, each on the cluster.
        const fleet = localFleet({ urlDatabase: names[0]!, databases: names, maxConcurrency });
        const record = await runLocally({
          connection: cluster.connection(names[0]!),
          databases: fleet.ids,
          maxConcurrency: fleet.maxConcurrency,
          config: fleet.config,
          s3: { endpoint: s3.endpoint, bucket: s3.bucket, credentials: { ...EMBEDDED_S3_CREDENTIALS } },
        });
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const verified = record.databases?.filter((d) => d.status === 'SUCCEEDED').length ?? 0;
        if (record.status !== 'SUCCEEDED') {
          throw new Error(`the run at concurrency ${maxConcurrency} failed: ${JSON.stringify(record.error)}`);
        }
        baseline.seconds ??= seconds;
        rows.push(
          `| ${maxConcurrency} | ${verified}/${count} | ${seconds.toFixed(1)} | ${(seconds / count).toFixed(2)} | ${(baseline.seconds / seconds).toFixed(2)}× |`,
        );
      } finally {
        await s3.stop();
        await rm(stateDir, { recursive: true, force: true });
      }
    }
    console.log(
      `\n${count} databases of ${values.rows} sample rows each, ${os.cpus().length} cores, one local run each:\n`,
    );
    console.log('| max concurrency | verified | wall seconds | seconds per database | speed-up vs first row |');
    console.log('|---:|---:|---:|---:|---:|');
    for (const row of rows) console.log(row);
  } finally {
    await cluster.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
