/** The closed set of error codes a client can receive (DESIGN §5). */
export const ERROR_CODES = [
  /** This node is not the leader; `leaderHint` names the leader's client URL when known. */
  'NOT_LEADER',
  /** The request's wait ran out (acquire/campaign with timeoutMs). */
  'TIMEOUT',
  /** The session is unknown, closed or expired. */
  'SESSION_EXPIRED',
  /** Release/proclaim/resign with a token that is not a current hold. */
  'NOT_HOLDER',
  /** Malformed frame or field; the message names the field. */
  'INVALID_ARGUMENT',
  /** No token, or an unknown, expired or removed one (auth on). */
  'UNAUTHENTICATED',
  /**
   * The token lacks the permission on the request's name; or (auth on) the request names a
   * session that another token opened — sessions are bound to their token, admin tokens excepted.
   */
  'PERMISSION_DENIED',
  /** No quorum or no valid leader lease right now: retry, possibly elsewhere. */
  'UNAVAILABLE',
  /** A limit was reached (sessions, names, waiters, in-flight requests). */
  'RESOURCE_EXHAUSTED',
  /** The hello asked for a protocol version this server does not speak. */
  'UNSUPPORTED_VERSION',
  /** The wait was cancelled by the client. */
  'CANCELLED',
  /** A bug on the server; the request may or may not have been applied. */
  'INTERNAL',
  /** An admin request named a member (or a held backup) that does not exist. */
  'NOT_FOUND',
  /** An admin request would add something that is already there (a member, a URL in use). */
  'ALREADY_EXISTS',
  /** The cluster is not in a state that allows it (a learner still behind, the last voter). */
  'FAILED_PRECONDITION',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
