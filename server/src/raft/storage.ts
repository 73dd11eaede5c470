import type { ConfState, Entry, HardState, Snapshot } from './types.js';
import { EMPTY_HARD_STATE } from './types.js';

/** Asked for an index at or behind the last compaction point: the caller must use the snapshot. */
export class CompactedError extends Error {
  readonly code = 'COMPACTED';
  constructor(index: number) {
    super(`log index ${index} is compacted`);
  }
}

/** Asked for an index beyond the last stored entry. */
export class UnavailableError extends Error {
  readonly code = 'UNAVAILABLE';
  constructor(index: number) {
    super(`log index ${index} is unavailable`);
  }
}

/** Broken invariant inside the core: a programmer error. The node must stop, not carry on. */
export class RaftInvariantError extends Error {
  readonly code = 'RAFT_INVARIANT';
}

export function invariant(cond: unknown, message: string): asserts cond {
  if (!cond) throw new RaftInvariantError(message);
}

/**
 * The durable log as the core reads it (etcd-io/raft's Storage). The core only reads; the
 * driver writes what a Ready tells it to persist, then calls `advance()`. Implementations:
 * MemoryStorage here (tests, simulator), the write-ahead log on disk in `storage/`.
 *
 * Invariant: entries in [firstIndex(), lastIndex()] are contiguous; term(firstIndex() - 1) is the
 * snapshot's term.
 */
export interface Storage {
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries [lo, hi), at least one even if it exceeds maxSizeBytes. */
  entries(lo: number, hi: number, maxSizeBytes: number): Entry[];
  term(index: number): number;
  lastIndex(): number;
  firstIndex(): number;
  snapshot(): Snapshot;
}

export function entrySizeBytes(e: Entry): number {
  // data plus a fixed overhead for term, index and type, as framed on the wire
  return e.data.byteLength + 24;
}

/** Keeps the longest prefix of `ents` whose total size is within `maxSizeBytes` (at least one entry). */
export function limitSize<T extends Entry>(ents: T[], maxSizeBytes: number): T[] {
  if (ents.length === 0) return ents;
  let size = entrySizeBytes(ents[0] as T);
  let n = 1;
  for (; n < ents.length; n++) {
    size += entrySizeBytes(ents[n] as T);
    if (size > maxSizeBytes) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}

/**
 * An in-memory Storage (etcd's MemoryStorage). `ents[0]` is a dummy entry holding the index and
 * term of the last compaction point (the snapshot).
 *
 * A `confState` passed to the constructor is a shortcut for fixed-membership tests: the
 * configuration then lives outside the log, so a member added later would never learn it from
 * the log. Clusters whose membership changes start from `bootstrapLog()` instead.
 */
export class MemoryStorage implements Storage {
  private hardState: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot;
  private ents: Entry[];

  constructor(initial?: { confState?: ConfState; snapshot?: Snapshot }) {
    this.snap = initial?.snapshot ?? {
      metadata: { index: 0, term: 0, confState: initial?.confState ?? { voters: [], learners: [] } },
      data: new Uint8Array(0),
    };
    this.ents = [dummy(this.snap.metadata.index, this.snap.metadata.term)];
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.snap.metadata.confState };
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  entries(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    const offset = this.firstDummy().index;
    if (lo <= offset) throw new CompactedError(lo);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1);
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxSizeBytes);
  }

  term(index: number): number {
    const offset = this.firstDummy().index;
    if (index < offset) throw new CompactedError(index);
    const e = this.ents[index - offset];
    if (e === undefined) throw new UnavailableError(index);
    return e.term;
  }

  lastIndex(): number {
    return this.firstDummy().index + this.ents.length - 1;
  }

  firstIndex(): number {
    return this.firstDummy().index + 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  applySnapshot(snap: Snapshot): void {
    if (snap.metadata.index <= this.snap.metadata.index) return;
    this.snap = snap;
    this.ents = [dummy(snap.metadata.index, snap.metadata.term)];
  }

  /** Records a snapshot the state machine took at `index` (which must be applied). */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snap.metadata.index) return this.snap;
    invariant(index <= this.lastIndex(), `snapshot ${index} beyond last index ${this.lastIndex()}`);
    this.snap = { metadata: { index, term: this.term(index), confState }, data };
    return this.snap;
  }

  /** Discards entries up to and including `compactIndex`, which must be covered by the snapshot. */
  compact(compactIndex: number): void {
    const offset = this.firstDummy().index;
    if (compactIndex <= offset) return;
    invariant(compactIndex <= this.lastIndex(), `compact ${compactIndex} beyond last ${this.lastIndex()}`);
    const term = this.term(compactIndex);
    this.ents = [dummy(compactIndex, term), ...this.ents.slice(compactIndex - offset + 1)];
  }

  /** Appends entries, truncating any conflicting suffix first. Entries must be contiguous. */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const firstNew = (entries[0] as Entry).index;
    const last = firstNew + entries.length - 1;
    if (last < first) return; // all compacted
    const toAdd = first > firstNew ? entries.slice(first - firstNew) : entries;
    const offset = (toAdd[0] as Entry).index - this.firstDummy().index;
    invariant(
      offset <= this.ents.length,
      `missing log entry: last ${this.lastIndex()}, appending at ${(toAdd[0] as Entry).index}`,
    );
    if (offset < this.ents.length) this.ents.length = offset;
    for (const e of toAdd) this.ents.push(e);
  }

  private firstDummy(): Entry {
    return this.ents[0] as Entry;
  }
}

function dummy(index: number, term: number): Entry {
  return { index, term, type: 'normal', data: new Uint8Array(0) };
}
