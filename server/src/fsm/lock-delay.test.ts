import { describe, expect, it } from 'vitest';
import { FsmHarness } from './test-harness.js';

describe('lock-delay', () => {
  it('after an expiry the lock grants nothing until endLockDelay applies', () => {
    const h = new FsmHarness();
    const a = h.open();
    const b = h.open();
    const c = h.open();
    h.lock(a, 'x', { lockDelayMs: 10_000 });
    h.acquire(b, 'x');
    h.atMs = 2_000_000;
    h.leader({ op: 'expireSession', sessionId: a });
    const expiredAt = h.index;
    expect(h.grants()).toEqual([]);
    expect(h.fsm.pendingLockDelays()).toEqual([{ name: 'x', lockDelayMs: 10_000, sinceIndex: expiredAt }]);
    expect(h.fsm.describe('x', 2_003_000).lockDelayRemainingMs).toBe(7_000);
    expect(h.fsm.describe('x', 2_020_000).lockDelayRemainingMs).toBe(0);
    // held back for everyone: a try fails, a waiting acquire queues behind b
    expect(h.acquire(c, 'x', { wait: false })).toEqual({ acquired: false, waiting: false });
    expect(h.acquire(c, 'x')).toEqual({ acquired: false, waiting: true });

    expect(h.leader({ op: 'endLockDelay', name: 'x', sinceIndex: expiredAt })).toEqual({
      ok: true,
      value: { ended: true },
    });
    expect(h.grants().map((g) => g.sessionId)).toEqual([b]);
    expect(h.fsm.pendingLockDelays()).toEqual([]);
    // idempotent: a second end (a retry, a new leader) does nothing
    const before = h.state();
    expect(h.leader({ op: 'endLockDelay', name: 'x', sinceIndex: expiredAt })).toEqual({
      ok: true,
      value: { ended: false },
    });
    expect(h.leader({ op: 'endLockDelay', name: 'x' })).toEqual({ ok: true, value: { ended: false } });
    expect(h.state()).toBe(before);
  });

  it('a close or a release frees the lock at once, whatever lockDelayMs it asked for', () => {
    const h = new FsmHarness();
    const a = h.open();
    const b = h.open();
    const c = h.open();
    const t = h.lock(a, 'x', { lockDelayMs: 10_000 });
    h.acquire(b, 'x', { lockDelayMs: 10_000 });
    h.release(a, 'x', t);
    expect(h.grants().map((g) => g.sessionId)).toEqual([b]);
    h.acquire(c, 'x');
    h.client('c', { op: 'closeSession', sessionId: b });
    expect(h.grants().map((g) => g.sessionId)).toEqual([c]);
    expect(h.fsm.pendingLockDelays()).toEqual([]);
  });

  it('an expired holder without lock-delay frees the lock at once', () => {
    const h = new FsmHarness();
    const a = h.open();
    const b = h.open();
    h.lock(a, 'x');
    h.acquire(b, 'x');
    h.leader({ op: 'expireSession', sessionId: a });
    expect(h.grants().map((g) => g.sessionId)).toEqual([b]);
  });

  it("a semaphore keeps each expired holder's slot out of use until its own delay ends", () => {
    const h = new FsmHarness();
    const [a, b, c, d, e] = [h.open(), h.open(), h.open(), h.open(), h.open()] as [
      number,
      number,
      number,
      number,
      number,
    ];
    h.lock(a, 'pool', { limit: 3, lockDelayMs: 5_000 });
    h.lock(b, 'pool', { limit: 3, lockDelayMs: 7_000 });
    h.lock(c, 'pool', { limit: 3 });
    h.acquire(d, 'pool', { limit: 3 });
    h.acquire(e, 'pool', { limit: 3 });
    h.leader({ op: 'expireSession', sessionId: a });
    const aExpired = h.index;
    h.leader({ op: 'expireSession', sessionId: b });
    const bExpired = h.index;
    expect(h.grants()).toEqual([]);
    expect(h.fsm.pendingLockDelays()).toEqual([
      { name: 'pool', lockDelayMs: 5_000, sinceIndex: aExpired },
      { name: 'pool', lockDelayMs: 7_000, sinceIndex: bExpired },
    ]);
    // one end frees one slot: one grant per entry keeps tokens strictly increasing per name
    h.leader({ op: 'endLockDelay', name: 'pool', sinceIndex: bExpired });
    expect(h.grants().map((g) => g.sessionId)).toEqual([d]);
    h.leader({ op: 'endLockDelay', name: 'pool' });
    expect(h.grants().map((g) => g.sessionId)).toEqual([e]);
    expect(h.fsm.describe('pool', 0).holders.map((x) => x.sessionId)).toEqual([c, d, e]);
  });

  it('a lock-delay on an otherwise idle name keeps it out of use, then lets the next acquire in', () => {
    const h = new FsmHarness();
    const a = h.open();
    const b = h.open();
    h.lock(a, 'x', { lockDelayMs: 1_000 });
    h.leader({ op: 'expireSession', sessionId: a });
    expect(h.acquire(b, 'x', { wait: false })).toEqual({ acquired: false, waiting: false });
    h.leader({ op: 'endLockDelay', name: 'x' });
    expect(h.acquire(b, 'x', { wait: false }).acquired).toBe(true);
  });
});
