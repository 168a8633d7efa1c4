import type { SslMode } from '../../lib/common/rules';

/** The RDS global CA bundle shipped in the engines' image (containers/Dockerfile, docs/container-image.md). */
export const RDS_CA_BUNDLE_PATH = '/etc/pgproof/certs/rds-global-bundle.pem';

/**
 * The CA file a task verifies the server with: the configured one, else (verify-ca/verify-full only) the RDS
 * bundle in the image. RDS certificates are signed by RDS's own CAs, which no public trust store holds.
 */
export function defaultSslRootCert(sslMode: SslMode, configured?: string): string | undefined {
  if (configured) return configured;
  return sslMode === 'verify-ca' || sslMode === 'verify-full' ? RDS_CA_BUNDLE_PATH : undefined;
}

const SETTING =
  'set the CA bundle with database.sslRootCert (deployments), sslrootcert=<file> in the database URL or PGSSLROOTCERT (local runs)';

/** node's TLS verification error codes and what each means for a PostgreSQL server certificate. */
const NODE_CERT_ERRORS: Record<string, string> = {
  SELF_SIGNED_CERT_IN_CHAIN: 'the server certificate chains to a CA that is not in the trusted CA bundle',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed and not in the trusted CA bundle',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate was not issued by a CA in the trusted CA bundle',
  UNABLE_TO_GET_ISSUER_CERT: 'the issuer of the server certificate is not in the trusted CA bundle',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the issuer of the server certificate is not in the trusted CA bundle',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  CERT_NOT_YET_VALID: 'the server certificate is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate does not name the host connected to',
};

/**
 * What to do about a certificate problem, or undefined when the error is not one. Accepts node's error codes
 * (node-postgres) and libpq's messages (pg_dump, pg_restore, psql).
 */
export function explainCertificateProblem(code: string | undefined, message: string): string | undefined {
  const hostMismatch =
    code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /server certificate for .* does not match host name/i.test(message);
  if (hostMismatch) {
    return `certificate problem: the server certificate does not name the host connected to: connect by a name the certificate holds (for RDS the endpoint host name, not an IP or a CNAME), or use sslMode verify-ca, which checks the CA but not the name`;
  }
  const nodeCause = code ? NODE_CERT_ERRORS[code] : undefined;
  if (nodeCause)
    return `certificate problem: ${nodeCause}: ${SETTING} to a file holding the server's CA (for RDS the global bundle), or lower sslMode to require (encrypted, unverified)`;
  if (
    /certificate verify failed|root certificate file .* does not exist|could not read root certificate file/i.test(
      message,
    )
  ) {
    return `certificate problem: libpq could not verify the server certificate with its root certificate file: ${SETTING} to a file holding the server's CA (for RDS the global bundle), or lower sslMode to require (encrypted, unverified)`;
  }
  return undefined;
}
