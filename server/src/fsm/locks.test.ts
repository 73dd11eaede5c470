import { describe, expect, it } from 'vitest';
import { FsmHarness } from './test-harness.js';

describe('locks', () => {
  it('grants a free lock with the entry index as token and generation 1', () => {
    const h = new FsmHarness();
    const s = h.open();
    const v = h.acquire(s, 'job');
    expect(v).toEqual({ acquired: true, token: h.index, generation: 1 });
    expect(h.events).toEqual([
      { kind: 'granted', sessionId: s, name: 'job', token: h.index, generation: 1, election: false },
    ]);
    expect(h.fsm.fenceCheck('job', h.index)).toEqual({ current: true, newestToken: h.index });
  });

  it('hands a contended lock to the waiters in FIFO order, each with a larger token', () => {
    const h = new FsmHarness();
    const [a, b, c, d] = [h.open(), h.open(), h.open(), h.open()] as [number, number, number, number];
    const tA = h.lock(a, 'job');
    expect(h.acquire(c, 'job')).toEqual({ acquired: false, waiting: true });
    expect(h.acquire(b, 'job')).toEqual({ acquired: false, waiting: true });
    expect(h.acquire(d, 'job')).toEqual({ acquired: false, waiting: true });
    expect(h.fsm.describe('job', 0).waiters.map((w) => w.sessionId)).toEqual([c, b, d]);

    expect(h.release(a, 'job', tA)).toEqual({ ok: true, value: { released: true } });
    const [g1] = h.grants();
    expect(g1).toEqual({ sessionId: c, name: 'job', token: h.index, generation: 2 });
    expect(g1?.token).toBeGreaterThan(tA);

    h.release(c, 'job', g1?.token ?? 0);
    const [g2] = h.grants();
    expect(g2?.sessionId).toBe(b);
    expect(g2?.token).toBeGreaterThan(g1?.token ?? 0);
    expect(g2?.generation).toBe(3);

    h.release(b, 'job', g2?.token ?? 0);
    expect(h.grants().map((g) => g.sessionId)).toEqual([d]);
    expect(h.fsm.describe('job', 0).holders.map((x) => x.sessionId)).toEqual([d]);
    // the old tokens no longer fence
    expect(h.fsm.fenceCheck('job', tA)).toEqual({ current: false, newestToken: h.index });
  });

  it('try-acquire on a held lock answers not acquired and changes nothing', () => {
    const h = new FsmHarness();
    const a = h.open();
    const b = h.open();
    h.lock(a, 'job');
    const before = h.state();
    const r = h.leader({ op: 'acquire', sessionId: b, name: 'job', limit: 1, wait: false, lockDelayMs: 0 });
    expect(r).toEqual({ ok: true, value: { acquired: false, waiting: false } });
    expect(h.events).toEqual([]);
    expect(h.state()).toBe(before);
  });

  it('a semaphore of limit 3 grants three, queues the fourth, and hands a freed slot on', () => {
    const h = new FsmHarness();
    const s = [h.open(), h.open(), h.open(), h.open(), h.open()] as [number, number, number, number, number];
    const tokens = [h.lock(s[0], 'pool', { limit: 3 }), h.lock(s[1], 'pool', { limit: 3 })];
    tokens.push(h.lock(s[2], 'pool', { limit: 3 }));
    expect(h.fsm.describe('pool', 0).holders.map((x) => x.generation)).toEqual([1, 2, 3]);
    expect(h.acquire(s[3], 'pool', { limit: 3 })).toEqual({ acquired: false, waiting: true });
    expect(h.acquire(s[4], 'pool', { limit: 3, wait: false })).toEqual({ acquired: false, waiting: false });
    h.release(s[1], 'pool', tokens[1] ?? 0);
    expect(h.grants().map((g) => [g.sessionId, g.generation])).toEqual([[s[3], 4]]);
    expect(h.fsm.describe('pool', 0).holders.map((x) => x.sessionId)).toEqual([s[0], s[2], s[3]]);
    for (const t of tokens) expect(h.fsm.fenceCheck('pool', t).current).toBe(t !== tokens[1]);
  });

  it('refuses a limit that differs from the busy name, and accepts a new one once it is idle', () => {
    const h = new FsmHarness();
    const a = h.open();
    const b = h.open();
    const t = h.lock(a, 'pool', { limit: 2 });
    const r = h.client('c', { op: 'acquire', sessionId: b, name: 'pool', limit: 3, wait: true, lockDelayMs: 0 });
    expect(r).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
    h.release(a, 'pool', t);
    expect(h.acquire(b, 'pool', { limit: 3 }).acquired).toBe(true);
    expect(h.fsm.describe('pool', 0)).toMatchObject({ limit: 3, generation: 2 });
  });

  it('an acquire by the holder returns its hold; a repeated waiting acquire never queues twice', () => {
    const h = new FsmHarness();
    const a = h.open();
    const b = h.open();
    const t = h.lock(a, 'job');
    expect(h.acquire(a, 'job')).toEqual({ acquired: true, token: t, generation: 1 });
    expect(h.events).toEqual([]);
    expect(h.acquire(b, 'job')).toEqual({ acquired: false, waiting: true });
    expect(h.acquire(b, 'job')).toEqual({ acquired: false, waiting: true });
    expect(h.fsm.describe('job', 0).waiters).toHaveLength(1);
    expect(h.fsm.stats()).toMatchObject({ waiters: 1, holders: 1 });
  });

  it('a release with a stale token says NOT_HOLDER and never frees the newer holder', () => {
    const h = new FsmHarness();
    const a = h.open();
    const b = h.open();
    const t1 = h.lock(a, 'job');
    h.release(a, 'job', t1);
    const t2 = h.lock(a, 'job');
    h.acquire(b, 'job');
    const before = h.state();
    // (proposed without a client id, so that not even the dedup table records it)
    const r = h.leader({ op: 'release', sessionId: a, name: 'job', token: t1 });
    expect(r).toMatchObject({ ok: false, code: 'NOT_HOLDER' });
    expect(h.events).toEqual([]);
    expect(h.state()).toBe(before);
    expect(h.fsm.describe('job', 0).holders.map((x) => x.token)).toEqual([t2]);
    // another session's token, an unknown name: NOT_HOLDER too
    expect(h.release(b, 'job', t2)).toMatchObject({ ok: false, code: 'NOT_HOLDER' });
    expect(h.release(a, 'nope', t2)).toMatchObject({ ok: false, code: 'NOT_HOLDER' });
  });

  it('keeps an idle name for its generation and newest token', () => {
    const h = new FsmHarness();
    const a = h.open();
    const t = h.lock(a, 'job');
    h.release(a, 'job', t);
    expect(h.fsm.describe('job', 0)).toMatchObject({ kind: 'lock', generation: 1, newestToken: t, holders: [] });
    expect(h.fsm.fenceCheck('job', t)).toEqual({ current: false, newestToken: t });
    expect(h.lock(a, 'job')).toBeGreaterThan(t);
    expect(h.fsm.describe('job', 0).generation).toBe(2);
  });

  it('describes holders with metadata and since, and an unknown name as empty', () => {
    const h = new FsmHarness();
    const a = h.open();
    h.atMs = 5_000;
    h.ok('c', {
      op: 'acquire',
      sessionId: a,
      name: 'job',
      limit: 1,
      wait: true,
      lockDelayMs: 0,
      metadata: { owner: 'cron', host: 'h1', pid: 42 },
    });
    expect(h.fsm.describe('job', 6_000).holders).toEqual([
      {
        sessionId: a,
        token: h.index,
        generation: 1,
        sinceMs: 5_000,
        metadata: { owner: 'cron', host: 'h1', pid: 42 },
        value: null,
      },
    ]);
    expect(h.fsm.describe('other', 0)).toEqual({
      name: 'other',
      kind: null,
      limit: 0,
      generation: 0,
      newestToken: null,
      holders: [],
      waiters: [],
      lockDelayRemainingMs: 0,
    });
    expect(h.fsm.fenceCheck('other', 1)).toEqual({ current: false, newestToken: null });
  });

  it('keeps locks and elections apart: one namespace, the kind decides which commands apply', () => {
    const h = new FsmHarness();
    const a = h.open();
    const t = h.lock(a, 'x');
    expect(h.client('c', { op: 'campaign', sessionId: a, name: 'x', value: 'v' })).toMatchObject({
      ok: false,
      code: 'INVALID_ARGUMENT',
    });
    expect(h.client('c', { op: 'resign', sessionId: a, name: 'x', term: t })).toMatchObject({
      ok: false,
      code: 'INVALID_ARGUMENT',
    });
    h.release(a, 'x', t);
    // idle: it may become an election
    expect(h.ok('c', { op: 'campaign', sessionId: a, name: 'x', value: 'v' })).toMatchObject({ elected: true });
    expect(h.client('c', { op: 'release', sessionId: a, name: 'x', token: h.index })).toMatchObject({
      ok: false,
      code: 'INVALID_ARGUMENT',
    });
  });

  it("tolerates index gaps (entries that are not the state machine's) and refuses going back", () => {
    const h = new FsmHarness();
    const a = h.open();
    h.index += 5;
    const t = h.lock(a, 'job');
    expect(t).toBe(h.index);
    expect(() => h.fsm.apply(h.index, new Uint8Array())).toThrow(/applied after/);
    expect(() => h.fsm.apply(1.5 + h.index, new Uint8Array())).toThrow(/applied after/);
  });
});
