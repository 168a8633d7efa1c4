import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretNotFound, SecretReadFailed } from './errors';

/** Reads a secret's text by name. The logic depends on this, not on Secrets Manager, so tests pass a map. */
export interface SecretSource {
  getSecretString(name: string): Promise<string>;
}

export interface SecretsManagerSourceOptions {
  /** @default - a new SecretsManagerClient for the function's region */
  readonly client?: SecretsManagerClient;
  /** How long a value is reused before it is read again. @default 900 (15 minutes) */
  readonly maxAgeSeconds?: number;
}

/**
 * 15 minutes: a warm container reads the secret once for a burst of invocations (a daily run calls each
 * function once or twice), yet a rotated webhook URL is picked up without redeploying.
 */
const DEFAULT_MAX_AGE_SECONDS = 900;

/**
 * A `SecretSource` over Powertools' cached Secrets Manager provider. Create it once per module: the cache lives
 * in the provider, so one instance per container means one read per container (within `maxAgeSeconds`).
 */
export function createSecretsManagerSource(options: SecretsManagerSourceOptions = {}): SecretSource {
  const provider = new SecretsProvider(options.client ? { awsSdkV3Client: options.client } : {});
  const maxAge = options.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS;
  return {
    async getSecretString(name) {
      let value: string | Uint8Array | undefined;
      try {
        value = await provider.get(name, { maxAge });
      } catch (error) {
        // Powertools wraps the SDK error in GetParameterError; the SDK's own name is on `cause`.
        const sdkError = error instanceof Error && error.cause instanceof Error ? error.cause : error;
        if (sdkError instanceof Error && sdkError.name === 'ResourceNotFoundException') {
          throw new SecretNotFound(name, { cause: sdkError });
        }
        throw new SecretReadFailed(name, { cause: sdkError });
      }
      if (value === undefined) throw new SecretNotFound(name);
      return typeof value === 'string' ? value : new TextDecoder().decode(value);
    },
  };
}
