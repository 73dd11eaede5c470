/** acquire, release, cancelWait, endLockDelay: locks and semaphores (DESIGN §4). */
import { LIMITS } from '@baton/proto-schemas';
import { enqueue, grant, grantNext, holdOf, removeHold, removeWaiter, waiterIndexOf } from './grants.js';
import { type ApplyContext, exhausted, invalid, notHolder, type Outcome, ok, sessionExpired } from './machine.js';
import { freeSlots, isIdle } from './state.js';
import type { Command } from './types.js';
import { checkLimit, checkLockDelay, checkMetadata, checkName } from './validate.js';

type Cmd<O extends Command['op']> = Extract<Command, { op: O }>;

export function acquire(ctx: ApplyContext, c: Cmd<'acquire'>): Outcome<'acquire'> {
  const s = ctx.m.sessions.get(c.sessionId);
  if (s === undefined) return sessionExpired(c.sessionId);
  const bad = checkName(c.name) ?? checkLimit(c.limit) ?? checkLockDelay(c.lockDelayMs) ?? checkMetadata(c.metadata);
  if (bad !== null) return invalid(bad);
  const req = {
    lockDelayMs: c.lockDelayMs,
    metadata: c.metadata ?? null,
    value: null,
    sinceMs: ctx.atMs,
  };
  let n = ctx.m.names.get(c.name);
  if (n !== undefined && !isIdle(n)) {
    if (n.kind !== 'lock') return invalid(`name '${c.name}' is an election: campaign/resign it`);
    if (n.limit !== c.limit) return invalid(`limit ${c.limit} does not match the limit ${n.limit} of '${c.name}'`);
    // one hold and one wait per session per name: a retried or repeated acquire changes nothing
    // (the session's name index makes the usual case, a newcomer, O(1) on a long queue)
    if (s.names.has(n.name)) {
      const held = holdOf(n, s.id);
      if (held !== undefined) return ok({ acquired: true, token: held.token, generation: held.generation });
      if (waiterIndexOf(n, s.id) >= 0) return ok({ acquired: false, waiting: true });
    }
    if (freeSlots(n) > 0 && n.waiters.length === 0) {
      const h = grant(ctx, n, s, { ...req, fromWait: false });
      ctx.m.names.refresh(n);
      return ok({ acquired: true, token: h.token, generation: h.generation });
    }
    if (!c.wait) return ok({ acquired: false, waiting: false });
    if (n.waiters.length >= LIMITS.maxWaitersPerName) {
      return exhausted(`'${c.name}' already has ${LIMITS.maxWaitersPerName} waiters`);
    }
    enqueue(ctx, n, s, req);
    return ok({ acquired: false, waiting: true });
  }
  // a new name, or an idle one taking this request's kind and limit: free, so granted at once
  if (n === undefined) {
    if (!ctx.m.names.canCreate()) return exhausted(`at most ${LIMITS.maxNames} names are in use`);
    n = ctx.m.names.create(c.name, 'lock', c.limit);
  } else {
    n.kind = 'lock';
    n.limit = c.limit;
  }
  const h = grant(ctx, n, s, { ...req, fromWait: false });
  ctx.m.names.refresh(n);
  return ok({ acquired: true, token: h.token, generation: h.generation });
}

/** Only the session's current hold with this very token: a retried release never frees a newer holder. */
export function release(ctx: ApplyContext, c: Cmd<'release'>): Outcome<'release'> {
  const s = ctx.m.sessions.get(c.sessionId);
  if (s === undefined) return sessionExpired(c.sessionId);
  const bad = checkName(c.name);
  if (bad !== null) return invalid(bad);
  const n = ctx.m.names.get(c.name);
  if (n !== undefined && !isIdle(n) && n.kind === 'election')
    return invalid(`name '${c.name}' is an election: resign it`);
  const h = n === undefined ? undefined : holdOf(n, s.id);
  if (n === undefined || h === undefined || h.token !== c.token) {
    return notHolder(`token ${c.token} is not a current hold of session ${s.id} on '${c.name}'`);
  }
  removeHold(ctx, n, h, false);
  return ok({ released: true });
}

/**
 * The client stopped waiting (abort or timeout): its waiter leaves the queue. A wait that was
 * granted before this entry applied keeps its hold: the grant is the wait's answer. Revoking it
 * here (as an earlier version did) let a cancel decided for one attempt of a wait — a server-side
 * timeout, or a cancel proposed before a leader change and committed after it — take away a grant
 * that another attempt of the same wait had already delivered to the client, a loss no operation
 * of the client explains (the chaos suite caught it: seed 9, netns mode). A grant the client really
 * never learns of is given back by the SDK when the late answer arrives, and otherwise freed by
 * the session's expiry, like any hold of a vanished client.
 */
export function cancelWait(ctx: ApplyContext, c: Cmd<'cancelWait'>): Outcome<'cancelWait'> {
  const s = ctx.m.sessions.get(c.sessionId);
  if (s === undefined) return sessionExpired(c.sessionId);
  const bad = checkName(c.name);
  if (bad !== null) return invalid(bad);
  const n = ctx.m.names.get(c.name);
  if (n === undefined) return ok({ notWaiting: true });
  const i = waiterIndexOf(n, s.id);
  if (i >= 0) {
    removeWaiter(ctx, n, i);
    ctx.events.push({ kind: 'waitEnded', sessionId: s.id, name: n.name, reason: 'cancelled' });
    return ok({ cancelled: true });
  }
  return ok({ notWaiting: true });
}

/** Frees one slot held back by a lock-delay (the given one, or the name's oldest); idempotent. */
export function endLockDelay(ctx: ApplyContext, c: Cmd<'endLockDelay'>): Outcome<'endLockDelay'> {
  const n = ctx.m.names.get(c.name);
  if (n === undefined) return ok({ ended: false });
  const i = c.sinceIndex === undefined ? 0 : n.reservations.findIndex((r) => r.sinceIndex === c.sinceIndex);
  if (i < 0 || i >= n.reservations.length) return ok({ ended: false });
  n.reservations.splice(i, 1);
  grantNext(ctx, n);
  ctx.m.names.refresh(n);
  return ok({ ended: true });
}
