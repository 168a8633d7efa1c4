import { describe, expect, it } from 'vitest';
import { connect, explainConnectionError } from '../../../containers/common/pg-connection';
import { defaultSslRootCert, explainCertificateProblem, RDS_CA_BUNDLE_PATH } from '../../../containers/common/tls';

const params = { host: 'db.example.com', port: 5432, user: 'app', database: 'orders', sslMode: 'verify-full' as const };

describe('defaultSslRootCert', () => {
  it("uses the image's RDS bundle for verify-ca/verify-full unless a file is configured, and nothing otherwise", () => {
    expect(defaultSslRootCert('verify-full')).toBe(RDS_CA_BUNDLE_PATH);
    expect(defaultSslRootCert('verify-ca')).toBe(RDS_CA_BUNDLE_PATH);
    expect(defaultSslRootCert('verify-full', '/etc/ssl/mine.pem')).toBe('/etc/ssl/mine.pem');
    expect(defaultSslRootCert('require')).toBeUndefined();
  });
});

describe('certificate errors', () => {
  it.each([
    [
      'SELF_SIGNED_CERT_IN_CHAIN',
      'self-signed certificate in certificate chain',
      /chains to a CA that is not in the trusted CA bundle.*sslRootCert.*sslrootcert.*PGSSLROOTCERT.*sslMode/,
    ],
    [
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'self-signed certificate',
      /self-signed and not in the trusted CA bundle.*sslRootCert/,
    ],
    [
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'unable to verify the first certificate',
      /not issued by a CA in the trusted CA bundle.*sslRootCert/,
    ],
    [
      'ERR_TLS_CERT_ALTNAME_INVALID',
      "Hostname/IP does not match certificate's altnames",
      /does not name the host connected to.*verify-ca/,
    ],
  ])("explains node's %s, naming the setting to change", (code, message, expected) => {
    const error = explainConnectionError(Object.assign(new Error(message), { code }), params);
    expect(error.name).toBe('DatabaseConnectionFailed');
    expect(error.message).toMatch(
      /cannot connect to database "orders" on db\.example\.com:5432 as user "app" with sslmode=verify-full/,
    );
    expect(error.message).toMatch(expected);
  });

  it.each([
    [
      'pg_dump: error: connection to server at "db" (10.0.0.1), port 5432 failed: SSL error: certificate verify failed',
      /libpq could not verify the server certificate.*PGSSLROOTCERT/,
    ],
    [
      'pg_dump: error: connection to server failed: root certificate file "/work/.postgresql/root.crt" does not exist',
      /libpq could not verify.*sslRootCert/,
    ],
    [
      'pg_dump: error: connection failed: server certificate for "db.example.com" does not match host name "10.0.0.1"',
      /does not name the host connected to/,
    ],
  ])('explains libpq\'s "%s"', (stderr, expected) => {
    expect(explainCertificateProblem(undefined, stderr)).toMatch(expected);
  });

  it('leaves other errors alone', () => {
    expect(explainCertificateProblem('ECONNREFUSED', 'connect ECONNREFUSED')).toBeUndefined();
    expect(
      explainConnectionError(Object.assign(new Error('password authentication failed'), { code: '28P01' }), params)
        .message,
    ).not.toMatch(/certificate/);
  });

  it('names an unreadable CA file and the settings choosing it', async () => {
    await expect(
      connect({ ...params, host: '127.0.0.1', port: 1, sslRootCert: '/nonexistent/ca.pem' }),
    ).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringMatching(
        /cannot read the CA bundle "\/nonexistent\/ca\.pem" \(ENOENT\).*sslRootCert.*PGSSLROOTCERT/,
      ),
    });
  });
});
