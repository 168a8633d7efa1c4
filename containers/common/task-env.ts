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
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${name} must be a positive number of seconds, got "${raw}"`);
  return n;
}

/** Where backups go: `PGPROOF_BUCKET`, `PGPROOF_PREFIX`, `PGPROOF_S3_ENDPOINT`, `PGPROOF_KMS_KEY_ID`. */
export function storageFromEnv(env: NodeJS.ProcessEnv = process.env): StorageLocation {
  const endpoint = env.PGPROOF_S3_ENDPOINT?.trim();
  const kmsKeyId = env.PGPROOF_KMS_KEY_ID?.trim();
  const region = env.AWS_REGION?.trim();
  return {
    bucket: requireEnv(env, 'PGPROOF_BUCKET', 'the name of the backup bucket'),
    prefix: keyPrefixOrDefault(env.PGPROOF_PREFIX),
    ...(endpoint ? { endpoint } : {}),
    ...(kmsKeyId ? { kmsKeyId } : {}),
    ...(region ? { region } : {}),
  };
}
