/**
 * Errors a request handler throws to answer with a code. Anything else that escapes a handler is
 * a bug: the client gets INTERNAL and the node keeps serving.
 */
import type { ErrorCode } from '@baton/proto-schemas';

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extras: { field?: string; leaderHint?: string; retryAfterMs?: number } = {},
  ) {
    super(message);
  }
}
