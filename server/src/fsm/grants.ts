/**
 * The mechanics every lock, semaphore and election shares: grant, queue, release, hand the slot
 * to the next waiter, end a session. Handlers validate first and call these only to change state.
 *
 * Why at most one grant per name per entry: the token is the entry's index, and tokens must
 * strictly increase per name. An entry frees at most one slot of a name (one hold per session per
 * name; one lock-delay per endLockDelay), and while no slot is free nobody waits, so handing the
 * freed slot to the queue's head is all that is ever needed.
 */
import type { ApplyContext } from './machine.js';
import { append, freeSlots, type Hold, type NameState, type SessionState, type Waiter } from './state.js';
import type { HoldMetadata } from './types.js';

export interface GrantRequest {
  readonly lockDelayMs: number;
  readonly metadata: HoldMetadata | null;
  readonly value: string | null;
  readonly fromWait: boolean;
  readonly sinceMs: number;
}

export function grant(ctx: ApplyContext, n: NameState, s: SessionState, req: GrantRequest): Hold {
  n.generation += 1;
  n.newestToken = ctx.index;
  const hold: Hold = {
    sessionId: s.id,
    token: ctx.index,
    generation: n.generation,
    sinceMs: ctx.atMs,
    lockDelayMs: req.lockDelayMs,
    metadata: req.metadata,
    value: req.value,
    fromWait: req.fromWait,
  };
  n.holders = append(n.holders, hold);
  s.names.add(n.name);
  const election = n.kind === 'election';
  ctx.events.push({
    kind: 'granted',
    sessionId: s.id,
    name: n.name,
    token: hold.token,
    generation: hold.generation,
    election,
  });
  if (election) announceLeader(ctx, n);
  return hold;
}

export function enqueue(ctx: ApplyContext, n: NameState, s: SessionState, req: Omit<GrantRequest, 'fromWait'>): void {
  const w: Waiter = {
    sessionId: s.id,
    enqueuedIndex: ctx.index,
    sinceMs: req.sinceMs,
    lockDelayMs: req.lockDelayMs,
    metadata: req.metadata,
    value: req.value,
  };
  n.waiters = append(n.waiters, w);
  s.names.add(n.name);
}

/** The electionChanged event for the name's current leader (or none). */
export function announceLeader(ctx: ApplyContext, n: NameState): void {
  const h = n.holders[0];
  ctx.events.push({
    kind: 'electionChanged',
    name: n.name,
    leader: h === undefined ? null : { sessionId: h.sessionId, value: h.value ?? '', term: h.token },
  });
}

export function holdOf(n: NameState, sessionId: number): Hold | undefined {
  return n.holders.find((h) => h.sessionId === sessionId);
}

export function waiterIndexOf(n: NameState, sessionId: number): number {
  return n.waiters.findIndex((w) => w.sessionId === sessionId);
}

/**
 * Removes a hold. With `reserveFor` (an expiry of a hold that asked for a lock-delay) its slot
 * stays out of use until an endLockDelay; otherwise the slot goes to the next waiter at once.
 */
export function removeHold(ctx: ApplyContext, n: NameState, hold: Hold, reserve: boolean): void {
  const i = n.holders.indexOf(hold);
  if (i < 0) return;
  n.holders.splice(i, 1);
  ctx.m.sessions.get(hold.sessionId)?.names.delete(n.name);
  if (reserve && hold.lockDelayMs > 0) {
    n.reservations = append(n.reservations, {
      sinceIndex: ctx.index,
      sinceMs: ctx.atMs,
      lockDelayMs: hold.lockDelayMs,
    });
  }
  grantNext(ctx, n);
  // an election whose leader left and got no successor has no leader now: observers hear so
  // (a successor was announced by its grant)
  if (n.kind === 'election' && n.holders.length === 0) announceLeader(ctx, n);
  ctx.m.names.refresh(n);
}

export function removeWaiter(ctx: ApplyContext, n: NameState, i: number): void {
  const [w] = n.waiters.splice(i, 1);
  if (w === undefined) return;
  ctx.m.sessions.get(w.sessionId)?.names.delete(n.name);
  ctx.m.names.refresh(n);
}

/**
 * Hands one free slot to the head of the queue. A waiter is granted only if its session is alive
 * when this entry applies (etcd#11456); sessions drop their waits when they end, so a dead head
 * would be a broken invariant, skipped here and reported by checkFsmInvariants.
 */
export function grantNext(ctx: ApplyContext, n: NameState): void {
  if (freeSlots(n) <= 0) return;
  while (n.waiters.length > 0) {
    const w = n.waiters.shift() as Waiter;
    const s = ctx.m.sessions.get(w.sessionId);
    if (s === undefined) continue;
    grant(ctx, n, s, { ...w, fromWait: true });
    return;
  }
}

/**
 * Ends a session (expiry or close): it is gone before anything is handed on, its waits are
 * removed first, then its holds are released (kept reserved for their lock-delay on expiry) and
 * each freed slot goes to the next live waiter. Names go in sorted order, so the events are in
 * the same order on every node whatever order the session's name index was built in.
 */
export function endSession(ctx: ApplyContext, s: SessionState, reason: 'expired' | 'closed'): void {
  ctx.m.sessions.delete(s.id);
  ctx.events.push({ kind: 'sessionEnded', sessionId: s.id, reason });
  const names = [...s.names].sort();
  for (const name of names) {
    const n = ctx.m.names.get(name);
    if (n === undefined) continue;
    const i = waiterIndexOf(n, s.id);
    if (i < 0) continue;
    removeWaiter(ctx, n, i);
    ctx.events.push({ kind: 'waitEnded', sessionId: s.id, name, reason: 'sessionEnded' });
  }
  for (const name of names) {
    const n = ctx.m.names.get(name);
    if (n === undefined) continue;
    const hold = holdOf(n, s.id);
    if (hold === undefined) continue;
    ctx.events.push({ kind: 'lost', sessionId: s.id, name, token: hold.token, reason });
    removeHold(ctx, n, hold, reason === 'expired');
  }
  s.names.clear();
}
