import type { TestProject } from 'vitest/node';
import { startSourceCluster, type SourceCluster } from './helpers/source-cluster';
import { startS3Server, type S3Server } from './helpers/s3-server';

declare module 'vitest' {
  export interface ProvidedContext {
    /** libpq parameters (TCP, password auth) of the shared source cluster. */
    source: { host: string; port: number; user: string; password: string; binDir: string };
    /** Endpoint of the shared local S3 server. */
    s3Endpoint: string;
  }
}

/**
 * One source PostgreSQL cluster and one local S3 server for the whole run: starting them per file would cost
 * seconds each. Suites create their own databases and buckets inside them, so they do not interfere.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let cluster: SourceCluster | undefined;
  let s3: S3Server | undefined;
  try {
    cluster = await startSourceCluster();
    s3 = await startS3Server();
  } catch (error) {
    await cluster?.stop();
    await s3?.stop();
    throw error;
  }
  project.provide('source', cluster.params);
  project.provide('s3Endpoint', s3.endpoint);
  return async () => {
    await s3?.stop();
    await cluster?.stop();
  };
}
