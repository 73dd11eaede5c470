/**
 * campaign, proclaim, resign (DESIGN §4, "Elections"): an election is a limit-1 name whose
 * holder is the leader and carries a value; the leader's token is its term.
 */
import { LIMITS } from '@baton/proto-schemas';
import { announceLeader, enqueue, grant, holdOf, removeHold, waiterIndexOf } from './grants.js';
import { type ApplyContext, exhausted, invalid, notHolder, type Outcome, ok, sessionExpired } from './machine.js';
import { freeSlots, isIdle } from './state.js';
import type { Command } from './types.js';
import { checkName, checkValue } from './validate.js';

type Cmd<O extends Command['op']> = Extract<Command, { op: O }>;

const ELECTION_LIMIT = 1;

/** Queues the candidate; it leads at once if nobody does. A repeated campaign changes nothing. */
export function campaign(ctx: ApplyContext, c: Cmd<'campaign'>): Outcome<'campaign'> {
  const s = ctx.m.sessions.get(c.sessionId);
  if (s === undefined) return sessionExpired(c.sessionId);
  const bad = checkName(c.name) ?? checkValue(c.value);
  if (bad !== null) return invalid(bad);
  const req = { lockDelayMs: 0, metadata: null, value: c.value, sinceMs: ctx.atMs };
  let n = ctx.m.names.get(c.name);
  if (n !== undefined && !isIdle(n)) {
    if (n.kind !== 'election') return invalid(`name '${c.name}' is a lock or semaphore: acquire/release it`);
    if (s.names.has(n.name)) {
      const held = holdOf(n, s.id);
      if (held !== undefined) return ok({ elected: true, term: held.token, generation: held.generation });
      if (waiterIndexOf(n, s.id) >= 0) return ok({ elected: false, waiting: true });
    }
    if (freeSlots(n) > 0 && n.waiters.length === 0) {
      const h = grant(ctx, n, s, { ...req, fromWait: false });
      ctx.m.names.refresh(n);
      return ok({ elected: true, term: h.token, generation: h.generation });
    }
    if (n.waiters.length >= LIMITS.maxWaitersPerName) {
      return exhausted(`'${c.name}' already has ${LIMITS.maxWaitersPerName} candidates`);
    }
    enqueue(ctx, n, s, req);
    return ok({ elected: false, waiting: true });
  }
  if (n === undefined) {
    if (!ctx.m.names.canCreate()) return exhausted(`at most ${LIMITS.maxNames} names are in use`);
    n = ctx.m.names.create(c.name, 'election', ELECTION_LIMIT);
  } else {
    n.kind = 'election';
    n.limit = ELECTION_LIMIT;
  }
  const h = grant(ctx, n, s, { ...req, fromWait: false });
  ctx.m.names.refresh(n);
  return ok({ elected: true, term: h.token, generation: h.generation });
}

/** The leader of `term` changes its value without losing leadership. */
export function proclaim(ctx: ApplyContext, c: Cmd<'proclaim'>): Outcome<'proclaim'> {
  const s = ctx.m.sessions.get(c.sessionId);
  if (s === undefined) return sessionExpired(c.sessionId);
  const bad = checkName(c.name) ?? checkValue(c.value);
  if (bad !== null) return invalid(bad);
  const n = ctx.m.names.get(c.name);
  if (n !== undefined && !isIdle(n) && n.kind === 'lock')
    return invalid(`name '${c.name}' is a lock or semaphore, not an election`);
  const h = n === undefined ? undefined : holdOf(n, s.id);
  if (n === undefined || h === undefined || h.token !== c.term) {
    return notHolder(`session ${s.id} does not lead '${c.name}' in term ${c.term}`);
  }
  if (h.value !== c.value) {
    h.value = c.value;
    announceLeader(ctx, n);
  }
  return ok({ term: h.token, value: c.value });
}

/** Leadership passes to the next candidate at once (or to nobody, and observers hear that). */
export function resign(ctx: ApplyContext, c: Cmd<'resign'>): Outcome<'resign'> {
  const s = ctx.m.sessions.get(c.sessionId);
  if (s === undefined) return sessionExpired(c.sessionId);
  const bad = checkName(c.name);
  if (bad !== null) return invalid(bad);
  const n = ctx.m.names.get(c.name);
  if (n !== undefined && !isIdle(n) && n.kind === 'lock')
    return invalid(`name '${c.name}' is a lock or semaphore, not an election`);
  const h = n === undefined ? undefined : holdOf(n, s.id);
  if (n === undefined || h === undefined || h.token !== c.term) {
    return notHolder(`session ${s.id} does not lead '${c.name}' in term ${c.term}`);
  }
  removeHold(ctx, n, h, false);
  return ok({ resigned: true });
}
