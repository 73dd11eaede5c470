import { describe, expect, it } from 'vitest';
import { FsmHarness } from './test-harness.js';

describe('cancelWait', () => {
  it('removes a waiting acquire from the queue', () => {
    const h = new FsmHarness();
    const a = h.open();
    const b = h.open();
    const c = h.open();
    const t = h.lock(a, 'x');
    h.acquire(b, 'x');
    h.acquire(c, 'x');
    expect(h.ok('c', { op: 'cancelWait', sessionId: b, name: 'x' })).toEqual({ cancelled: true });
    expect(h.events).toEqual([{ kind: 'waitEnded', sessionId: b, name: 'x', reason: 'cancelled' }]);
    h.release(a, 'x', t);
    expect(h.grants().map((g) => g.sessionId)).toEqual([c]);
  });

  it('racing a grant: a cancel that applies after the grant keeps the hold (the grant answers the wait)', () => {
    const h = new FsmHarness();
    const a = h.open();
    const b = h.open();
    const c = h.open();
    const t = h.lock(a, 'x');
    h.acquire(b, 'x');
    h.acquire(c, 'x');
    // the release's grant to b applies before b's cancel (b's client timed out meanwhile)
    h.release(a, 'x', t);
    const tB = h.index;
    expect(h.grants().map((g) => g.sessionId)).toEqual([b]);
    const holders = h.fsm.describe('x', 0).holders;
    expect(h.ok('c', { op: 'cancelWait', sessionId: b, name: 'x' })).toEqual({ notWaiting: true });
    expect(h.events).toEqual([]);
    expect(h.fsm.describe('x', 0).holders).toEqual(holders);
    expect(h.fsm.fenceCheck('x', tB).current).toBe(true);
    // c still waits, and gets the lock when b releases it
    h.release(b, 'x', tB);
    expect(h.grants().map((g) => g.sessionId)).toEqual([c]);
  });

  it('does not touch a hold the acquire took at once, nor anything when nothing waits', () => {
    const h = new FsmHarness();
    const a = h.open();
    h.lock(a, 'x');
    const before = h.state();
    expect(h.leader({ op: 'cancelWait', sessionId: a, name: 'x' })).toEqual({ ok: true, value: { notWaiting: true } });
    expect(h.leader({ op: 'cancelWait', sessionId: a, name: 'unknown' })).toEqual({
      ok: true,
      value: { notWaiting: true },
    });
    expect(h.events).toEqual([]);
    expect(h.state()).toBe(before);
  });

  it('a retried cancel (same seq) answers the same and does nothing more', () => {
    const h = new FsmHarness();
    const a = h.open();
    const b = h.open();
    const c = h.open();
    const t = h.lock(a, 'x');
    h.acquire(b, 'x');
    h.acquire(c, 'x');
    h.release(a, 'x', t);
    const first = h.client('k', { op: 'cancelWait', sessionId: b, name: 'x' });
    const seq = h.lastSeq('k');
    const holders = h.fsm.describe('x', 0).holders;
    expect(h.client('k', { op: 'cancelWait', sessionId: b, name: 'x' }, seq)).toEqual(first);
    expect(h.events).toEqual([]);
    expect(h.fsm.describe('x', 0).holders).toEqual(holders);
  });
});
