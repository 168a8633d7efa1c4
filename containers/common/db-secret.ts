import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ENGINE_ENV } from '../../lib/contracts/engine-env';
import { DEFAULT_PASSWORD_JSON_FIELD } from '../../lib/common/defaults';
import { ConfigError, PgProofError } from './errors';
import { redact, registerSecret } from '../../lib/common/redact';

/**
 * The database secret the backup task reads at run time with its task role (`ENGINE_ENV.dbSecret`), instead of an
 * ECS `secrets` entry: ECS needs the complete ARN there, while `GetSecretValue` takes a name, a partial ARN or a
 * complete ARN. The value is registered for redaction the moment it arrives.
 */

/** What a database secret holds. Only `password` is certain; RDS-style JSON adds the rest. */
export interface DatabaseSecret {
  readonly password: string;
  readonly username?: string;
  readonly host?: string;
  readonly port?: number;
  readonly dbname?: string;
}

/** Secrets Manager could not be reached or failed for a reason that is not the configuration's (throttling, network). */
export class SecretReadFailed extends PgProofError {
  override readonly name = 'SecretReadFailed';
}

/**
 * The role may not read a fleet database's secret (no GetSecretValue on it, or no kms:Decrypt on its key): that
 * database fails alone, naming the secret's id (never its value) and the missing permission.
 */
export class SecretUnreadable extends PgProofError {
  override readonly name = 'SecretUnreadable';
}

/** How a secret read's failures are reported: today's ConfigError, or SecretUnreadable for a fleet database's secret. */
export interface SecretReadOptions {
  /** Report a refused read (IAM or KMS) as SecretUnreadable. @default false */
  readonly unreadable?: boolean;
}

const FIELD_SETTING = `database.passwordJsonField / ${ENGINE_ENV.dbSecretJsonField}`;

/**
 * Parses a secret's text: a JSON object (the password in `jsonField`; RDS-style `username`, `host`, `port`,
 * `dbname` taken when present) or, when the text is not JSON, the password itself. Never puts the value in an error.
 */
export function parseDatabaseSecret(
  text: string,
  secretId: string,
  jsonField = DEFAULT_PASSWORD_JSON_FIELD,
): DatabaseSecret {
  registerSecret(text);
  if (!text.trimStart().startsWith('{')) {
    if (text === '')
      throw new ConfigError(
        `the database secret "${secretId}" is empty: store the password (plain text) or a JSON object with a "${jsonField}" field`,
      );
    return { password: text };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the error: it must not reach any output.
    throw new ConfigError(
      `the database secret "${secretId}" starts with "{" but is not valid JSON: store either the password as plain text or a JSON object such as {"username": "…", "${jsonField}": "…"}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`the database secret "${secretId}" must be a JSON object or plain text`);
  }
  const fields = parsed as Record<string, unknown>;
  const password = fields[jsonField];
  if (typeof password !== 'string' || password === '') {
    // Field names are not secret; listing them shows which one to configure.
    const names =
      Object.keys(fields)
        .map((k) => `"${k}"`)
        .join(', ') || 'none';
    throw new ConfigError(
      `the database secret "${secretId}" has no non-empty string field "${jsonField}" (its fields: ${names}): set ${FIELD_SETTING} to the field holding the password`,
    );
  }
  registerSecret(password);
  const text_ = (name: string) =>
    typeof fields[name] === 'string' && fields[name] !== '' ? (fields[name] as string) : undefined;
  const portValue = fields.port;
  const port =
    typeof portValue === 'number'
      ? portValue
      : typeof portValue === 'string' && /^\d+$/.test(portValue)
        ? Number(portValue)
        : undefined;
  const username = text_('username');
  const host = text_('host');
  const dbname = text_('dbname');
  return {
    password,
    ...(username ? { username } : {}),
    ...(host ? { host } : {}),
    ...(port ? { port } : {}),
    ...(dbname ? { dbname } : {}),
  };
}

/**
 * The libpq environment completed from the secret: the password always comes from the secret, and the secret's
 * `username`/`host`/`port`/`dbname` fill only what `env` leaves unset. A configured user that differs from the
 * secret's `username` is refused (the password would not be that user's).
 */
export function applyDatabaseSecret(
  env: NodeJS.ProcessEnv,
  secret: DatabaseSecret,
  secretId: string,
): NodeJS.ProcessEnv {
  const configuredUser = env.PGUSER?.trim();
  if (configuredUser && secret.username && configuredUser !== secret.username) {
    throw new ConfigError(
      `the database user "${configuredUser}" (database.user / PGUSER) differs from the field "username" ("${secret.username}") of the database secret "${secretId}": ` +
        `the password is that user's. Omit database.user to log in as "${secret.username}", or point the secret setting at the secret of "${configuredUser}"`,
    );
  }
  const unset = (name: string) => env[name] === undefined || env[name]!.trim() === '';
  const out: NodeJS.ProcessEnv = { ...env, PGPASSWORD: secret.password };
  if (unset('PGUSER') && secret.username) out.PGUSER = secret.username;
  if (unset('PGHOST') && secret.host) out.PGHOST = secret.host;
  if (unset('PGPORT') && secret.port) out.PGPORT = String(secret.port);
  if (unset('PGDATABASE') && secret.dbname) out.PGDATABASE = secret.dbname;
  return out;
}

/** Reads the secret's text with the task's credentials, turning each failure into what the user must fix. */
export async function readSecretString(
  client: SecretsManagerClient,
  secretId: string,
  options: SecretReadOptions = {},
): Promise<string> {
  let out: GetSecretValueCommandOutput;
  try {
    out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  } catch (error) {
    throw explainSecretError(error, secretId, options);
  }
  if (out.SecretString !== undefined) return out.SecretString;
  if (out.SecretBinary !== undefined) return new TextDecoder().decode(out.SecretBinary);
  throw new ConfigError(
    `the database secret "${secretId}" has no value: store the password with aws secretsmanager put-secret-value`,
  );
}

/** Maps a Secrets Manager error to a message naming the secret and what to change (IAM, KMS key, name). */
export function explainSecretError(error: unknown, secretId: string, options: SecretReadOptions = {}): PgProofError {
  const e = error as { name?: string; message?: string };
  // A refusal is the role's or the key's, not this database's configuration: with many databases it fails alone.
  const Refused = options.unreadable ? SecretUnreadable : ConfigError;
  const detail = redact(e.message ?? String(error));
  const read = `cannot read the database secret "${secretId}"`;
  const where = 'its database\'s entry in "databases" (or "connection")';
  const secretField = options.unreadable
    ? `passwordSecretName / passwordSecretArn of ${where}`
    : 'database.passwordSecretName / passwordSecretArn';
  const keyField = options.unreadable ? `passwordSecretKmsKeyArn of ${where}` : 'database.passwordSecretKmsKeyArn';
  switch (e.name) {
    case 'ResourceNotFoundException':
      return new ConfigError(
        `${read}: it does not exist in this account and region (${detail}). Check ${secretField} (a name, a partial ARN or the complete ARN) and the region`,
        { cause: error },
      );
    case 'DecryptionFailure':
      return new Refused(
        `${read}: Secrets Manager could not decrypt it with its KMS key (${detail}). If the secret uses a customer-managed key, set ${keyField} to that key's ARN and let the key policy allow this account's IAM policies`,
        { cause: error },
      );
    case 'AccessDeniedException':
      if (/kms/i.test(detail)) {
        return new Refused(
          `${read}: access to its KMS key was denied (${detail}). Set ${keyField} to the secret's customer-managed key (grants kms:Decrypt via Secrets Manager) and check the key policy`,
          { cause: error },
        );
      }
      return new Refused(
        `${read}: access denied (${detail}). The backup task role needs secretsmanager:GetSecretValue on this secret: redeploy with the secret named in ${secretField}, and check any resource policy on the secret`,
        { cause: error },
      );
    case 'InvalidRequestException':
      return new ConfigError(
        `${read}: ${detail} (a secret scheduled for deletion can be restored with aws secretsmanager restore-secret)`,
        { cause: error },
      );
    default:
      return new SecretReadFailed(
        `${read}: ${detail} (is Secrets Manager reachable from the task's subnets: NAT or a VPC endpoint?)`,
        { cause: error },
      );
  }
}

/**
 * The task's libpq environment: when `ENGINE_ENV.dbSecret` is set, the password (and the RDS JSON's fields the
 * environment leaves out) come from that secret; otherwise `env` is returned as is (PGPASSWORD, for local runs).
 */
export async function resolveDatabaseEnv(
  env: NodeJS.ProcessEnv,
  client: () => SecretsManagerClient,
  options: SecretReadOptions = {},
): Promise<NodeJS.ProcessEnv> {
  const secretId = env[ENGINE_ENV.dbSecret]?.trim();
  if (!secretId) return env;
  if (env.PGPASSWORD !== undefined) {
    throw new ConfigError(
      `both ${ENGINE_ENV.dbSecret} and PGPASSWORD are set: give the password one way only (the secret in AWS, PGPASSWORD for local runs)`,
    );
  }
  const field = env[ENGINE_ENV.dbSecretJsonField]?.trim() || DEFAULT_PASSWORD_JSON_FIELD;
  const text = await readSecretString(client(), secretId, options);
  return applyDatabaseSecret(env, parseDatabaseSecret(text, secretId, field), secretId);
}
