import { describe, expect, it } from 'vitest';
import * as engineErrors from '../../../containers/common/errors';
import { ConfigError, PgProofError } from '../../../lib/common/errors';
import * as lambdaErrors from '../../../lambdas/common/errors';

describe('PgProofError', () => {
  it('keeps the cause, and a ConfigError is named ConfigError', () => {
    // GIVEN
    const cause = new Error('ENOENT');

    // WHEN
    const error = new ConfigError('PGPROOF_BUCKET is not set', { cause });

    // THEN
    expect(error).toBeInstanceOf(PgProofError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ConfigError');
    expect(error.message).toBe('PGPROOF_BUCKET is not set');
    expect(error.cause).toBe(cause);
    expect(String(error)).toBe('ConfigError: PGPROOF_BUCKET is not set');
    expect(error.stack?.split('\n')[0]).toBe('ConfigError: PGPROOF_BUCKET is not set');
  });

  it('is the one ConfigError of the engines and the Lambdas', () => {
    expect(engineErrors.ConfigError).toBe(ConfigError);
    expect(lambdaErrors.ConfigError).toBe(ConfigError);
  });

  it('gives every engine and Lambda error class its own name, the one Step Functions matches', () => {
    // GIVEN: the error classes each runtime exports
    const classes = [...Object.entries(engineErrors), ...Object.entries(lambdaErrors)].filter(
      ([, value]) => typeof value === 'function' && value.prototype instanceof PgProofError,
    ) as [string, new (...args: never[]) => PgProofError][];
    expect(classes.length).toBeGreaterThan(20);

    for (const [exported, ErrorClass] of classes) {
      // WHEN: one is built with what its constructor takes (a message, or a name the message is built from)
      const error = Reflect.construct(
        ErrorClass,
        exported === 'HttpRequestFailed'
          ? ['m', { attempts: 1 }]
          : exported === 'MissingConfiguration'
            ? ['X', 'm']
            : ['m'],
      );

      // THEN: its name is its class's exported name
      expect(error.name, exported).toBe(exported);
    }
  });
});
