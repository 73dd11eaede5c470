import { LIMITS } from '@baton/proto-schemas';
import { describe, expect, it } from 'vitest';
import { DedupTable } from './dedup.js';
import { FsmHarness } from './test-harness.js';

describe('exactly-once', () => {
  it('a retried acquire returns the stored result and never queues twice', () => {
    const h = new FsmHarness();
    const a = h.open();
    const b = h.open();
    const t = h.lock(a, 'x');
    const cmd = { op: 'acquire', sessionId: b, name: 'x', limit: 1, wait: true, lockDelayMs: 0 } as const;
    expect(h.client('w', cmd)).toEqual({ ok: true, value: { acquired: false, waiting: true } });
    const seq = h.lastSeq('w');
    h.release(a, 'x', t);
    const tB = h.index;
    // the retry of the first request gets the first answer, even though b now holds the lock
    expect(h.client('w', cmd, seq)).toEqual({ ok: true, value: { acquired: false, waiting: true } });
    expect(h.events).toEqual([]);
    expect(h.fsm.describe('x', 0).holders.map((x) => [x.sessionId, x.token])).toEqual([[b, tB]]);
    expect(h.fsm.describe('x', 0).waiters).toEqual([]);
  });

  it('a retried release never frees a newer holder', () => {
    const h = new FsmHarness();
    const a = h.open();
    const t1 = h.lock(a, 'x');
    const release = { op: 'release', sessionId: a, name: 'x', token: t1 } as const;
    expect(h.client('r', release).ok).toBe(true);
    const seq = h.lastSeq('r');
    const t2 = h.lock(a, 'x');
    expect(h.client('r', release, seq)).toEqual({ ok: true, value: { released: true } });
    expect(h.events).toEqual([]);
    expect(h.fsm.fenceCheck('x', t2).current).toBe(true);
  });

  it('a retried openSession returns the same session instead of opening another', () => {
    const h = new FsmHarness();
    const r1 = h.client('o', { op: 'openSession', ttlMs: 5_000 });
    const r2 = h.client('o', { op: 'openSession', ttlMs: 5_000 }, h.lastSeq('o'));
    expect(r2).toEqual(r1);
    expect(h.fsm.sessions()).toHaveLength(1);
  });

  it('an error is remembered too, and a seq older than the window is refused as stale', () => {
    const h = new FsmHarness();
    const first = h.client('c', { op: 'closeSession', sessionId: 77 });
    expect(first).toMatchObject({ code: 'SESSION_EXPIRED' });
    const s = h.open(); // after this, the window moves on
    for (let i = 0; i < LIMITS.maxInflightRequestsPerConnection; i++) {
      h.client('c', { op: 'acquire', sessionId: s, name: 'x', limit: 1, wait: true, lockDelayMs: 0 });
    }
    const r = h.client('c', { op: 'closeSession', sessionId: 77 }, 1);
    expect(r).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
    expect(r.ok ? '' : r.message).toMatch(/stale sequence 1/);
    // the newest seqs of the window are still answered from the table
    const last = h.lastSeq('c');
    expect(h.client('c', { op: 'closeSession', sessionId: s }, last)).toMatchObject({
      ok: true,
      value: { acquired: true },
    });
    expect(h.fsm.hasSession(s)).toBe(true);
  });

  it('a seq inside the window that never applied (proposed out of order) applies normally', () => {
    const h = new FsmHarness();
    h.client('c', { op: 'openSession', ttlMs: 5_000 }, 5);
    const r = h.client('c', { op: 'openSession', ttlMs: 5_000 }, 3);
    expect(r.ok).toBe(true);
    expect(h.fsm.sessions()).toHaveLength(2);
  });

  it('leader commands are not deduplicated', () => {
    const h = new FsmHarness();
    h.leader({ op: 'endLockDelay', name: 'x' });
    expect(h.fsm.stats().dedupClients).toBe(0);
  });
});

describe('DedupTable', () => {
  it('keeps the results of the newest `window` seqs per client', () => {
    const d = new DedupTable(3, 10);
    const res = (n: number) => ({ ok: true as const, value: { sessionId: n, ttlMs: 1000 } });
    for (let seq = 1; seq <= 5; seq++) d.record('a', seq, res(seq));
    expect([...(d.clients.get('a')?.results.keys() ?? [])]).toEqual([3, 4, 5]);
    expect(d.check('a', 5)).toEqual({ kind: 'duplicate', result: res(5) });
    expect(d.check('a', 3)).toEqual({ kind: 'duplicate', result: res(3) });
    expect(d.check('a', 2)).toEqual({ kind: 'stale', highestSeq: 5 });
    expect(d.check('a', 6)).toEqual({ kind: 'new' });
    expect(d.check('b', 1)).toEqual({ kind: 'new' });
  });

  it('evicts the client applied least recently when full', () => {
    const d = new DedupTable(3, 2);
    const r = { ok: true as const, value: { closed: true as const } };
    d.record('a', 1, r);
    d.record('b', 1, r);
    d.record('a', 2, r); // a is now the most recent
    d.record('c', 1, r); // evicts b
    expect([...d.clients.keys()]).toEqual(['a', 'c']);
    expect(d.check('b', 1)).toEqual({ kind: 'new' });
  });
});
