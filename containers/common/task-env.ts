import { ENGINE_ENV } from '../../lib/contracts/engine-env';
import { keyPrefixOrDefault } from '../../lib/common/defaults';
import { ConfigError } from './errors';
import type { StorageLocation } from './s3';

/** Reads a required variable or fails at once, naming it. */
export function requireEnv(env: NodeJS.ProcessEnv, name: string, what: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new ConfigError(`${name} is not set: it must hold ${what}`);
  return value.trim();
}

/** Reads an optional positive number of seconds. */
export function secondsFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new ConfigError(`${name} must be a positive number of seconds, got "${raw}"`);
  return n;
}

/** Where backups go: the bucket, prefix, S3 endpoint and KMS key variables of `ENGINE_ENV`. */
export function storageFromEnv(env: NodeJS.ProcessEnv = process.env): StorageLocation {
  const endpoint = env[ENGINE_ENV.s3Endpoint]?.trim();
  const kmsKeyId = env[ENGINE_ENV.kmsKeyId]?.trim();
  const region = env.AWS_REGION?.trim();
  return {
    bucket: requireEnv(env, ENGINE_ENV.bucket, 'the name of the backup bucket'),
    prefix: keyPrefixOrDefault(env[ENGINE_ENV.prefix]),
    ...(endpoint ? { endpoint } : {}),
    ...(kmsKeyId ? { kmsKeyId } : {}),
    ...(region ? { region } : {}),
  };
}
