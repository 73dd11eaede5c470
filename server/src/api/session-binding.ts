/**
 * Sessions are bound to the token identity that opened them (auth on): only that identity, or an
 * admin token (an operator), may keep one alive, resume it on another connection, close it, or
 * acquire, release, campaign, proclaim or resign through it. Knowing a session id is not enough.
 *
 * The binding lives in the replicated state (fsm: SessionState.owner, set by openSession from the
 * entry's actor) and the state machine refuses foreign commands itself, so every node decides
 * alike. This file is the API's side: the actor a connection's commands carry, and an early
 * check against this node's replica, which also covers keepalives (answered from the leader's
 * memory, never logged) and refuses before a wait is registered.
 */
import type { ClientRequest } from '@baton/proto-schemas';
import type { Identity } from '../auth/permissions.js';
import type { Actor } from '../fsm/index.js';
import { ApiError } from './errors.js';

/** The actor of a connection's commands: none with auth off (nothing is bound or checked). */
export function actorOf(identity: Identity | null): Actor | undefined {
  return identity === null ? undefined : { identity: identity.name, admin: identity.admin };
}

/** The session a request names, or null (session.open, reads, admin…). */
export function requestSession(r: ClientRequest): number | null {
  const id = (r as { sessionId?: unknown }).sessionId;
  return typeof id === 'string' ? Number(id) : null;
}

/**
 * Throws PERMISSION_DENIED when the request names a session bound to another identity.
 * `ownerOf` reads this node's replica: an owner never changes once set, so a session this
 * replica knows is decided exactly; one it does not know yet is left to the state machine.
 */
export function checkSessionOwner(
  identity: Identity | null,
  r: ClientRequest,
  ownerOf: (sessionId: number) => string | null,
): void {
  if (identity === null || identity.admin) return;
  const sessionId = requestSession(r);
  if (sessionId === null) return;
  const owner = ownerOf(sessionId);
  if (owner !== null && owner !== identity.name) {
    throw new ApiError('PERMISSION_DENIED', `session ${sessionId} belongs to another token`);
  }
}
