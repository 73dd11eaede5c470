import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DedupTable } from './dedup.js';
import { FsmSnapshotError } from './errors.js';
import { CoordinationFsm, checkFsmInvariants } from './fsm.js';
import { NameTable } from './name-table.js';
import { encodeSnapshot, SNAPSHOT_STEP_ITEMS } from './snapshot.js';
import { append } from './state.js';
import { FsmHarness } from './test-harness.js';

/** A state with a bit of everything: holders, waiters, metadata, elections, lock-delays, idle names, dedup. */
function richHarness(): FsmHarness {
  const h = new FsmHarness();
  const [a, b, c, d] = [h.open(), h.open(), h.open(), h.open()] as [number, number, number, number];
  h.client('lbl', { op: 'openSession', ttlMs: 9_000, label: 'labelled' });
  h.ok('c', {
    op: 'acquire',
    sessionId: a,
    name: 'job',
    limit: 1,
    wait: true,
    lockDelayMs: 2_000,
    metadata: { owner: 'a', pid: 1 },
  });
  h.acquire(b, 'job');
  h.acquire(c, 'pool', { limit: 2, lockDelayMs: 1_000 });
  h.acquire(d, 'pool', { limit: 2 });
  h.acquire(a, 'pool', { limit: 2 });
  h.ok('c', { op: 'campaign', sessionId: c, name: 'primary', value: 'c' });
  h.ok('c', { op: 'campaign', sessionId: b, name: 'primary', value: 'b' });
  const t = h.lock(d, 'idle');
  h.release(d, 'idle', t);
  h.leader({ op: 'expireSession', sessionId: c });
  return h;
}

function restoreFails(bytes: Uint8Array): string {
  try {
    CoordinationFsm.restore(bytes);
  } catch (err) {
    if (err instanceof FsmSnapshotError) return err.code;
    throw err;
  }
  return 'restored';
}

describe('snapshots', () => {
  it('an empty state machine round-trips', () => {
    const bytes = new CoordinationFsm().snapshot();
    expect(CoordinationFsm.restore(bytes).snapshot()).toEqual(bytes);
  });

  it('snapshot -> restore -> snapshot is exact, and the restored copy carries on identically', () => {
    const h = richHarness();
    expect(h.fsm.pendingLockDelays()).toHaveLength(1);
    const bytes = h.fsm.snapshot();
    const copy = CoordinationFsm.restore(bytes);
    expect(copy.snapshot()).toEqual(bytes);
    expect(copy.appliedIndex).toBe(h.fsm.appliedIndex);
    expect(checkFsmInvariants(copy)).toEqual([]);
    for (const name of ['job', 'pool', 'primary', 'idle', 'none']) {
      expect(copy.describe(name, 0)).toEqual(h.fsm.describe(name, 0));
    }
    // the same entries on both give the same answers, events and bytes
    const replay = (fsm: CoordinationFsm): unknown[] => {
      const r = new FsmHarness();
      r.checks = false; // its history checker never saw the entries before the snapshot
      r.fsm = fsm;
      r.index = h.index;
      const out: unknown[] = [];
      const [a] = fsm.sessions().map((s) => s.id);
      // (a client id the dedup table has not seen: the harness's own 'c' would be a retry)
      const token = fsm.describe('job', 0).holders[0]?.token ?? 0;
      r.client('replay', { op: 'release', sessionId: a ?? 0, name: 'job', token });
      out.push(r.events);
      r.leader({ op: 'endLockDelay', name: 'pool' });
      out.push(r.events);
      // a was granted 'pool' from its wait by the endLockDelay: it releases it
      const poolToken = fsm.describe('pool', 0).holders.find((x) => x.sessionId === a)?.token ?? 0;
      const released = r.client('replay', { op: 'release', sessionId: a ?? 0, name: 'pool', token: poolToken });
      expect(released).toEqual({ ok: true, value: { released: true } });
      out.push(released);
      out.push(r.events);
      // a retry of the labelled open: answered from the restored dedup table
      out.push(r.client('lbl', { op: 'openSession', ttlMs: 9_000, label: 'labelled' }, 1));
      expect(checkFsmInvariants(fsm)).toEqual([]);
      return out;
    };
    const original = h.fsm;
    const copyRun = replay(copy);
    expect(copyRun.flat().length).toBe(4);
    expect(copyRun).toEqual(replay(original));
    expect(copy.snapshot()).toEqual(original.snapshot());
  });

  it('refuses every truncation, trailing bytes and a bad magic with FsmSnapshotError', () => {
    const bytes = richHarness().fsm.snapshot();
    for (let n = 0; n < bytes.length; n++) expect(restoreFails(bytes.subarray(0, n))).toBe('FSM_SNAPSHOT_INVALID');
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(restoreFails(longer)).toBe('FSM_SNAPSHOT_INVALID');
    const bad = bytes.slice();
    bad[0] = 0;
    expect(restoreFails(bad)).toBe('FSM_SNAPSHOT_INVALID');
  });

  it('byte flips give FsmSnapshotError or a state that keeps every invariant, never a crash', () => {
    const bytes = richHarness().fsm.snapshot();
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 }), (at, value) => {
        const b = bytes.slice();
        b[at] = value;
        if (restoreFails(b) === 'restored') expect(checkFsmInvariants(CoordinationFsm.restore(b))).toEqual([]);
      }),
      { seed: 11, numRuns: 3_000 },
    );
  });

  it('sizes the next snapshot from the last: no growing and no copy when names outgrow the guess', () => {
    const h = new FsmHarness();
    const sid = h.open();
    // names far longer than the writer's per-name guess
    const long = (i: number) => `${'x'.repeat(200)}/${i}`;
    for (let i = 0; i < 200; i++) h.lock(sid, long(i));
    const first = h.fsm.snapshot();
    for (let i = 200; i < 220; i++) h.lock(sid, long(i));
    const second = h.fsm.snapshot();
    expect(second.byteLength).toBeGreaterThan(first.byteLength);
    // handed over in the buffer it was written into (a copy would be exactly its size), and that
    // buffer has only the small headroom, not the room of a doubling
    expect(second.buffer.byteLength).toBeGreaterThan(second.byteLength);
    expect(second.buffer.byteLength).toBeLessThanOrEqual(second.byteLength * 1.25);
    // the sizing changes nothing in the bytes
    expect(CoordinationFsm.restore(second).snapshot()).toEqual(second);
  });

  it('in steps: one step per SNAPSHOT_STEP_ITEMS items, and the same bytes as in one go', () => {
    const h = new FsmHarness();
    const sessions = Array.from({ length: 3 }, () => h.open());
    const names = 3 * SNAPSHOT_STEP_ITEMS + 5;
    for (let i = 0; i < names; i++) h.lock(sessions[i % 3] as number, `lock/${i}`);
    const whole = h.fsm.snapshot();
    const steps = h.fsm.snapshotSteps();
    let yields = 0;
    let r = steps.next();
    for (; r.done !== true && yields < 1_000; r = steps.next()) yields++;
    expect(r.done).toBe(true);
    // the names alone cross the step size three times (and the idle list and dedup clients add
    // items of their own); never a step per item
    expect(yields).toBeGreaterThanOrEqual(3);
    expect(yields).toBeLessThanOrEqual(Math.ceil((2 * names + 100) / SNAPSHOT_STEP_ITEMS));
    expect(Buffer.from(r.value as Uint8Array).equals(Buffer.from(whole))).toBe(true);
  });

  it('refuses a well-formed snapshot whose state breaks an invariant', () => {
    const names = new NameTable();
    const n = names.create('job', 'lock', 1);
    n.generation = 1;
    n.newestToken = 5;
    n.holders = append(n.holders, {
      sessionId: 4, // no such session
      token: 5,
      generation: 1,
      sinceMs: 0,
      lockDelayMs: 0,
      metadata: null,
      value: null,
      fromWait: false,
    });
    names.refresh(n);
    const bytes = encodeSnapshot({ sessions: new Map(), names, dedup: new DedupTable() }, 10);
    expect(() => CoordinationFsm.restore(bytes)).toThrow(/session is not open/);
  });
});
