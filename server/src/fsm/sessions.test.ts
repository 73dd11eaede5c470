import { LIMITS } from '@baton/proto-schemas';
import { describe, expect, it } from 'vitest';
import { FsmHarness } from './test-harness.js';
import type { Command } from './types.js';

describe('sessions', () => {
  it('a session id is the index of its openSession entry; the fsm keeps its TTL', () => {
    const h = new FsmHarness();
    h.index = 41;
    expect(h.client('c', { op: 'openSession', ttlMs: 5_000, label: 'worker-1' })).toEqual({
      ok: true,
      value: { sessionId: 42, ttlMs: 5_000 },
    });
    expect(h.fsm.sessions()).toEqual([{ id: 42, ttlMs: 5_000 }]);
    expect(h.fsm.hasSession(42)).toBe(true);
  });

  it('refuses a TTL outside minTtlMs..maxTtlMs (or not an integer) and opens nothing', () => {
    const h = new FsmHarness();
    for (const ttlMs of [LIMITS.minTtlMs - 1, LIMITS.maxTtlMs + 1, -5, 1500.5, 0]) {
      expect(h.client('c', { op: 'openSession', ttlMs })).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
    }
    expect(h.fsm.sessions()).toEqual([]);
    expect(h.client('c', { op: 'openSession', ttlMs: LIMITS.minTtlMs }).ok).toBe(true);
    expect(h.client('c', { op: 'openSession', ttlMs: LIMITS.maxTtlMs }).ok).toBe(true);
  });

  it('an expiry releases every hold and wait of the session, and the next live waiter is granted', () => {
    const h = new FsmHarness();
    const a = h.open();
    const b = h.open();
    const c = h.open();
    const tA = h.lock(a, 'x');
    h.lock(b, 'y');
    h.acquire(a, 'y'); // a waits on y
    h.acquire(c, 'x'); // c waits on x
    expect(h.leader({ op: 'expireSession', sessionId: a })).toEqual({ ok: true, value: { expired: true } });
    expect(h.events).toEqual([
      { kind: 'sessionEnded', sessionId: a, reason: 'expired' },
      { kind: 'waitEnded', sessionId: a, name: 'y', reason: 'sessionEnded' },
      { kind: 'lost', sessionId: a, name: 'x', token: tA, reason: 'expired' },
      { kind: 'granted', sessionId: c, name: 'x', token: h.index, generation: 2, election: false },
    ]);
    expect(h.fsm.hasSession(a)).toBe(false);
    expect(h.fsm.describe('y', 0).waiters).toEqual([]);
    expect(h.fsm.sessionHolds(a)).toEqual([]);
    expect(h.fsm.sessionHolds(c)).toEqual([{ name: 'x', token: h.index, waiting: false }]);
  });

  it('never grants to a waiter whose session ended while it waited (etcd#11456)', () => {
    const h = new FsmHarness();
    const a = h.open();
    const b = h.open();
    const c = h.open();
    const t = h.lock(a, 'x');
    h.acquire(b, 'x');
    h.acquire(c, 'x');
    h.leader({ op: 'expireSession', sessionId: b });
    h.release(a, 'x', t);
    expect(h.grants().map((g) => g.sessionId)).toEqual([c]);
  });

  it('a close releases at once, with reason closed; an unknown session is SESSION_EXPIRED everywhere', () => {
    const h = new FsmHarness();
    const a = h.open();
    const t = h.lock(a, 'x');
    expect(h.client('c', { op: 'closeSession', sessionId: a })).toEqual({ ok: true, value: { closed: true } });
    expect(h.events).toEqual([
      { kind: 'sessionEnded', sessionId: a, reason: 'closed' },
      { kind: 'lost', sessionId: a, name: 'x', token: t, reason: 'closed' },
    ]);
    const cmds: Command[] = [
      { op: 'closeSession', sessionId: a },
      { op: 'acquire', sessionId: a, name: 'x', limit: 1, wait: true, lockDelayMs: 0 },
      { op: 'cancelWait', sessionId: a, name: 'x' },
      { op: 'release', sessionId: a, name: 'x', token: t },
      { op: 'campaign', sessionId: a, name: 'e', value: 'v' },
      { op: 'proclaim', sessionId: a, name: 'e', term: 1, value: 'v' },
      { op: 'resign', sessionId: a, name: 'e', term: 1 },
      { op: 'acquire', sessionId: 999, name: 'x', limit: 1, wait: true, lockDelayMs: 0 },
    ];
    for (const cmd of cmds) expect(h.client('c', cmd)).toMatchObject({ ok: false, code: 'SESSION_EXPIRED' });
  });

  it('expiring an unknown or ended session is a no-op (leader commands are idempotent)', () => {
    const h = new FsmHarness();
    const a = h.open();
    h.leader({ op: 'expireSession', sessionId: a });
    const before = h.state();
    expect(h.leader({ op: 'expireSession', sessionId: a })).toEqual({ ok: true, value: { expired: false } });
    expect(h.leader({ op: 'expireSession', sessionId: 12345 })).toEqual({ ok: true, value: { expired: false } });
    expect(h.events).toEqual([]);
    expect(h.state()).toBe(before);
  });

  it('only the leader expires sessions or ends lock-delays', () => {
    const h = new FsmHarness();
    const a = h.open();
    expect(h.client('c', { op: 'expireSession', sessionId: a })).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
    expect(h.client('c', { op: 'endLockDelay', name: 'x' })).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
    expect(h.fsm.hasSession(a)).toBe(true);
  });

  it('refuses a label over maxSessionLabelBytes', () => {
    const h = new FsmHarness();
    const label = 'x'.repeat(LIMITS.maxSessionLabelBytes + 1);
    expect(h.client('c', { op: 'openSession', ttlMs: 5_000, label })).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
