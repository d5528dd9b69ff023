/**
 * The one error hierarchy of tars-eval. Every layer throws these; the API's error plugin
 * maps each kind to its HTTP status, and the CLI prints the message. `details` carries
 * machine-readable context (e.g. the offending field).
 */
export type ErrorKind =
  | 'validation'
  | 'not_found'
  | 'unauthorized'
  | 'forbidden'
  | 'conflict'
  | 'rate_limited'
  | 'unavailable';

export class TarsError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input: a field, an action, a tensor, a hyperparameter. `details.field` names it when known. */
export class ValidationError extends TarsError {
  constructor(message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super('validation', message, details, options);
  }
}

export class NotFoundError extends TarsError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('not_found', message, details);
  }
}

export class UnauthorizedError extends TarsError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('unauthorized', message, details);
  }
}

export class ForbiddenError extends TarsError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('forbidden', message, details);
  }
}

export class ConflictError extends TarsError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('conflict', message, details);
  }
}

export class RateLimitedError extends TarsError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    details?: Record<string, unknown>,
  ) {
    super('rate_limited', message, details);
  }
}

export class UnavailableError extends TarsError {
  constructor(message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super('unavailable', message, details, options);
  }
}

/** A state that must not happen when the API is used as documented (e.g. step() before reset()). */
export class StateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateError';
  }
}

/** Work stopped on request (a job cancelled or handed back at shutdown); it may be retried. */
export class CancelledError extends TarsError {
  constructor(message = 'cancelled') {
    super('unavailable', message, { cancelled: true });
  }
}
