/** openSession, closeSession, expireSession (DESIGN §4, "Sessions"). */
import { LIMITS } from '@baton/proto-schemas';
import { endSession } from './grants.js';
import { type ApplyContext, exhausted, invalid, type Outcome, ok, sessionExpired } from './machine.js';
import type { Command } from './types.js';
import { checkLabel, checkTtl } from './validate.js';

type Cmd<O extends Command['op']> = Extract<Command, { op: O }>;

/** The session's id is the entry's index: unique, and the same on every node. */
export function openSession(ctx: ApplyContext, c: Cmd<'openSession'>): Outcome<'openSession'> {
  const bad = checkTtl(c.ttlMs) ?? (c.label === undefined ? null : checkLabel(c.label));
  if (bad !== null) return invalid(bad);
  if (ctx.m.sessions.size >= LIMITS.maxSessions) return exhausted(`at most ${LIMITS.maxSessions} sessions are open`);
  ctx.m.sessions.set(ctx.index, {
    id: ctx.index,
    ttlMs: c.ttlMs,
    label: c.label ?? null,
    openedAtMs: ctx.atMs,
    owner: ctx.actor?.identity ?? null,
    names: new Set(),
  });
  return ok({ sessionId: ctx.index, ttlMs: c.ttlMs });
}

export function closeSession(ctx: ApplyContext, c: Cmd<'closeSession'>): Outcome<'closeSession'> {
  const s = ctx.m.sessions.get(c.sessionId);
  if (s === undefined) return sessionExpired(c.sessionId);
  endSession(ctx, s, 'closed');
  return ok({ closed: true });
}

/** Idempotent: the leader may propose an expiry twice (a retry, a new leader), or race a close. */
export function expireSession(ctx: ApplyContext, c: Cmd<'expireSession'>): Outcome<'expireSession'> {
  const s = ctx.m.sessions.get(c.sessionId);
  if (s === undefined) return ok({ expired: false });
  endSession(ctx, s, 'expired');
  return ok({ expired: true });
}
