import { randomBytes } from 'node:crypto';
import { connect, type ConnectionParams } from '../../containers/common/pg-connection';
import { discoverPgInstalls } from '../../containers/common/pg-tools';
import { registerSecret } from '../common/redact';
import { startThrowawayCluster } from '../../containers/common/throwaway-cluster';
import { createSampleDatabase } from './sample-database';

export interface DemoSource {
  readonly connection: ConnectionParams;
  stop(): Promise<void>;
}

/**
 * A throwaway "production" server for the demo: TCP on 127.0.0.1 with a random password (so the demo exercises
 * the same password path as a real run), holding the sample database `shop`.
 */
export async function startDemoSource(rows = 2000): Promise<DemoSource> {
  const server = (await discoverPgInstalls()).find((i) => i.hasServer);
  if (!server) {
    throw new Error(
      'the demo needs PostgreSQL server binaries (initdb, pg_ctl, postgres): install PostgreSQL, e.g. apt-get install postgresql',
    );
  }
  const password = randomBytes(18).toString('base64url');
  registerSecret(password);
  const cluster = await startThrowawayCluster({ binDir: server.binDir, tcp: true, superuserPassword: password });
  try {
    const admin = await connect(cluster.connection('postgres'));
    await admin.query('create database shop');
    await admin.end();
    const client = await connect(cluster.connection('shop'));
    await createSampleDatabase(client, { rows });
    await client.end();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return { connection: { ...cluster.connection('shop'), sslMode: 'disable' }, stop: () => cluster.stop() };
}
