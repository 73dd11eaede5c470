/**
 * Unit and property tests for MemoryStorage and limitSize: random operation sequences against an
 * array model, and the CompactedError / UnavailableError boundaries.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CompactedError,
  entrySizeBytes,
  invariant,
  limitSize,
  MemoryStorage,
  RaftInvariantError,
  UnavailableError,
} from './storage.js';
import type { ConfState, Entry, Snapshot } from './types.js';
import { EMPTY_HARD_STATE } from './types.js';

const FC = { seed: 42, numRuns: 200 } as const;

/**
 * expect(actual).toEqual(expected) with a fast path for the usual, equal case (JSON-identical
 * values): the property tests compare thousands of observations per run.
 */
function expectEqual(actual: unknown, expected: unknown, label?: string): void {
  if (Object.is(actual, expected)) return;
  if (typeof actual === 'object' && actual !== null && JSON.stringify(actual) === JSON.stringify(expected)) return;
  expect(actual, label).toEqual(expected);
}

function ent(index: number, term: number, size = 0): Entry {
  return { index, term, type: 'normal', data: new Uint8Array(size).fill(index & 0xff) };
}

function ents(from: number, terms: readonly number[]): Entry[] {
  return terms.map((t, k) => ent(from + k, t, (from + k) % 7));
}

function snap(index: number, term: number, confState: ConfState = { voters: [1], learners: [] }): Snapshot {
  return { metadata: { index, term, confState }, data: new Uint8Array([index & 0xff]) };
}

function sizeOf(es: readonly Entry[]): number {
  return es.reduce((s, e) => s + entrySizeBytes(e), 0);
}

function errorOf(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  return undefined;
}

/** A uniformly chosen value in [lo, hi] from the raw number r (hi >= lo). */
function pick(r: number, lo: number, hi: number): number {
  return lo + (r % (hi - lo + 1));
}

// ------------------------------------------------------------------------------ model

class StorageModel {
  snap: Snapshot;
  dummy: number;
  dummyTerm: number;
  ents: Entry[] = [];

  constructor(s: Snapshot) {
    this.snap = s;
    this.dummy = s.metadata.index;
    this.dummyTerm = s.metadata.term;
  }

  last(): number {
    return this.dummy + this.ents.length;
  }

  term(i: number): number | 'compacted' | 'unavailable' {
    if (i < this.dummy) return 'compacted';
    if (i === this.dummy) return this.dummyTerm;
    if (i > this.last()) return 'unavailable';
    return (this.ents[i - this.dummy - 1] as Entry).term;
  }
}

function termOutcome(s: MemoryStorage, i: number): number | 'compacted' | 'unavailable' {
  const err = errorOf(() => s.term(i));
  if (err instanceof CompactedError) return 'compacted';
  if (err instanceof UnavailableError) return 'unavailable';
  if (err !== undefined) throw err;
  return s.term(i);
}

function check(s: MemoryStorage, m: StorageModel): void {
  const terms: unknown[] = [];
  const want: unknown[] = [];
  for (let i = Math.max(0, m.dummy - 2); i <= m.last() + 2; i++) {
    terms.push([i, termOutcome(s, i)]);
    want.push([i, m.term(i)]);
  }
  expectEqual(
    {
      first: s.firstIndex(),
      last: s.lastIndex(),
      snapshot: s.snapshot(),
      all: m.ents.length > 0 ? s.entries(m.dummy + 1, m.last() + 1, Number.POSITIVE_INFINITY) : [],
      terms,
      confState: s.initialState().confState === m.snap.metadata.confState,
    },
    { first: m.dummy + 1, last: m.last(), snapshot: m.snap, all: m.ents, terms: want, confState: true },
  );
}

const OPS = ['append', 'appendGap', 'compact', 'createSnapshot', 'applySnapshot', 'entries'] as const;
interface Op {
  readonly kind: (typeof OPS)[number];
  readonly a: number;
  readonly b: number;
  readonly c: number;
}
const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.oneof(
    { arbitrary: fc.constant('append' as const), weight: 5 },
    { arbitrary: fc.constantFrom(...OPS), weight: 5 },
  ),
  a: fc.nat(1000),
  b: fc.nat(1000),
  c: fc.nat(1000),
});

function runOp(s: MemoryStorage, m: StorageModel, op: Op, nextTerm: () => number): void {
  const last = m.last();
  switch (op.kind) {
    case 'append': {
      // anywhere from behind the compaction point to just after the last entry
      const from = pick(op.a, Math.max(1, m.dummy - 3), last + 1);
      const n = pick(op.b, 0, 5);
      const t = nextTerm();
      const es = ents(from, new Array<number>(n).fill(t));
      s.append(es);
      const kept = es.filter((e) => e.index > m.dummy);
      const first = kept[0];
      if (first !== undefined) m.ents = m.ents.slice(0, first.index - m.dummy - 1).concat(kept);
      break;
    }
    case 'appendGap': {
      const from = last + 2 + (op.a % 3);
      expect(() => s.append(ents(from, [nextTerm()]))).toThrow(RaftInvariantError);
      break;
    }
    case 'compact': {
      const i = pick(op.a, Math.max(0, m.dummy - 1), last + 1);
      if (i > m.dummy && i > last) {
        expect(() => s.compact(i)).toThrow(RaftInvariantError);
        return;
      }
      s.compact(i);
      if (i > m.dummy) {
        m.dummyTerm = m.term(i) as number;
        m.ents = m.ents.slice(i - m.dummy);
        m.dummy = i;
      }
      break;
    }
    case 'createSnapshot': {
      // at or after the compaction point (before it, the snapshot would not cover the compacted entries)
      const i = pick(op.a, Math.max(0, Math.min(m.snap.metadata.index, m.dummy) - 1), last + 1);
      const cs: ConfState = { voters: [1, 2 + (op.b % 3)], learners: [] };
      const data = new Uint8Array([op.c & 0xff]);
      if (i <= m.snap.metadata.index) {
        expect(s.createSnapshot(i, cs, data)).toBe(m.snap);
      } else if (i > last) {
        expect(() => s.createSnapshot(i, cs, data)).toThrow(RaftInvariantError);
      } else if (i < m.dummy) {
        expect(() => s.createSnapshot(i, cs, data)).toThrow(CompactedError);
      } else {
        const got = s.createSnapshot(i, cs, data);
        expect(got).toEqual({ metadata: { index: i, term: m.term(i), confState: cs }, data });
        m.snap = got;
      }
      break;
    }
    case 'applySnapshot': {
      const i = pick(op.a, Math.max(0, m.snap.metadata.index - 1), last + 4);
      const sn = snap(i, nextTerm(), { voters: [op.b % 5], learners: [] });
      s.applySnapshot(sn);
      if (i > m.snap.metadata.index) {
        m.snap = sn;
        m.dummy = i;
        m.dummyTerm = sn.metadata.term;
        m.ents = [];
      }
      break;
    }
    case 'entries': {
      const lo = pick(op.a, Math.max(0, m.dummy - 1), last + 2);
      const hi = pick(op.b, lo, last + 2);
      const max = pick(op.c, 0, 200);
      if (lo <= m.dummy) {
        expect(() => s.entries(lo, hi, max)).toThrow(CompactedError);
      } else if (hi > last + 1) {
        expect(() => s.entries(lo, hi, max)).toThrow(UnavailableError);
      } else {
        const got = s.entries(lo, hi, max);
        const all = m.ents.slice(lo - m.dummy - 1, hi - m.dummy - 1);
        expect(got).toEqual(limitSize(all, max));
        if (lo < hi) expect(got.length).toBeGreaterThanOrEqual(1);
        if (got.length > 1) expect(sizeOf(got)).toBeLessThanOrEqual(max);
      }
      break;
    }
  }
}

// ------------------------------------------------------------------------------ tests

describe('MemoryStorage against an array model', () => {
  it('random append / compact / createSnapshot / applySnapshot / entries sequences', () => {
    fc.assert(
      fc.property(fc.nat(6), fc.array(opArb, { minLength: 1, maxLength: 40, size: 'max' }), (start, ops) => {
        const initial = snap(start, start === 0 ? 0 : 1);
        const s = new MemoryStorage({ snapshot: initial });
        const m = new StorageModel(initial);
        let term = initial.metadata.term;
        const nextTerm = () => ++term;
        check(s, m);
        for (const op of ops) {
          runOp(s, m, op, nextTerm);
          check(s, m);
        }
      }),
      FC,
    );
  });
});

describe('MemoryStorage boundaries', () => {
  function storage(): MemoryStorage {
    // snapshot at (3, 3), entries 4..6 with terms 4, 5, 6
    const s = new MemoryStorage({ snapshot: snap(3, 3) });
    s.append(ents(4, [4, 5, 6]));
    return s;
  }

  it('starts empty with a dummy entry at (0, 0) and the given confState', () => {
    const cs = { voters: [1, 2, 3], learners: [4] };
    const s = new MemoryStorage({ confState: cs });
    expect(s.firstIndex()).toBe(1);
    expect(s.lastIndex()).toBe(0);
    expect(s.term(0)).toBe(0);
    expect(() => s.term(1)).toThrow(UnavailableError);
    expect(s.initialState()).toEqual({ hardState: EMPTY_HARD_STATE, confState: cs });
    expect(s.entries(1, 1, 0)).toEqual([]);
    expect(new MemoryStorage().initialState().confState).toEqual({ voters: [], learners: [] });
    const hs = { term: 3, vote: 2, commit: 1 };
    s.setHardState(hs);
    expect(s.initialState().hardState).toBe(hs);
  });

  it('term: CompactedError below the snapshot, UnavailableError past the last entry', () => {
    const s = storage();
    expect(() => s.term(2)).toThrow(CompactedError);
    expect(s.term(3)).toBe(3);
    expect(s.term(4)).toBe(4);
    expect(s.term(6)).toBe(6);
    expect(() => s.term(7)).toThrow(UnavailableError);
    expect(errorOf(() => s.term(2))).toMatchObject({ code: 'COMPACTED' });
    expect(errorOf(() => s.term(7))).toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('entries: CompactedError at or below the snapshot index, UnavailableError past the last entry', () => {
    const s = storage();
    const inf = Number.POSITIVE_INFINITY;
    expect(() => s.entries(2, 4, inf)).toThrow(CompactedError);
    expect(() => s.entries(3, 4, inf)).toThrow(CompactedError);
    expect(s.entries(4, 5, inf)).toEqual(ents(4, [4]));
    expect(s.entries(4, 7, inf)).toEqual(ents(4, [4, 5, 6]));
    expect(s.entries(6, 7, inf)).toEqual(ents(6, [6]));
    expect(() => s.entries(4, 8, inf)).toThrow(UnavailableError);
    expect(() => s.entries(7, 8, inf)).toThrow(UnavailableError);
  });

  it('entries: maxSize bounds the result, but at least one entry is returned', () => {
    const s = storage();
    const all = ents(4, [4, 5, 6]);
    const [e4, e5] = all as [Entry, Entry, Entry];
    expect(s.entries(4, 7, 0)).toEqual([e4]);
    expect(s.entries(4, 7, entrySizeBytes(e4))).toEqual([e4]);
    expect(s.entries(4, 7, entrySizeBytes(e4) + entrySizeBytes(e5) - 1)).toEqual([e4]);
    expect(s.entries(4, 7, entrySizeBytes(e4) + entrySizeBytes(e5))).toEqual([e4, e5]);
    expect(s.entries(4, 7, sizeOf(all))).toEqual(all);
    expect(s.entries(4, 7, sizeOf(all) - 1)).toEqual([e4, e5]);
  });

  it('append truncates a conflicting suffix, skips compacted entries, and refuses gaps', () => {
    const s = storage();
    s.append(ents(5, [7, 7, 7]));
    expect(s.lastIndex()).toBe(7);
    expect([4, 5, 6, 7].map((i) => s.term(i))).toEqual([4, 7, 7, 7]);
    s.append(ents(1, [1, 1, 1, 8])); // 1..3 are compacted: only entry 4 lands, and truncates
    expect(s.lastIndex()).toBe(4);
    expect(s.term(4)).toBe(8);
    s.append(ents(1, [1, 1])); // entirely compacted: nothing happens
    expect(s.lastIndex()).toBe(4);
    s.append([]);
    expect(s.lastIndex()).toBe(4);
    expect(() => s.append(ents(6, [9]))).toThrow(RaftInvariantError);
    expect(s.lastIndex()).toBe(4);
  });

  it('compact moves the dummy entry and keeps its term; beyond the last index is refused', () => {
    const s = storage();
    s.compact(3); // already there
    expect(s.firstIndex()).toBe(4);
    s.compact(5);
    expect(s.firstIndex()).toBe(6);
    expect(s.term(5)).toBe(5);
    expect(() => s.term(4)).toThrow(CompactedError);
    expect(s.entries(6, 7, 0)).toEqual(ents(6, [6]));
    s.compact(4); // behind the compaction point: nothing happens
    expect(s.firstIndex()).toBe(6);
    expect(() => s.compact(7)).toThrow(RaftInvariantError);
    s.compact(6);
    expect(s.firstIndex()).toBe(7);
    expect(s.lastIndex()).toBe(6);
    expect(s.term(6)).toBe(6);
  });

  it('createSnapshot records the term at the index; older snapshots and indexes past the log are refused', () => {
    const s = storage();
    const cs = { voters: [1, 2], learners: [] };
    const data = new Uint8Array([9]);
    const got = s.createSnapshot(5, cs, data);
    expect(got).toEqual({ metadata: { index: 5, term: 5, confState: cs }, data });
    expect(s.snapshot()).toBe(got);
    expect(s.initialState().confState).toBe(cs);
    // the log is untouched until compact()
    expect(s.firstIndex()).toBe(4);
    expect(s.createSnapshot(4, { voters: [7], learners: [] }, data)).toBe(got);
    expect(s.createSnapshot(5, { voters: [7], learners: [] }, data)).toBe(got);
    expect(() => s.createSnapshot(7, cs, data)).toThrow(RaftInvariantError);
  });

  it('applySnapshot replaces the whole log; an older or equal snapshot is ignored', () => {
    const s = storage();
    s.applySnapshot(snap(3, 9));
    expect(s.term(3)).toBe(3);
    expect(s.lastIndex()).toBe(6);
    const newer = snap(5, 9);
    s.applySnapshot(newer);
    expect(s.snapshot()).toBe(newer);
    expect(s.firstIndex()).toBe(6);
    expect(s.lastIndex()).toBe(5);
    expect(s.term(5)).toBe(9);
    expect(() => s.term(4)).toThrow(CompactedError);
    expect(() => s.entries(5, 6, 0)).toThrow(CompactedError);
    s.append(ents(6, [9]));
    expect(s.entries(6, 7, 0)).toEqual(ents(6, [9]));
    const far = snap(100, 10);
    s.applySnapshot(far);
    expect(s.firstIndex()).toBe(101);
    expect(s.lastIndex()).toBe(100);
  });
});

describe('limitSize', () => {
  const entriesArb = fc.array(
    fc.record({ index: fc.nat(100), term: fc.nat(5), size: fc.nat(60) }).map((r) => ent(r.index, r.term, r.size)),
    { maxLength: 12 },
  );

  it('keeps the longest prefix within the budget, and never less than one entry', () => {
    fc.assert(
      fc.property(entriesArb, fc.nat(500), (es, max) => {
        const got = limitSize(es, max);
        expect(got).toEqual(es.slice(0, got.length));
        if (es.length === 0) {
          expect(got).toEqual([]);
          return;
        }
        expect(got.length).toBeGreaterThanOrEqual(1);
        if (got.length > 1) expect(sizeOf(got)).toBeLessThanOrEqual(max);
        const next = es[got.length];
        if (next !== undefined) expect(sizeOf(got) + entrySizeBytes(next)).toBeGreaterThan(max);
      }),
      FC,
    );
  });

  it('an unbounded budget keeps everything; entrySizeBytes is the payload plus 24', () => {
    const es = ents(1, [1, 1, 2, 3]);
    expect(limitSize(es, Number.POSITIVE_INFINITY)).toEqual(es);
    expect(entrySizeBytes(ent(1, 1, 0))).toBe(24);
    expect(entrySizeBytes(ent(1, 1, 10))).toBe(34);
    expect(limitSize([], 0)).toEqual([]);
  });
});

describe('invariant', () => {
  it('throws RaftInvariantError with the message when the condition is false', () => {
    expect(() => invariant(true, 'x')).not.toThrow();
    expect(() => invariant(0, 'broken')).toThrow(RaftInvariantError);
    expect(errorOf(() => invariant(false, 'broken'))).toMatchObject({ code: 'RAFT_INVARIANT', message: 'broken' });
  });
});
