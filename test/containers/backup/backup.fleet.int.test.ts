// A fleet's backup task: the keyed settings in PGPROOF_CONFIG, the database chosen by PGPROOF_DATABASE. The engine
// bundle runs as in the image; a tiny Secrets Manager refuses every read, as for a role without GetSecretValue.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetSettings } from '../../../lib/contracts/fleet-settings';
import { SOURCE_PASSWORD } from '../../helpers/source-cluster';
import { createBucket, createSourceDatabase, listAllKeys, runTaskProcess, taskEnv } from '../../helpers/fixtures';

/** Answers every GetSecretValue with AccessDeniedException. */
async function refusingSecretsManager(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.statusCode = 400;
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      res.end(
        JSON.stringify({
          __type: 'AccessDeniedException',
          message:
            'User: arn:aws:sts::123456789012:assumed-role/task/x is not authorized to perform: secretsmanager:GetSecretValue',
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('backup engine with keyed fleet settings', () => {
  let bucket: string;
  let secrets: Awaited<ReturnType<typeof refusingSecretsManager>>;
  beforeAll(async () => {
    bucket = await createBucket();
    secrets = await refusingSecretsManager();
  });
  afterAll(() => new Promise((resolve) => secrets.server.close(resolve)));

  it('backs up the database PGPROOF_DATABASE names, and fails one whose secret is refused with SecretUnreadable', async () => {
    // GIVEN two databases of the source cluster, listed by id; the second's secret cannot be read
    const first = await createSourceDatabase('fleet_first', async (sql) => {
      await sql('create table t (i int); insert into t values (1)');
    });
    const second = await createSourceDatabase('fleet_second');
    const settings: FleetSettings = {
      defaults: {},
      connection: { host: first.host, port: first.port, user: first.user, sslMode: first.sslMode },
      databases: {
        first: { name: first.database },
        second: { name: second.database, connection: { passwordSecret: 'pgproof/second' } },
      },
    };
    // The task environment names neither database: the settings do.
    const {
      PGDATABASE: _db,
      PGHOST: _host,
      ...base
    } = taskEnv(first, bucket, {
      PGPROOF_CONFIG: JSON.stringify(settings),
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    });
    // WHEN
    const ok = await runTaskProcess('backup', { ...base, PGPROOF_DATABASE: 'first' });
    const { PGPASSWORD: _pw, ...withoutPassword } = base;
    const refused = await runTaskProcess('backup', { ...withoutPassword, PGPROOF_DATABASE: 'second' });
    // THEN the first is backed up, under its name
    expect(ok.result).toMatchObject({ status: 'SUCCEEDED' });
    expect((await listAllKeys(bucket, `pgproof/${first.database}/`)).some((k) => k.endsWith('.dump.zst'))).toBe(true);
    // AND the second fails alone, naming its secret and the missing permission, dumping nothing
    expect(refused.code).toBe(1);
    expect(refused.result).toMatchObject({ status: 'FAILED', error: { name: 'SecretUnreadable' } });
    const message = refused.result?.status === 'FAILED' ? refused.result.error.message : '';
    expect(message).toMatch(
      /cannot read the database secret "pgproof\/second": access denied .*secretsmanager:GetSecretValue/,
    );
    expect(await listAllKeys(bucket, `pgproof/${second.database}/`)).toEqual([]);
    expect(ok.stdout + ok.stderr + refused.stdout + refused.stderr).not.toContain(SOURCE_PASSWORD);
  });
});
