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
    /** The closest valid id, when the given one looks like a typo of it. */
    readonly suggestion: string | null = null,
  ) {
    const hint = suggestion === null ? '' : ` (did you mean ${suggestion}?)`;
    super(`unknown environment '${envId}'${hint}; valid ids: ${validIds.join(', ')}`, {
      field: 'environment',
      valid: [...validIds],
      ...(suggestion === null ? {} : { suggestion }),
    });
  }
}

/** step() called before reset(), or after the episode ended without a reset. */
export class EnvStateError extends StateError {}
