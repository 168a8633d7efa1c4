import { ConfigError } from './errors';

/** The environment a handler reads; a plain record so the local runner and tests can pass their own. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** An optional variable: unset and blank are the same (CDK and shells both produce empty strings). */
export function optionalEnv(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** An optional variable restricted to known values; anything else fails at once, naming the variable. */
export function optionalEnumEnv<T extends string>(
  env: Environment,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const value = optionalEnv(env, name);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}; got "${value}"`);
  }
  return value as T;
}
