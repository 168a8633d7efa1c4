import { readFileSync } from 'node:fs';
import pg from 'pg';
import { z } from 'zod';
import { ConfigError, DatabaseConnectionFailed } from './errors';
import { redact, registerSecret } from './redact';
import { explainCertificateProblem } from './tls';

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

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
  PGPORT: z.coerce.number().int().min(1).max(65535).default(5432),
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
  if (certificate) return new DatabaseConnectionFailed(`cannot connect to ${target} with sslmode=${params.sslMode}: ${text} (${certificate})`, { cause: error });
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
  const attempt = async (tryTls: boolean) => {
    const client = new pg.Client({
      host: params.host,
      port: params.port,
      user: params.user,
      database: params.database,
      ...(params.password !== undefined ? { password: params.password } : {}),
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

/**
 * Parses a `postgres://user:password@host:port/database?sslmode=…` URL (a `host` query parameter may name a
 * Unix socket directory). The password is registered for redaction; errors never repeat the URL.
 */
export function connectionFromUrl(text: string, env: NodeJS.ProcessEnv = process.env): ConnectionParams {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError('the database URL is not a valid URL: expected postgres://user:password@host:5432/database');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`the database URL must start with postgres:// or postgresql://, not ${url.protocol}//`);
  }
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  registerSecret(password);
  const sslMode = url.searchParams.get('sslmode') ?? env.PGSSLMODE ?? 'prefer';
  if (!(SSL_MODES as readonly string[]).includes(sslMode)) {
    throw new ConfigError(`sslmode in the database URL must be one of ${SSL_MODES.join(', ')}, got "${sslMode}"`);
  }
  const socketHost = url.searchParams.get('host');
  const port = url.port ? Number(url.port) : 5432;
  const user = url.username ? decodeURIComponent(url.username) : (env.PGUSER ?? env.USER ?? 'postgres');
  const database = url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : user;
  const sslRootCert = url.searchParams.get('sslrootcert') ?? undefined;
  return {
    host: socketHost ?? (url.hostname ? decodeURIComponent(url.hostname).replace(/^\[|\]$/g, '') : 'localhost'),
    port,
    user,
    database,
    ...(password !== undefined ? { password } : env.PGPASSWORD !== undefined ? { password: env.PGPASSWORD } : {}),
    sslMode: sslMode as SslMode,
    ...(sslRootCert ? { sslRootCert } : {}),
  };
}
