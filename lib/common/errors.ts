/**
 * The base of every pgproof error, in the engines, the Lambdas, the CDK app and the CLI. Each subclass sets a fixed
 * `name`: it is a contract (Step Functions matches it in `Retry`/`Catch`, the CLI maps it to an exit status, a person
 * reads it in the run history), so it is a string literal that minification cannot rename. The original error is
 * kept as `cause`.
 */
export abstract class PgProofError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A configuration value or environment variable is missing or invalid: thrown by the configuration file parser,
 * the engines' and the Lambdas' environment readers and the CLI, with a message naming the field and the value.
 */
export class ConfigError extends PgProofError {
  override readonly name = 'ConfigError';
}
