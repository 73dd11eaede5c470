import type { NodeId } from './types.js';

/** Bound on ReadIndex requests a leader keeps waiting for their heartbeat round. */
export const MAX_PENDING_READS = 65_536;

export interface ReadRequest {
  readonly from: NodeId;
  readonly ctx: string;
}

interface Round {
  readonly id: number;
  readonly index: number;
  readonly reqs: readonly ReadRequest[];
}

export interface ReleasedRead extends ReadRequest {
  readonly index: number;
}

/**
 * ReadIndex requests waiting for a heartbeat round to confirm leadership (thesis §6.4, etcd's
 * readOnly). Requests that arrive between two Readys share one round (one heartbeat broadcast).
 * Round ids increase; a heartbeat response echoing id N confirms every round <= N, since those
 * were opened before the heartbeat left. Per peer we keep only the highest id it echoed, so an
 * ack costs O(voters), not O(pending rounds).
 */
export class ReadOnly {
  private rounds: Round[] = [];
  private batch: ReadRequest[] = [];
  private pendingCount = 0;
  private nextId = 1;
  private readonly acked = new Map<NodeId, number>();

  /** Queues a request for the next round; false when the bound is reached (the read is dropped). */
  request(from: NodeId, ctx: string): boolean {
    if (this.pendingCount >= MAX_PENDING_READS) return false;
    this.batch.push({ from, ctx });
    this.pendingCount++;
    return true;
  }

  hasBatch(): boolean {
    return this.batch.length > 0;
  }

  /** Opens a round for the queued requests at read index `index`; returns its id. */
  openRound(index: number): number {
    const id = this.nextId++;
    this.rounds.push({ id, index, reqs: this.batch });
    this.batch = [];
    return id;
  }

  lastRoundId(): number {
    const last = this.rounds[this.rounds.length - 1];
    return last ? last.id : 0;
  }

  /**
   * Records that `from` echoed round `readId`; returns the requests of every round a quorum of
   * voters has now confirmed, in order. The leader itself confirms every round.
   */
  recvAck(from: NodeId, readId: number, voters: ReadonlySet<NodeId>, selfId: NodeId, quorum: number): ReleasedRead[] {
    if (readId > (this.acked.get(from) ?? 0)) this.acked.set(from, readId);
    const first = this.rounds[0];
    if (first === undefined) return [];
    const echoed: number[] = [];
    for (const v of voters) echoed.push(v === selfId ? Number.POSITIVE_INFINITY : (this.acked.get(v) ?? 0));
    echoed.sort((a, b) => b - a);
    const confirmed = echoed[quorum - 1] ?? 0;
    let n = 0;
    while (n < this.rounds.length && (this.rounds[n] as Round).id <= confirmed) n++;
    if (n === 0) return [];
    const released: ReleasedRead[] = [];
    for (const r of this.rounds.slice(0, n)) for (const q of r.reqs) released.push({ ...q, index: r.index });
    this.rounds = this.rounds.slice(n);
    this.pendingCount -= released.length;
    return released;
  }

  reset(): void {
    this.rounds = [];
    this.batch = [];
    this.pendingCount = 0;
    this.acked.clear();
  }
}
