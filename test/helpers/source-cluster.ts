import { discoverPgInstalls } from '../../containers/common/pg-tools';
import { startThrowawayCluster } from '../../containers/common/throwaway-cluster';

export interface SourceCluster {
  params: { host: string; port: number; user: string; password: string; binDir: string };
  stop(): Promise<void>;
}

/** The password of the test source cluster: tests assert it never shows up in any output. */
export const SOURCE_PASSWORD = 'Sup3r-Secret-Pw-7f3a9c';

/** Starts the "production" database server the tests back up: TCP on 127.0.0.1 with a password. */
export async function startSourceCluster(): Promise<SourceCluster> {
  const installs = await discoverPgInstalls();
  const server = installs.find((i) => i.hasServer);
  if (!server)
    throw new Error('the tests need PostgreSQL server binaries (initdb, pg_ctl, postgres); install postgresql');
  const cluster = await startThrowawayCluster({ binDir: server.binDir, tcp: true, superuserPassword: SOURCE_PASSWORD });
  return {
    params: {
      host: '127.0.0.1',
      port: cluster.port,
      user: cluster.superuser,
      password: SOURCE_PASSWORD,
      binDir: server.binDir,
    },
    stop: () => cluster.stop(),
  };
}
