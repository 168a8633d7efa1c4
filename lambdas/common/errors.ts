import { PgProofError } from '../../lib/common/errors';

export { ConfigError, PgProofError } from '../../lib/common/errors';

/**
 * Typed errors of the Lambda functions. The `name` is what Step Functions matches in `Retry`/`Catch` and what a
 * person reads in the run history. No message ever holds a webhook or snitch URL: those carry tokens.
 * A configured value that is invalid (kind, body mode) throws `ConfigError`, naming the variable.
 */

/** The event is not a run state this function understands (the message names the fields at fault). */
export class InvalidInput extends PgProofError {
  override readonly name = 'InvalidInput';
}

/**
 * A setting the function needs is missing from its environment (in AWS the stack sets it, so a missing one means
 * a changed or foreign deployment). Thrown instead of skipping the post, so the run fails visibly.
 */
export class MissingConfiguration extends PgProofError {
  override readonly name = 'MissingConfiguration';
  /** The environment variable that is not set. */
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(message);
    this.variable = variable;
  }
}

/** The named secret does not exist in Secrets Manager (the message names the secret, never a value). */
export class SecretNotFound extends PgProofError {
  override readonly name = 'SecretNotFound';

  constructor(secretName: string, options?: { cause?: unknown }) {
    super(
      `secret "${secretName}" was not found in Secrets Manager: create it (see docs/notifications.md) or fix the secret name`,
      options,
    );
  }
}

/** Secrets Manager refused or failed to return the named secret (access denied, throttling, network). */
export class SecretReadFailed extends PgProofError {
  override readonly name = 'SecretReadFailed';

  constructor(secretName: string, options?: { cause?: unknown }) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.name}` : '';
    super(`reading secret "${secretName}" from Secrets Manager failed${reason}`, options);
  }
}

/** A secret (or URL variable) holds neither an http(s) URL nor JSON `{"url": …}`; the value is never quoted. */
export class SecretInvalid extends PgProofError {
  override readonly name = 'SecretInvalid';
}

/** The HTTP client gave up: a non-retryable status, or retries exhausted. Wrapped by the two errors below. */
export class HttpRequestFailed extends PgProofError {
  override readonly name = 'HttpRequestFailed';
  /** How many requests were sent. */
  readonly attempts: number;
  /** The last HTTP status received, if any response arrived. */
  readonly status: number | undefined;

  constructor(message: string, details: { attempts: number; status?: number; cause?: unknown }) {
    super(message, { cause: details.cause });
    this.attempts = details.attempts;
    this.status = details.status;
  }
}

/** The chat message could not be posted after the bounded retries. */
export class ChatPostFailed extends PgProofError {
  override readonly name = 'ChatPostFailed';
}

/** The dead-man's-switch check-in failed after the bounded retries. */
export class SnitchCheckInFailed extends PgProofError {
  override readonly name = 'SnitchCheckInFailed';
}

/** snitch-checkin was asked to check in for a run that did not succeed: the switch must stay silent and alert. */
export class CheckInRefused extends PgProofError {
  override readonly name = 'CheckInRefused';
}

/**
 * apply-retention was asked to apply the policy after a backup the catalog does not show verified (no such backup,
 * or no verified marker): nothing is marked, so a broken pipeline can never expire anything.
 */
export class NotVerified extends PgProofError {
  override readonly name = 'NotVerified';
}

/**
 * Reading or writing an object's tags or Object Lock retention failed. The message names the object and the S3
 * action; for AccessDenied, the permission the function's role lacks. It never quotes the SDK's message.
 */
export class ObjectMarkFailed extends PgProofError {
  override readonly name = 'ObjectMarkFailed';
}

/** An object already carries S3's maximum of tags besides pgproof's: the retention tag cannot be added to it. */
export class TooManyTags extends PgProofError {
  override readonly name = 'TooManyTags';
}
