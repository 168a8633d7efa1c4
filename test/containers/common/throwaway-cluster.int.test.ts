import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';
import { connect } from '../../../containers/common/pg-connection';
import { startThrowawayCluster, unprivilegedAccount } from '../../../containers/common/throwaway-cluster';

describe('throwaway cluster', () => {
  it('starts on a private socket, serves queries, and leaves nothing behind when stopped', async () => {
    // GIVEN
    const { binDir } = inject('source');
    // WHEN
    const cluster = await startThrowawayCluster({ binDir });
    const client = await connect(cluster.connection('postgres'));
    const { rows } = await client.query<{ fsync: string; listen: string }>(
      "select current_setting('fsync') as fsync, current_setting('listen_addresses') as listen",
    );
    await client.end();
    await cluster.stop();
    // THEN
    expect(rows[0]).toEqual({ fsync: 'off', listen: '' });
    expect(existsSync(cluster.rootDir)).toBe(false);
    expect(existsSync(cluster.socketDir)).toBe(false);
  });

  it('runs the server as an unprivileged user when the tests run as root', async () => {
    const { binDir } = inject('source');
    const cluster = await startThrowawayCluster({ binDir });
    try {
      const owner = (await stat(cluster.dataDir)).uid;
      const account = unprivilegedAccount();
      if (process.getuid?.() === 0) {
        expect(account?.uid).toBeGreaterThan(0);
        expect(owner).toBe(account?.uid);
      } else {
        expect(account).toBeUndefined();
        expect(owner).toBe(process.getuid?.());
      }
    } finally {
      await cluster.stop();
    }
    await cluster.stop(); // a second stop is harmless
  });
});
