// The backup engine reads its database password from Secrets Manager itself (PGPROOF_DB_SECRET), as in AWS. A tiny
// HTTP server speaks Secrets Manager's JSON protocol; the SDK reaches it through AWS_ENDPOINT_URL_SECRETS_MANAGER.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_PASSWORD } from '../../helpers/source-cluster';
import { createBucket, createSourceDatabase, listAllKeys, runTaskProcess, taskEnv } from '../../helpers/fixtures';

const SECRET_ID = 'pgproof/orders/db-password';

interface SecretsRequest {
  target: string | undefined;
  secretId: string;
}

/** Answers GetSecretValue for one secret id with `secretString`, recording each request. */
async function startSecretsManager(
  secretString: string,
): Promise<{ server: Server; url: string; requests: SecretsRequest[] }> {
  const requests: SecretsRequest[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const target = req.headers['x-amz-target'] as string | undefined;
      const secretId = (JSON.parse(body || '{}') as { SecretId?: string }).SecretId ?? '';
      requests.push({ target, secretId });
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (req.method !== 'POST' || target !== 'secretsmanager.GetSecretValue' || secretId !== SECRET_ID) {
        res.statusCode = 400;
        res.end(
          JSON.stringify({
            __type: 'ResourceNotFoundException',
            message: "Secrets Manager can't find the specified secret.",
          }),
        );
        return;
      }
      res.end(
        JSON.stringify({
          ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${SECRET_ID}-AbCdEf`,
          Name: SECRET_ID,
          SecretString: secretString,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

describe('backup engine with the password in Secrets Manager', () => {
  let secrets: Awaited<ReturnType<typeof startSecretsManager>>;
  let bucket: string;

  beforeAll(async () => {
    bucket = await createBucket();
  });
  afterAll(async () => {
    await new Promise((resolve) => secrets?.server.close(resolve));
  });

  it('reads an RDS-style JSON secret at run time (user from the secret) and backs up without PGPASSWORD', async () => {
    // GIVEN the RDS-managed secret shape, and a task environment with no password and no user
    const conn = await createSourceDatabase('backup_secret', async (sql) => {
      await sql('create table t (id int primary key); insert into t select generate_series(1, 10)');
    });
    secrets = await startSecretsManager(
      JSON.stringify({ username: conn.user, password: SOURCE_PASSWORD, engine: 'postgres', port: conn.port }),
    );
    const { PGPASSWORD, PGUSER, ...env } = taskEnv(conn, bucket, {
      PGPROOF_DB_SECRET: SECRET_ID,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    });
    expect(PGPASSWORD).toBe(SOURCE_PASSWORD);
    expect(PGUSER).toBe(conn.user);
    // WHEN
    const out = await runTaskProcess('backup', env);
    // THEN the dump is in the bucket, the secret was asked for by its id, and the password was printed nowhere
    expect(out.result).toMatchObject({ status: 'SUCCEEDED' });
    expect(out.code).toBe(0);
    expect(secrets.requests).toEqual([{ target: 'secretsmanager.GetSecretValue', secretId: SECRET_ID }]);
    expect((await listAllKeys(bucket, `pgproof/${conn.database}/`)).some((k) => k.endsWith('.dump.zst'))).toBe(true);
    expect(out.stdout + out.stderr).not.toContain(SOURCE_PASSWORD);
  });

  it('fails before dumping, naming the secret and the field setting, when the JSON field is wrong', async () => {
    // GIVEN a field name the secret does not hold
    const conn = await createSourceDatabase('backup_secret_field');
    const env = {
      ...taskEnv(conn, bucket, {
        PGPROOF_DB_SECRET: SECRET_ID,
        PGPROOF_DB_SECRET_JSON_FIELD: 'pw',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
      }),
    };
    delete env.PGPASSWORD;
    // WHEN
    const out = await runTaskProcess('backup', env);
    // THEN
    expect(out.code).toBe(1);
    expect(out.result).toMatchObject({ status: 'FAILED', error: { name: 'ConfigError' } });
    const message = out.result?.status === 'FAILED' ? out.result.error.message : '';
    expect(message).toContain(`"${SECRET_ID}" has no non-empty string field "pw"`);
    expect(message).toContain('PGPROOF_DB_SECRET_JSON_FIELD');
    expect(await listAllKeys(bucket, `pgproof/${conn.database}/`)).toEqual([]);
    expect(out.stdout + out.stderr).not.toContain(SOURCE_PASSWORD);
  });
});
