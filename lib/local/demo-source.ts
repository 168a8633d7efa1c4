import { randomBytes } from 'node:crypto';
import { connect, type ConnectionParams } from '../../containers/common/pg-connection';
import { discoverPgInstalls } from '../../containers/common/pg-tools';
import { registerSecret } from '../common/redact';
import { startThrowawayCluster } from '../../containers/common/throwaway-cluster';
import { createSampleDatabase } from './sample-database';

export interface DemoSource {
  /** The server, connected to `shop`. */
  readonly connection: ConnectionParams;
  /** The databases the demo proves. */
  readonly databases: readonly string[];
  stop(): Promise<void>;
}

/** The demo's second database: a few posts and their comments. */
const BLOG_SQL = (posts: number) => `
create table posts (id int primary key, title text not null, published_at timestamptz not null default now());
insert into posts select i, 'Post ' || i, now() - i * interval '1 day' from generate_series(1, ${posts}) as s(i);
create table comments (id bigserial primary key, post_id int not null references posts(id), body text not null);
insert into comments (post_id, body) select 1 + i % ${posts}, 'Comment ' || i from generate_series(1, ${posts * 5}) as s(i);
`;

/**
 * A throwaway "production" server for the demo: TCP on 127.0.0.1 with a random password (so the demo exercises
 * the same password path as a real run), holding two databases: the sample database `shop` and a small `blog`, so the
 * demo shows a run proving several databases.
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
    await admin.query('create database blog');
    await admin.end();
    const client = await connect(cluster.connection('shop'));
    await createSampleDatabase(client, { rows });
    await client.end();
    const blog = await connect(cluster.connection('blog'));
    await blog.query(BLOG_SQL(Math.max(1, Math.round(rows / 10))));
    await blog.end();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return {
    connection: { ...cluster.connection('shop'), sslMode: 'disable' },
    databases: ['shop', 'blog'],
    stop: () => cluster.stop(),
  };
}
