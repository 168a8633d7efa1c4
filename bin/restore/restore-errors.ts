import { PgProofError } from '../../containers/common/errors';

/**
 * The restore was refused before anything was changed, for a reason that is the user's to fix (a non-empty
 * target, missing roles, a key outside the prefix, objects the restoring user may not create…): exit status 2.
 */
export class RestoreRefused extends PgProofError {
  override readonly name = 'RestoreRefused';
}

/** The manifest beside a key does not describe that key (swapped or edited manifest, or a foreign object). */
export class ManifestMismatch extends PgProofError {
  override readonly name = 'ManifestMismatch';
}

/** What a failed restore left on the target server, in one plain sentence for the person on call. */
export interface TargetState {
  /** `untouched`: nothing on the target changed; `partial`: the target database holds part of the backup. */
  readonly state: 'untouched' | 'partial' | 'replaced';
  readonly message: string;
}

const TARGET_STATE = Symbol('pgproof.targetState');

/** Attaches the target's state to an error on its way out (the first attachment wins: it is the most precise). */
export function withTargetState<E>(error: E, state: TargetState): E {
  if (error && typeof error === 'object' && !(TARGET_STATE in error)) {
    Object.defineProperty(error, TARGET_STATE, { value: state, enumerable: false });
  }
  return error;
}

export function targetStateOf(error: unknown): TargetState | undefined {
  return error && typeof error === 'object' ? (error as { [TARGET_STATE]?: TargetState })[TARGET_STATE] : undefined;
}

/** Error names that mean "the user must fix something first" (exit status 2), as docs/operations.md documents. */
export function isUserRefusal(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === 'RestoreRefused' || name === 'ConfigError';
}
