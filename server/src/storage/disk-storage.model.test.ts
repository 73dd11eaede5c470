/**
 * Model test: random Raft-shaped operation sequences applied to DiskStorage and to the core's
 * MemoryStorage (the model) must read back the same, before and after restarts. Tiny segments and
 * a small retention make rollover, compaction and segment deletion happen all the time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompactedError, MemoryStorage, type Storage, UnavailableError } from '../raft/storage.js';
import type { ConfState, Entry, HardState, Snapshot } from '../raft/types.js';
import { DiskStorage } from './disk-storage.js';

const RETAIN = 3;
const OPTIONS = { segmentSizeBytes: 200, retainEntriesAfterSnapshot: RETAIN };
const CONF: ConfState = { voters: [1, 2, 3], learners: [4] };

/** Operations with their choices as fractions, resolved against the state when applied. */
type Op =
  | { kind: 'append'; at: number; count: number; termBump: boolean; sizes: number[]; commit: number | null }
  | { kind: 'hardState'; vote: number; commit: number }
  | { kind: 'leaderSnapshot'; ahead: number; withEntries: number }
  | { kind: 'createSnapshot'; at: number }
  | { kind: 'restart' };

const fraction = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      at: fraction,
      count: fc.integer({ min: 0, max: 5 }),
      termBump: fc.boolean(),
      sizes: fc.array(fc.integer({ min: 0, max: 90 }), { minLength: 5, maxLength: 5 }),
      commit: fc.option(fraction, { nil: null }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('hardState' as const),
      vote: fc.integer({ min: 0, max: 3 }),
      commit: fraction,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('leaderSnapshot' as const),
      ahead: fc.integer({ min: 1, max: 6 }),
      withEntries: fc.integer({ min: 0, max: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('createSnapshot' as const), at: fraction }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const) }) },
);

function entry(index: number, term: number, size: number): Entry {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (index + term * 13 + i) % 256;
  return { index, term, type: index % 5 === 0 ? 'confChange' : 'normal', data };
}

/** The state a Raft node would respect: never truncate at or below commit, terms never fall. */
interface Shape {
  term: number;
  commit: number;
}

/** Everything Storage answers, as one comparable value. */
function view(s: Storage) {
  const first = s.firstIndex();
  const last = s.lastIndex();
  const terms: number[] = [];
  for (let i = first - 1; i <= last; i++) terms.push(s.term(i));
  const outside = (f: () => unknown) => {
    try {
      f();
      return 'ok';
    } catch (err) {
      if (err instanceof CompactedError) return 'compacted';
      if (err instanceof UnavailableError) return 'unavailable';
      throw err;
    }
  };
  return {
    first,
    last,
    terms,
    entries: s.entries(first, last + 1, Number.POSITIVE_INFINITY),
    limited: last >= first ? s.entries(first, last + 1, 100).length : 0,
    snapshot: s.snapshot(),
    initial: s.initialState(),
    belowFirst: outside(() => s.term(first - 2)),
    beyondLast: outside(() => s.term(last + 1)),
    entriesBelowFirst: outside(() => s.entries(first - 1, first, 100)),
  };
}

async function run(ops: Op[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'baton-model-'));
  let disk = (await DiskStorage.open(dir, OPTIONS)).storage;
  const model = new MemoryStorage();
  const shape: Shape = { term: 1, commit: 0 };
  let hard: HardState = { term: 0, vote: 0, commit: 0 };
  try {
    for (const op of ops) {
      switch (op.kind) {
        case 'append': {
          // a follower's append: from just after commit (or the first index) up to lastIndex + 1
          const lo = Math.max(model.firstIndex(), shape.commit + 1);
          const hi = model.lastIndex() + 1;
          const at = lo + Math.floor(op.at * (hi - lo + 1));
          if (op.termBump) shape.term += 1;
          const ents = Array.from({ length: op.count }, (_, k) => entry(at + k, shape.term, op.sizes[k] ?? 0));
          model.append(ents);
          if (op.commit !== null) {
            shape.commit += Math.floor(op.commit * (model.lastIndex() - shape.commit + 1));
            hard = { term: shape.term, vote: 1, commit: shape.commit };
          }
          const hs = op.commit === null ? null : hard;
          if (hs !== null) model.setHardState(hs);
          await disk.persist({ entries: ents, hardState: hs, snapshot: null });
          break;
        }
        case 'hardState': {
          shape.commit += Math.floor(op.commit * (model.lastIndex() - shape.commit + 1));
          hard = { term: shape.term, vote: op.vote, commit: shape.commit };
          model.setHardState(hard);
          await disk.persist({ entries: [], hardState: hard, snapshot: null });
          break;
        }
        case 'leaderSnapshot': {
          // the leader is ahead of our commit: its snapshot replaces our log
          const index = Math.max(model.lastIndex(), shape.commit) + op.ahead;
          shape.term += 1;
          shape.commit = index;
          hard = { term: shape.term, vote: 2, commit: index };
          const s: Snapshot = {
            metadata: { index, term: shape.term, confState: CONF },
            data: new Uint8Array([index % 256, 1]),
          };
          const ents = Array.from({ length: op.withEntries }, (_, k) => entry(index + 1 + k, shape.term, 10));
          model.applySnapshot(s);
          model.append(ents);
          model.setHardState(hard);
          await disk.persist({ entries: ents, hardState: hard, snapshot: s });
          break;
        }
        case 'createSnapshot': {
          // the state machine snapshots at an applied (so committed) index
          const lo = model.snapshot().metadata.index + 1;
          if (shape.commit < lo) break;
          const index = lo + Math.floor(op.at * (shape.commit - lo + 1));
          const data = new Uint8Array([index % 256, 2]);
          model.createSnapshot(index, CONF, data);
          if (index - RETAIN >= model.firstIndex()) model.compact(index - RETAIN);
          await disk.createSnapshot(index, CONF, data);
          break;
        }
        case 'restart': {
          await disk.close();
          disk = (await DiskStorage.open(dir, OPTIONS)).storage;
          // after a restart the log starts right after the snapshot
          const snapIndex = model.snapshot().metadata.index;
          if (snapIndex >= model.firstIndex()) model.compact(snapIndex);
          break;
        }
      }
      expect(view(disk)).toEqual(view(model));
    }
    // and one last restart must give the same again
    await disk.close();
    disk = (await DiskStorage.open(dir, OPTIONS)).storage;
    const snapIndex = model.snapshot().metadata.index;
    if (snapIndex >= model.firstIndex()) model.compact(snapIndex);
    expect(view(disk)).toEqual(view(model));
  } finally {
    await disk.close();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('DiskStorage reads back what MemoryStorage does', () => {
  it('on random operation sequences with restarts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => run(ops)),
      { numRuns: 60, seed: 20_251_127 },
    );
  });
});
