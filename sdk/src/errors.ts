/**
 * Every error the SDK throws or rejects with is a BatonError with a `code`: the protocol's closed
 * set (DESIGN §5), plus CLOSED for work the application ended itself (client or session closed).
 * Callers branch on `code`, never on the message.
 */
import { ERROR_CODES, type ErrorBody, type ErrorCode } from '@baton/proto-schemas';

/** The protocol's codes, plus the one client-side code. */
export type BatonErrorCode = ErrorCode | 'CLOSED';

export const BATON_ERROR_CODES: readonly BatonErrorCode[] = Object.freeze([...ERROR_CODES, 'CLOSED']);

export interface BatonErrorDetails {
  /** The first bad field (`ttlMs`, `metadata.pid`), for INVALID_ARGUMENT. */
  readonly field?: string | undefined;
  /** The leader's client URL, for NOT_LEADER. */
  readonly leaderHint?: string | undefined;
  /** For RESOURCE_EXHAUSTED from a server rate limit: when the same request would be admitted. */
  readonly retryAfterMs?: number | undefined;
  readonly cause?: unknown;
}

export class BatonError extends Error {
  override readonly name = 'BatonError';
  readonly code: BatonErrorCode;
  readonly field: string | undefined;
  readonly leaderHint: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: BatonErrorCode, message: string, details: BatonErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.field = details.field;
    this.leaderHint = details.leaderHint;
    this.retryAfterMs = details.retryAfterMs;
  }

  /** An error answer from the server. */
  static fromBody(body: ErrorBody): BatonError {
    return new BatonError(body.code, body.message, {
      field: body.field,
      leaderHint: body.leaderHint,
      retryAfterMs: body.retryAfterMs,
    });
  }
}

/** True when `err` is a BatonError (with `code`, when given). */
export function isBatonError(err: unknown, code?: BatonErrorCode): err is BatonError {
  return err instanceof BatonError && (code === undefined || err.code === code);
}

/**
 * What an aborted AbortSignal means as a BatonError: a BatonError reason is kept as it is, a
 * `TimeoutError` (AbortSignal.timeout) becomes TIMEOUT, anything else CANCELLED.
 */
export function abortReasonToError(reason: unknown, what: string): BatonError {
  if (reason instanceof BatonError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new BatonError('TIMEOUT', `${what}: the signal timed out`, { cause: reason });
  }
  return new BatonError('CANCELLED', `${what}: aborted by the signal`, { cause: reason });
}
