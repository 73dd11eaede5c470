import type { NodeId } from './types.js';

/** Bound on ReadIndex requests a leader keeps waiting for their heartbeat round. */
export const MAX_PENDING_READS = 65_536;

interface PendingRead {
  readonly id: number;
  readonly index: number;
  readonly from: NodeId;
  readonly ctx: string;
  readonly acks: Set<NodeId>;
}

export interface ReleasedRead {
  readonly index: number;
  readonly from: NodeId;
  readonly ctx: string;
}

/**
 * ReadIndex requests waiting for a heartbeat round to confirm leadership (thesis §6.4, etcd's
 * readOnly). Each request gets its own round id; a heartbeat response that echoes id N
 * acknowledges every round <= N, because those rounds were opened before the heartbeat left.
 */
export class ReadOnly {
  private queue: PendingRead[] = [];
  private nextId = 1;

  /** Opens a round for a read at `index`; returns its id (0 when the queue is full: dropped). */
  add(index: number, from: NodeId, ctx: string, selfId: NodeId): number {
    if (this.queue.length >= MAX_PENDING_READS) return 0;
    const id = this.nextId++;
    this.queue.push({ id, index, from, ctx, acks: new Set([selfId]) });
    return id;
  }

  lastPendingId(): number {
    const last = this.queue[this.queue.length - 1];
    return last ? last.id : 0;
  }

  /** Records an ack for every round <= readId; releases the rounds a quorum confirmed, in order. */
  recvAck(from: NodeId, readId: number, hasQuorum: (acks: Set<NodeId>) => boolean): ReleasedRead[] {
    let confirmed = -1;
    for (let i = 0; i < this.queue.length; i++) {
      const r = this.queue[i] as PendingRead;
      if (r.id > readId) break;
      r.acks.add(from);
      if (hasQuorum(r.acks)) confirmed = i;
    }
    if (confirmed < 0) return [];
    const released = this.queue.slice(0, confirmed + 1).map(({ index, from: f, ctx }) => ({ index, from: f, ctx }));
    this.queue = this.queue.slice(confirmed + 1);
    return released;
  }

  reset(): void {
    this.queue = [];
  }

  pendingCount(): number {
    return this.queue.length;
  }
}
