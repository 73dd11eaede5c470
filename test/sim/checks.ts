import type { Entry, HardState, NodeId } from '@baton/server/raft';

/** A broken invariant found by the simulator. */
export class Violation extends Error {
  constructor(
    readonly invariant: string,
    detail: string,
  ) {
    super(`${invariant}: ${detail}`);
  }
}

const decoder = new TextDecoder();

export function entryKey(e: Entry): string {
  return `${e.type}:${decoder.decode(e.data)}`;
}

/** A cheap running hash of the applied sequence (state machine safety across snapshots). */
export function chainHash(prev: number, e: Entry): number {
  let h = (prev ^ 0x9e3779b9) >>> 0;
  const mix = (x: number) => {
    h = Math.imul(h ^ x, 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
  };
  mix(e.index);
  mix(e.term);
  for (let i = 0; i < e.data.length; i++) mix(e.data[i] as number);
  return h;
}

/**
 * The Raft safety properties (Raft paper, figure 3) plus the simulator's own, checked
 * incrementally as nodes persist, commit, apply and change role. Every check is O(1) per entry
 * except leader completeness, which runs once per new leader.
 */
export class SafetyChecker {
  /** Election safety: term -> the one leader of that term. */
  private readonly leaders = new Map<number, NodeId>();
  /** Log matching: (index, term) -> the entry's content and the term of the entry before it. */
  private readonly created = new Map<string, { key: string; prevTerm: number }>();
  /** Committed entries: index -> term and the term in which it was first seen committed. */
  private readonly committed = new Map<number, { term: number; key: string; seenInTerm: number }>();
  maxCommitted = 0;
  /** State machine safety: index -> running hash of everything applied up to it. */
  private readonly appliedHash = new Map<number, number>();
  /** Persisted hard state per node (must never go backwards, even across crashes). */
  private readonly persisted = new Map<NodeId, HardState>();

  onLeader(id: NodeId, term: number): void {
    const prev = this.leaders.get(term);
    if (prev !== undefined && prev !== id) {
      throw new Violation('election safety', `term ${term} has two leaders: ${prev} and ${id}`);
    }
    this.leaders.set(term, id);
  }

  /** Leader completeness: every entry committed in an earlier term is in the new leader's log. */
  onBecameLeader(id: NodeId, term: number, termAt: (index: number) => number | null, firstIndex: number): void {
    for (const [index, c] of this.committed) {
      if (c.seenInTerm >= term || index < firstIndex) continue;
      const t = termAt(index);
      if (t !== c.term) {
        throw new Violation(
          'leader completeness',
          `node ${id} leads term ${term} without committed entry ${index} (term ${c.term}); its log has ${t ?? 'nothing'} there`,
        );
      }
    }
  }

  /** Leader append-only and log matching, for entries a node is about to persist. */
  onPersistEntries(
    id: NodeId,
    isLeader: boolean,
    entries: readonly Entry[],
    lastIndexBefore: number,
    termAt: (index: number) => number | null,
  ): void {
    const first = entries[0];
    if (first === undefined) return;
    if (isLeader && first.index !== lastIndexBefore + 1) {
      throw new Violation(
        'leader append-only',
        `leader ${id} rewrites its log at ${first.index} (its last index was ${lastIndexBefore})`,
      );
    }
    let prevTerm: number | null = termAt(first.index - 1);
    for (const e of entries) {
      const k = `${e.index}/${e.term}`;
      const seen = this.created.get(k);
      const key = entryKey(e);
      if (seen === undefined) {
        if (prevTerm !== null) this.created.set(k, { key, prevTerm });
      } else {
        if (seen.key !== key) {
          throw new Violation('log matching', `node ${id}: entry ${k} is "${key}" here, "${seen.key}" elsewhere`);
        }
        if (prevTerm !== null && seen.prevTerm !== prevTerm) {
          throw new Violation(
            'log matching',
            `node ${id}: entry ${k} follows term ${prevTerm} here, term ${seen.prevTerm} elsewhere`,
          );
        }
      }
      prevTerm = e.term;
    }
  }

  /** Hard state never goes backwards; commit is monotonic. */
  onPersistHardState(id: NodeId, hs: HardState): void {
    const prev = this.persisted.get(id);
    if (prev !== undefined) {
      if (hs.term < prev.term) throw new Violation('hard state', `node ${id}: term ${prev.term} -> ${hs.term}`);
      if (hs.term === prev.term && prev.vote !== 0 && hs.vote !== prev.vote) {
        throw new Violation('hard state', `node ${id}: voted twice in term ${hs.term} (${prev.vote}, then ${hs.vote})`);
      }
      if (hs.commit < prev.commit) {
        throw new Violation('commit monotonic', `node ${id}: commit ${prev.commit} -> ${hs.commit}`);
      }
    }
    this.persisted.set(id, hs);
  }

  /** A node's persisted state was wiped (a removed node's id is never reused, so nothing to do). */
  forget(id: NodeId): void {
    this.persisted.delete(id);
  }

  /** Records entries a node knows to be committed (its commit index covers them). */
  onCommitted(id: NodeId, index: number, term: number, key: string, nodeTerm: number): void {
    const c = this.committed.get(index);
    if (c === undefined) {
      this.committed.set(index, { term, key, seenInTerm: nodeTerm });
      if (index > this.maxCommitted) this.maxCommitted = index;
    } else if (c.term !== term || c.key !== key) {
      throw new Violation(
        'state machine safety',
        `node ${id} committed ${index} as ${term}:"${key}", another node as ${c.term}:"${c.key}"`,
      );
    }
  }

  /** State machine safety: every node applies the same entry at each index. */
  onApplied(id: NodeId, index: number, hash: number): void {
    const h = this.appliedHash.get(index);
    if (h === undefined) this.appliedHash.set(index, hash);
    else if (h !== hash)
      throw new Violation('state machine safety', `node ${id} applied a different history at ${index}`);
  }

  committedEntry(index: number): { term: number; key: string } | undefined {
    return this.committed.get(index);
  }
}
