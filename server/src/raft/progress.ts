import { invariant } from './storage.js';
import type { ConfState, NodeId } from './types.js';

/**
 * A bounded window of AppendEntries in flight to one follower (etcd's Inflights): each slot
 * holds the last index a message carried. Pipelining sends until the window is full; acks free
 * the slots up to the acknowledged index.
 */
export class Inflights {
  private readonly buffer: number[];
  private start = 0;
  count = 0;

  constructor(readonly capacity: number) {
    invariant(capacity > 0, 'inflight window must hold at least one message');
    this.buffer = new Array<number>(capacity).fill(0);
  }

  add(lastIndex: number): void {
    invariant(!this.full(), 'inflight window overflow');
    this.buffer[(this.start + this.count) % this.capacity] = lastIndex;
    this.count++;
  }

  /** Frees every slot whose last index is <= `to`. */
  freeLE(to: number): void {
    while (this.count > 0 && (this.buffer[this.start] as number) <= to) {
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
    if (this.count === 0) this.start = 0;
  }

  full(): boolean {
    return this.count === this.capacity;
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
  }
}

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/**
 * The leader's view of one follower (etcd's Progress, thesis §3.5 / §10.2).
 * - probe: one AppendEntries per heartbeat until the match point is found;
 * - replicate: optimistic pipelining, `next` advanced as messages are sent, bounded by `inflights`;
 * - snapshot: waiting for an InstallSnapshot to finish; nothing else is sent.
 * Invariant: match < next.
 */
export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** Snapshot index being sent while in the snapshot state. */
  pendingSnapshot = 0;
  /** Heard from within the current CheckQuorum window. */
  recentActive = false;
  /** In probe: a message was sent since the last heartbeat, so wait. */
  probeSent = false;
  /** Highest leader tick echoed back by this follower's heartbeat responses (lease reads). */
  leaseAckTick = Number.NEGATIVE_INFINITY;
  /** Commit index carried by the last append sent, so a caught-up follower learns new commits. */
  sentCommit = 0;
  /** Leader tick at which this follower's match last advanced (stall detection). */
  lastProgressTick = 0;
  /** Leader tick of the last empty append sent to find out whether an append was lost. */
  nudgedAtTick = -1;
  /** Leader tick at which the pending snapshot was sent (resent if nothing is heard back). */
  snapshotSentTick = 0;
  readonly inflights: Inflights;
  isLearner: boolean;

  constructor(next: number, maxInflight: number, isLearner: boolean) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
    this.isLearner = isLearner;
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** An AppendEntries with `count` entries after `prevIndex` was sent. */
  sentEntries(prevIndex: number, count: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        const last = prevIndex + count;
        this.next = last + 1;
        this.inflights.add(last);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /** A successful append response for index n; returns true if it advanced the match. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * A rejection of an append at `rejected` with the follower's hint; returns true if `next`
   * moved (the rejection was not stale).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      // stale: we already know a match at or past the rejected index
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false; // stale probe rejection
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  /** Whether the leader should hold back appends (flow control). */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }
}

export type VoteResult = 'won' | 'lost' | 'pending';

/**
 * Membership and per-node progress (etcd's ProgressTracker). Quorums count voters only.
 */
export class ProgressTracker {
  voters = new Set<NodeId>();
  learners = new Set<NodeId>();
  readonly progress = new Map<NodeId, Progress>();
  readonly votes = new Map<NodeId, boolean>();

  constructor(readonly maxInflight: number) {}

  confState(): ConfState {
    return {
      voters: [...this.voters].sort((a, b) => a - b),
      learners: [...this.learners].sort((a, b) => a - b),
    };
  }

  quorum(): number {
    return Math.floor(this.voters.size / 2) + 1;
  }

  isSingleton(): boolean {
    return this.voters.size === 1;
  }

  /** The highest index a quorum of voters has matched (Raft §5.3). */
  committed(): number {
    const n = this.voters.size;
    if (n === 0) return 0;
    if (n <= 7) {
      // small clusters: an insertion sort beats allocating and sorting
      const m: number[] = [];
      for (const id of this.voters) {
        const v = this.progress.get(id)?.match ?? 0;
        let i = m.length;
        m.push(v);
        while (i > 0 && (m[i - 1] as number) < v) {
          m[i] = m[i - 1] as number;
          i--;
        }
        m[i] = v;
      }
      return m[this.quorum() - 1] as number;
    }
    const m = [...this.voters].map((id) => this.progress.get(id)?.match ?? 0).sort((a, b) => b - a);
    return m[this.quorum() - 1] as number;
  }

  /**
   * The largest value v such that a quorum of voters reports a value >= v, given a reader for
   * each voter's value (used for lease reads: the tick a quorum has acknowledged since).
   */
  quorumValue(read: (id: NodeId, p: Progress) => number): number {
    const vals = [...this.voters].map((id) => {
      const p = this.progress.get(id);
      return p ? read(id, p) : Number.NEGATIVE_INFINITY;
    });
    if (vals.length === 0) return Number.NEGATIVE_INFINITY;
    vals.sort((a, b) => b - a);
    return vals[this.quorum() - 1] as number;
  }

  /** Whether a quorum of voters was recently active (CheckQuorum, thesis §6.2). */
  quorumActive(selfId: NodeId): boolean {
    let active = 0;
    for (const id of this.voters) {
      if (id === selfId || this.progress.get(id)?.recentActive) active++;
    }
    return active >= this.quorum();
  }

  resetVotes(): void {
    this.votes.clear();
  }

  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voters) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    const q = this.quorum();
    // lost as soon as the outstanding votes could no longer make a quorum (etcd)
    const outstanding = this.voters.size - granted - rejected;
    const result: VoteResult = granted >= q ? 'won' : granted + outstanding < q ? 'lost' : 'pending';
    return { granted, rejected, result };
  }

  isVoter(id: NodeId): boolean {
    return this.voters.has(id);
  }
}
