import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { z } from 'zod';
import { DEFAULT_DATABASE_PORT } from '../../lib/common/defaults';
import { isPortNumber, PORT_RANGE, SSL_MODES, sslModeProblem, type SslMode } from '../../lib/common/rules';
import { ConfigError, DatabaseConnectionFailed } from './errors';
import { passwordFromPgpass } from './pgpass';
import { redact, registerSecret } from '../../lib/common/redact';
import { explainCertificateProblem } from './tls';

/** Where and how to connect, in libpq's terms. The password travels only in `PGPASSWORD`, never in argv. */
export interface ConnectionParams {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  readonly password?: string;
  readonly sslMode: SslMode;
  readonly sslRootCert?: string;
}

const envSchema = z.object({
  PGHOST: z.string().min(1).default('localhost'),
  PGPORT: z.coerce.number().int().min(PORT_RANGE.min).max(PORT_RANGE.max).default(DEFAULT_DATABASE_PORT),
  PGUSER: z.string().min(1).optional(),
  PGDATABASE: z.string().min(1).optional(),
  PGPASSWORD: z.string().optional(),
  PGSSLMODE: z.enum(SSL_MODES).default('prefer'),
  PGSSLROOTCERT: z.string().min(1).optional(),
});

/**
 * Reads libpq's standard variables (ECS fills PGPASSWORD from Secrets Manager). The password is registered
 * for redaction before anything else can print it.
 */
export function connectionFromEnv(env: NodeJS.ProcessEnv = process.env): ConnectionParams {
  registerSecret(env.PGPASSWORD);
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `invalid database connection setting ${String(issue?.path.join('.'))}: ${issue?.message}` +
        ` (PGSSLMODE must be one of ${SSL_MODES.join(', ')}; PGPORT a port number)`,
    );
  }
  const e = parsed.data;
  const user = e.PGUSER ?? env.USER ?? 'postgres';
  return {
    host: e.PGHOST,
    port: e.PGPORT,
    user,
    database: e.PGDATABASE ?? user,
    ...(e.PGPASSWORD !== undefined ? { password: e.PGPASSWORD } : {}),
    sslMode: e.PGSSLMODE,
    ...(e.PGSSLROOTCERT ? { sslRootCert: e.PGSSLROOTCERT } : {}),
  };
}

/** The environment for libpq programs (pg_dump, pg_restore, psql) connecting with these parameters. */
export function libpqEnv(params: ConnectionParams, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const k of Object.keys(env)) if (k.startsWith('PG')) delete env[k];
  env.PGHOST = params.host;
  env.PGPORT = String(params.port);
  env.PGUSER = params.user;
  env.PGDATABASE = params.database;
  env.PGSSLMODE = params.sslMode;
  env.PGAPPNAME = 'pgproof';
  env.PGCONNECT_TIMEOUT = '15';
  if (params.password !== undefined) env.PGPASSWORD = params.password;
  if (params.sslRootCert) env.PGSSLROOTCERT = params.sslRootCert;
  return env;
}

/** Where the server is, for messages (never the password). */
export function describeTarget(params: ConnectionParams): string {
  return `database "${params.database}" on ${params.host}:${params.port} as user "${params.user}"`;
}

function sslOption(params: ConnectionParams, tryTls: boolean): pg.ClientConfig['ssl'] {
  switch (params.sslMode) {
    case 'disable':
      return false;
    case 'allow':
    case 'prefer':
    case 'require':
      return tryTls ? { rejectUnauthorized: false } : false;
    case 'verify-ca':
    case 'verify-full': {
      // A bundle may hold many CAs (RDS's holds one per region and key type): node accepts them concatenated.
      const ca = params.sslRootCert ? readCaBundle(params.sslRootCert) : undefined;
      return {
        rejectUnauthorized: true,
        ...(ca ? { ca } : {}),
        // verify-ca checks the chain but not the host name, as libpq does.
        ...(params.sslMode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
      };
    }
  }
}

/** Reads the CA file named by sslRootCert, or fails naming the file and the settings that choose it. */
function readCaBundle(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read the CA bundle "${file}" (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): set database.sslRootCert, sslrootcert in the database URL or PGSSLROOTCERT to a readable PEM file`,
      { cause: error },
    );
  }
}

/** Turns a node-postgres connection error into a message that names the cause and what to do. */
export function explainConnectionError(error: unknown, params: ConnectionParams): DatabaseConnectionFailed {
  const e = error as { code?: string; message?: string };
  const target = describeTarget(params);
  const text = redact(e.message ?? String(error));
  const certificate = explainCertificateProblem(e.code, text);
  if (certificate)
    return new DatabaseConnectionFailed(
      `cannot connect to ${target} with sslmode=${params.sslMode}: ${text} (${certificate})`,
      { cause: error },
    );
  let hint: string;
  switch (e.code) {
    case '28P01':
    case '28000':
      hint = 'the server rejected the login: check the user name and the password secret (PGPASSWORD)';
      break;
    case '3D000':
      hint = 'the database does not exist: check PGDATABASE / the configured database name';
      break;
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
    case 'EAI_AGAIN':
      hint = 'the server could not be reached: check host, port, security groups and that the server is up';
      break;
    default:
      hint = 'check the connection settings and that the server accepts connections from here';
  }
  return new DatabaseConnectionFailed(`cannot connect to ${target}: ${text} (${hint})`, { cause: error });
}

/** Opens a node-postgres client honouring libpq's sslmode semantics (prefer/allow fall back to plain TCP). */
export async function connect(params: ConnectionParams, applicationName = 'pgproof'): Promise<pg.Client> {
  // No password given: take it from the password file, as pg_dump (libpq) does.
  const password = params.password ?? passwordFromPgpass(params);
  registerSecret(password);
  const attempt = async (tryTls: boolean) => {
    const client = new pg.Client({
      host: params.host,
      port: params.port,
      user: params.user,
      database: params.database,
      ...(password !== undefined ? { password } : {}),
      ssl: sslOption(params, tryTls),
      application_name: applicationName,
      connectionTimeoutMillis: 15_000,
    });
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  };
  const tlsFirst = params.sslMode !== 'disable' && params.sslMode !== 'allow';
  try {
    return await attempt(tlsFirst);
  } catch (error) {
    const noTls = /does not support SSL/i.test(String((error as Error).message));
    if (params.sslMode === 'prefer' && noTls) {
      try {
        return await attempt(false);
      } catch (retryError) {
        throw explainConnectionError(retryError, params);
      }
    }
    if (error instanceof ConfigError) throw error;
    throw explainConnectionError(error, params);
  }
}

const URI = /^(postgres(?:ql)?):\/\/(?:([^@/?#]*)@)?([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?$/i;
const SOCKET_DEFAULT = '/var/run/postgresql';

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ConfigError(`the database URL has an invalid percent-encoding in its ${what}`);
  }
}

/**
 * Parses a libpq connection URI, as libpq does: `postgres[ql]://[user[:password]@][host][:port][/dbname][?param=…]`.
 * The host may be empty (the default socket directory, or PGHOST), an IPv6 literal in brackets, or a
 * percent-encoded socket directory (`%2Fvar%2Frun%2Fpostgresql`); the query parameters `host`, `port`, `user`,
 * `password`, `dbname`, `sslmode` and `sslrootcert` override the parts before them. The password is registered
 * for redaction; errors never repeat the URL.
 */
export function connectionFromUrl(text: string, env: NodeJS.ProcessEnv = process.env): ConnectionParams {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text.trim());
  if (scheme && !/^postgres(ql)?$/i.test(scheme[1]!)) {
    throw new ConfigError(`the database URL must start with postgres:// or postgresql://, not ${scheme[1]}://`);
  }
  const m = URI.exec(text.trim());
  if (!m)
    throw new ConfigError(
      'the database URL is not a valid URL: expected postgres://user@host:5432/database (or postgres://user@/database?host=/var/run/postgresql)',
    );
  const [, , userInfo, hostPort = '', dbPath, queryText] = m;
  const params: Record<string, string> = {};
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    const user = colon < 0 ? userInfo : userInfo.slice(0, colon);
    if (user) params.user = decode(user, 'user name');
    if (colon >= 0) params.password = decode(userInfo.slice(colon + 1), 'password');
    registerSecret(params.password);
  }
  const v6 = /^\[([^\]]*)\](?::(\d*))?$/.exec(hostPort);
  const hp = v6
    ? { host: v6[1]!, port: v6[2] }
    : /^([^:]*)(?::(\d*))?$/.exec(hostPort)
      ? { host: hostPort.split(':')[0]!, port: hostPort.split(':')[1] }
      : undefined;
  if (!hp) throw new ConfigError('the database URL has an invalid host:port part (several hosts are not supported)');
  if (hp.host) params.host = decode(hp.host, 'host');
  if (hp.port) params.port = hp.port;
  if (dbPath) params.dbname = decode(dbPath, 'database name');
  for (const pair of (queryText ?? '').split('&').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new ConfigError('the database URL has a query parameter without a value (expected name=value)');
    const name = decode(pair.slice(0, eq), 'query');
    params[name] = decode(pair.slice(eq + 1), `query parameter ${name}`);
    if (name === 'password') registerSecret(params.password);
  }

  const sslMode = params.sslmode ?? env.PGSSLMODE ?? 'prefer';
  const sslModeError = sslModeProblem('sslmode in the database URL', sslMode);
  if (sslModeError) throw new ConfigError(sslModeError);
  const portText = params.port ?? env.PGPORT ?? String(DEFAULT_DATABASE_PORT);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || !isPortNumber(port))
    throw new ConfigError(
      `the port in the database URL must be a number from ${PORT_RANGE.min} to ${PORT_RANGE.max}, got "${portText}"`,
    );
  // An empty host means libpq's default: PGHOST, else the Unix socket directory (Debian's), else localhost.
  const host = params.host ?? env.PGHOST ?? (existsSync(SOCKET_DEFAULT) ? SOCKET_DEFAULT : 'localhost');
  const user = params.user ?? env.PGUSER ?? env.USER ?? 'postgres';
  const database = params.dbname ?? env.PGDATABASE ?? user;
  const password = params.password ?? env.PGPASSWORD;
  registerSecret(password);
  const sslRootCert = params.sslrootcert ?? env.PGSSLROOTCERT;
  return {
    host,
    port,
    user,
    database,
    ...(password !== undefined ? { password } : {}),
    sslMode: sslMode as SslMode,
    ...(sslRootCert ? { sslRootCert } : {}),
  };
}

/** True when the URL carries a password (visible to every local user in the process list when passed as a flag). */
export function urlHasPassword(text: string): boolean {
  const m = URI.exec(text.trim());
  return Boolean(m && ((m[2] ?? '').includes(':') || /(^|&)password=/.test(m[5] ?? '')));
}
