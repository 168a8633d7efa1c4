/**
 * Typed errors of the Lambda functions. The `name` is what Step Functions matches in `Retry`/`Catch` and what a
 * person reads in the run history. No message ever holds a webhook or snitch URL: those carry tokens.
 */
export class PgProofLambdaError extends Error {
  constructor(name: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
}

/** The event is not a run state this function understands (the message names the fields at fault). */
export class InvalidInput extends PgProofLambdaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('InvalidInput', message, options);
  }
}

/** An environment variable or a configured value (kind, body mode) is invalid; the variable is named. */
export class ConfigError extends PgProofLambdaError {
  constructor(message: string) {
    super('ConfigError', message);
  }
}

/**
 * A setting the function needs is missing from its environment (in AWS the stack sets it, so a missing one means
 * a changed or foreign deployment). Thrown instead of skipping the post, so the run fails visibly.
 */
export class MissingConfiguration extends PgProofLambdaError {
  /** The environment variable that is not set. */
  readonly variable: string;

  constructor(variable: string, message: string) {
    super('MissingConfiguration', message);
    this.variable = variable;
  }
}

/** The named secret does not exist in Secrets Manager (the message names the secret, never a value). */
export class SecretNotFound extends PgProofLambdaError {
  constructor(secretName: string, options?: { cause?: unknown }) {
    super('SecretNotFound', `secret "${secretName}" was not found in Secrets Manager: create it (see docs/notifications.md) or fix the secret name`, options);
  }
}

/** Secrets Manager refused or failed to return the named secret (access denied, throttling, network). */
export class SecretReadFailed extends PgProofLambdaError {
  constructor(secretName: string, options?: { cause?: unknown }) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.name}` : '';
    super('SecretReadFailed', `reading secret "${secretName}" from Secrets Manager failed${reason}`, options);
  }
}

/** A secret (or URL variable) holds neither an http(s) URL nor JSON `{"url": …}`; the value is never quoted. */
export class SecretInvalid extends PgProofLambdaError {
  constructor(message: string) {
    super('SecretInvalid', message);
  }
}

/** The HTTP client gave up: a non-retryable status, or retries exhausted. Wrapped by the two errors below. */
export class HttpRequestFailed extends PgProofLambdaError {
  /** How many requests were sent. */
  readonly attempts: number;
  /** The last HTTP status received, if any response arrived. */
  readonly status: number | undefined;

  constructor(message: string, details: { attempts: number; status?: number; cause?: unknown }) {
    super('HttpRequestFailed', message, { cause: details.cause });
    this.attempts = details.attempts;
    this.status = details.status;
  }
}

/** The chat message could not be posted after the bounded retries. */
export class ChatPostFailed extends PgProofLambdaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ChatPostFailed', message, options);
  }
}

/** The dead-man's-switch check-in failed after the bounded retries. */
export class SnitchCheckInFailed extends PgProofLambdaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SnitchCheckInFailed', message, options);
  }
}

/** snitch-checkin was asked to check in for a run that did not succeed: the switch must stay silent and alert. */
export class CheckInRefused extends PgProofLambdaError {
  constructor(message: string) {
    super('CheckInRefused', message);
  }
}
