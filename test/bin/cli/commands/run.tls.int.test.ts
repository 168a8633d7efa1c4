// sslmode=verify-full for real: a throwaway cluster with ssl=on and a server certificate issued by a test CA made
// with openssl at test time. One cluster for the file; the CLI runs as a user would run it.
import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../../../containers/common/pg-connection';
import { discoverPgInstalls } from '../../../../containers/common/pg-tools';
import {
  startThrowawayCluster,
  unprivilegedAccount,
  type ThrowawayCluster,
} from '../../../../containers/common/throwaway-cluster';
import { lastJson, pgproof } from '../../../helpers/pgproof-process';

const exec = promisify(execFile);
const PASSWORD = 'Tls-Test-Pw-5e1d20';
const DATABASE = 'tls_orders';

/** A CA (key + self-signed certificate) named `name` in `dir`. */
async function makeCa(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = path.join(dir, `${name}.pem`);
  const key = path.join(dir, `${name}.key`);
  await exec('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { cert, key };
}

describe('pgproof run --local with sslmode=verify-full', () => {
  let dir: string;
  let cluster: ThrowawayCluster;
  let testCa: string;
  let otherCa: string;

  beforeAll(async () => {
    // GIVEN a test CA, a server certificate it issued for localhost and 127.0.0.1, and an unrelated CA
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgproof-tls-'));
    await chmod(dir, 0o755); // the cluster runs as an unprivileged user when the tests run as root
    const ca = await makeCa(dir, 'pgproof-test-ca');
    otherCa = (await makeCa(dir, 'other-ca')).cert;
    testCa = ca.cert;
    const serverKey = path.join(dir, 'server.key');
    const serverCsr = path.join(dir, 'server.csr');
    const serverCert = path.join(dir, 'server.crt');
    const ext = path.join(dir, 'server.ext');
    await writeFile(
      ext,
      'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
    );
    await exec('openssl', [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      serverKey,
      '-out',
      serverCsr,
      '-subj',
      '/CN=localhost',
    ]);
    await exec('openssl', [
      'x509',
      '-req',
      '-in',
      serverCsr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-set_serial',
      '1',
      '-days',
      '2',
      '-extfile',
      ext,
      '-out',
      serverCert,
    ]);
    // PostgreSQL refuses a key readable by others, and reads it as the cluster's user.
    await chmod(serverKey, 0o600);
    const account = unprivilegedAccount();
    if (account) for (const f of [serverKey, serverCert]) await chown(f, account.uid, account.gid);

    const server = (await discoverPgInstalls()).find((i) => i.hasServer);
    if (!server) throw new Error('the tests need PostgreSQL server binaries');
    cluster = await startThrowawayCluster({
      binDir: server.binDir,
      tcp: true,
      superuserPassword: PASSWORD,
      settings: { ssl: 'on', ssl_cert_file: serverCert, ssl_key_file: serverKey },
    });
    const admin = await connect(cluster.connection('postgres'));
    await admin.query(`create database ${DATABASE}`);
    await admin.end();
    const db = await connect(cluster.connection(DATABASE));
    await db.query(
      'create table invoices (id int primary key, total numeric); insert into invoices select g, g * 1.5 from generate_series(1, 50) g',
    );
    await db.end();
  });

  afterAll(async () => {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const url = (rootCert: string) =>
    `postgres://postgres:${PASSWORD}@localhost:${cluster.port}/${DATABASE}?sslmode=verify-full&sslrootcert=${encodeURIComponent(rootCert)}`;

  it("backs up and verifies when the CA bundle (several certificates) holds the server's CA", async () => {
    // GIVEN a bundle with an unrelated CA first, as RDS's bundle holds many
    const bundle = path.join(dir, 'bundle.pem');
    await writeFile(bundle, (await readFile(otherCa, 'utf8')) + (await readFile(testCa, 'utf8')));
    // WHEN
    const out = await pgproof([
      'run',
      '--local',
      '--database-url',
      url(bundle),
      '--state-dir',
      path.join(dir, 'state-ok'),
      '--json',
    ]);
    // THEN
    expect(lastJson(out)).toMatchObject({ status: 'SUCCEEDED', database: DATABASE });
    expect(out.code).toBe(0);
    expect(out.stdout + out.stderr).not.toContain(PASSWORD);
  });

  it('fails with another CA, naming the certificate problem and the setting to change', async () => {
    // WHEN
    const out = await pgproof([
      'run',
      '--local',
      '--database-url',
      url(otherCa),
      '--state-dir',
      path.join(dir, 'state-bad'),
      '--json',
    ]);
    // THEN
    expect(out.code).not.toBe(0);
    const result = lastJson(out) as { status: string; error?: { name: string; message: string } };
    expect(result).toMatchObject({ status: 'FAILED', error: { name: 'DatabaseConnectionFailed' } });
    expect(result.error!.message).toMatch(
      /certificate problem: the server certificate was not issued by a CA in the trusted CA bundle/,
    );
    expect(result.error!.message).toMatch(/sslrootcert=<file> in the database URL/);
    expect(result.error!.message).toMatch(/sslMode/);
    expect(out.stdout + out.stderr).not.toContain(PASSWORD);
  });
});
