import { NotFoundError, StateError, ValidationError } from '../errors.js';

/** An action outside the action space (out of range, wrong shape, NaN). */
export class InvalidActionError extends ValidationError {
  constructor(message: string) {
    super(message, { field: 'action' });
  }
}

export class UnknownEnvironmentError extends NotFoundError {
  constructor(
    readonly envId: string,
    readonly validIds: readonly string[],
  ) {
    super(`unknown environment '${envId}'; valid ids: ${validIds.join(', ')}`, {
      field: 'environment',
      valid: [...validIds],
    });
  }
}

/** step() called before reset(), or after the episode ended without a reset. */
export class EnvStateError extends StateError {}
