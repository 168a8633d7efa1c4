import { keyPrefixOrDefault } from '../../lib/common/defaults';
import { retentionPolicyFromJson, type RetentionPolicy } from '../../lib/common/retention';
import { OBJECT_LOCK_MODES, RETENTION_ENV, type ObjectLockMode } from '../../lib/contracts/lambda-env';
import { optionalEnumEnv, optionalEnv, type Environment } from '../common/env';
import { MissingConfiguration } from '../common/errors';

/** What apply-retention reads from its environment. */
export interface RetentionSettings {
  readonly bucket: string;
  /** The key prefix backups are written under. */
  readonly prefix: string;
  readonly policy: RetentionPolicy;
  /** Lock kept verified backups in this mode; undefined: lock nothing. */
  readonly lockMode?: ObjectLockMode;
  /** An S3-compatible endpoint (local runs); undefined: AWS S3. */
  readonly s3Endpoint?: string;
}

function requiredEnv(env: Environment, name: string, describes: string): string {
  const value = optionalEnv(env, name);
  if (value === undefined)
    throw new MissingConfiguration(name, `${name} is not set: apply-retention needs ${describes} (the stack sets it)`);
  return value;
}

/** Reads the settings, failing at once with `MissingConfiguration` or `ConfigError` naming the variable. */
export function retentionSettingsFrom(env: Environment): RetentionSettings {
  const bucket = requiredEnv(env, RETENTION_ENV.bucket, 'the backup bucket');
  const policy = retentionPolicyFromJson(
    requiredEnv(env, RETENTION_ENV.policy, 'the retention policy as JSON'),
    RETENTION_ENV.policy,
  );
  const lockMode = optionalEnumEnv(env, RETENTION_ENV.objectLockMode, OBJECT_LOCK_MODES);
  const s3Endpoint = optionalEnv(env, RETENTION_ENV.s3Endpoint);
  return {
    bucket,
    prefix: keyPrefixOrDefault(env[RETENTION_ENV.prefix]),
    policy,
    ...(lockMode ? { lockMode } : {}),
    ...(s3Endpoint ? { s3Endpoint } : {}),
  };
}
