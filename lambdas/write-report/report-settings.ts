import { keyPrefixOrDefault } from '../../lib/common/defaults';
import { retentionPolicyFromJson, type RetentionPolicy } from '../../lib/common/retention';
import { REPORT_ENV } from '../../lib/contracts/lambda-env';
import { optionalEnv, type Environment } from '../common/env';
import { ConfigError, MissingConfiguration } from '../common/errors';

/** What write-report reads from its environment. */
export interface ReportSettings {
  readonly bucket: string;
  /** The key prefix backups are written under. */
  readonly prefix: string;
  /** The retention policy whose status the report shows; undefined: none. */
  readonly policy?: RetentionPolicy;
  /** Database names by id, for the ids that are not names. */
  readonly names: Readonly<Record<string, string>>;
  /** An S3-compatible endpoint (local runs); undefined: AWS S3. */
  readonly s3Endpoint?: string;
}

/** Pure: `PGPROOF_DATABASE_NAMES` → names by id, or `ConfigError` naming the variable. */
function namesFrom(text: string | undefined): Record<string, string> {
  if (text === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`${REPORT_ENV.databaseNames} must be JSON {"<database id>": "<database name>"}; got no JSON`);
  }
  if (
    !json ||
    typeof json !== 'object' ||
    Array.isArray(json) ||
    Object.values(json).some((v) => typeof v !== 'string' || !v)
  )
    throw new ConfigError(
      `${REPORT_ENV.databaseNames} must be JSON {"<database id>": "<database name>"} with non-empty names`,
    );
  return json as Record<string, string>;
}

/** Reads the settings, failing at once with `MissingConfiguration` or `ConfigError` naming the variable. */
export function reportSettingsFrom(env: Environment): ReportSettings {
  const bucket = optionalEnv(env, REPORT_ENV.bucket);
  if (bucket === undefined)
    throw new MissingConfiguration(
      REPORT_ENV.bucket,
      `${REPORT_ENV.bucket} is not set: write-report needs the backup bucket (the stack sets it)`,
    );
  const policyText = optionalEnv(env, REPORT_ENV.policy);
  const s3Endpoint = optionalEnv(env, REPORT_ENV.s3Endpoint);
  return {
    bucket,
    prefix: keyPrefixOrDefault(env[REPORT_ENV.prefix]),
    ...(policyText ? { policy: retentionPolicyFromJson(policyText, REPORT_ENV.policy) } : {}),
    names: namesFrom(optionalEnv(env, REPORT_ENV.databaseNames)),
    ...(s3Endpoint ? { s3Endpoint } : {}),
  };
}
