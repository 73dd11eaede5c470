/**
 * An in-process network for tests of the node runtime (hashicorp/raft's inmem_transport): every
 * transport on one InMemoryNetwork reaches the others by node id. Delivery is asynchronous (one
 * setImmediate per batch, in send order), and the network can cut links (partitions, one-way cuts,
 * isolation) and drop messages by predicate. Batches go through the real peer codec by default, so
 * runtime tests exercise the same encoding and validation as the wire.
 *
 * For a deterministic cluster simulation use the simulator's network instead: this one runs on
 * the real event loop.
 */
import { decodePeerBatch, encodePeerBatch, peerMessageEncodedBytes } from '@baton/proto-schemas';
import type { Message, NodeId } from '../raft/types.js';
import { isPeerBound, type PeerBoundMessage } from './peer-message.js';
import { newPeerCounters, newTransportCounters, type PeerCounters, snapshotStats } from './stats.js';
import type { PeerAddress, Transport, TransportStats } from './types.js';

export interface InMemoryNetworkOptions {
  /** Pass each batch through encodePeerBatch/decodePeerBatch (default true); false shares the objects. */
  readonly codec?: boolean;
}

export class InMemoryNetwork {
  private readonly nodes = new Map<NodeId, InMemoryTransport>();
  /** Directed links that deliver nothing: `from>to`. */
  private readonly cuts = new Set<string>();
  private dropFilter: ((m: Message) => boolean) | null = null;
  readonly codec: boolean;

  constructor(options: InMemoryNetworkOptions = {}) {
    this.codec = options.codec ?? true;
  }

  /** The transport of node `id` on this network (one per id while it is open). */
  transport(id: NodeId): InMemoryTransport {
    if (!Number.isSafeInteger(id) || id < 1) throw new RangeError(`node id must be a positive integer, got ${id}`);
    if (this.nodes.has(id)) throw new Error(`node ${id} already has an open transport on this network`);
    const transport = new InMemoryTransport(id, this);
    this.nodes.set(id, transport);
    return transport;
  }

  /** Nodes in different groups cannot reach each other; nodes in no group keep their links. */
  partition(...groups: readonly (readonly NodeId[])[]): void {
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j) continue;
        for (const a of groups[i]!) for (const b of groups[j]!) this.cuts.add(linkKey(a, b));
      }
    }
  }

  /** Messages from `from` to `to` are lost (the other direction is untouched). */
  cut(from: NodeId, to: NodeId): void {
    this.cuts.add(linkKey(from, to));
  }

  /** Cuts `id` off from every node that has a transport now, both ways. */
  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cuts.add(linkKey(id, other));
      this.cuts.add(linkKey(other, id));
    }
  }

  /** Restores every link. */
  heal(): void {
    this.cuts.clear();
  }

  /** Messages for which `filter` returns true are silently lost (null: lose nothing). */
  dropIf(filter: ((m: Message) => boolean) | null): void {
    this.dropFilter = filter;
  }

  /** @internal whether a message may travel now. */
  reachable(from: NodeId, to: NodeId): InMemoryTransport | undefined {
    if (this.cuts.has(linkKey(from, to))) return undefined;
    return this.nodes.get(to);
  }

  /** @internal */
  drops(m: Message): boolean {
    return this.dropFilter?.(m) === true;
  }

  /** @internal */
  detach(transport: InMemoryTransport): void {
    if (this.nodes.get(transport.id) === transport) this.nodes.delete(transport.id);
  }
}

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}>${to}`;
}

export class InMemoryTransport implements Transport {
  private receiveHandler: ((messages: Message[]) => void) | null = null;
  private unreachableHandler: ((peer: NodeId) => void) | null = null;
  private snapshotHandler: ((peer: NodeId, ok: boolean) => void) | null = null;
  /** Null until setPeers: every node on the network is a peer. */
  private peerNames: ReadonlyMap<NodeId, string> | null = null;
  private readonly peerCounters = new Map<NodeId, PeerCounters>();
  private readonly counters = newTransportCounters();
  private readonly pendingDeliveries = new Set<NodeJS.Immediate>();
  private closed = false;

  constructor(
    readonly id: NodeId,
    private readonly network: InMemoryNetwork,
  ) {}

  send(messages: readonly Message[]): void {
    if (this.closed) return;
    const batches = new Map<NodeId, PeerBoundMessage[]>();
    for (const m of messages) {
      if (!isPeerBound(m)) {
        this.counters.droppedLocal++;
        continue;
      }
      if (m.to === this.id) {
        this.counters.droppedSelf++;
        continue;
      }
      if (this.peerNames !== null && !this.peerNames.has(m.to)) {
        this.counters.droppedUnknownPeer++;
        continue;
      }
      try {
        peerMessageEncodedBytes(m);
      } catch {
        this.counters.droppedInvalid++;
        continue;
      }
      const batch = batches.get(m.to);
      if (batch === undefined) batches.set(m.to, [m]);
      else batch.push(m);
    }
    for (const [to, batch] of batches) this.later(() => this.deliver(to, batch));
  }

  onReceive(handler: (messages: Message[]) => void): void {
    this.receiveHandler = handler;
  }

  onUnreachable(handler: (peer: NodeId) => void): void {
    this.unreachableHandler = handler;
  }

  onSnapshotStatus(handler: (peer: NodeId, ok: boolean) => void): void {
    this.snapshotHandler = handler;
  }

  /** Restricts sending to these ids (names are kept for stats); this node's own entry is ignored. */
  setPeers(peers: ReadonlyMap<NodeId, PeerAddress>): void {
    const names = new Map<NodeId, string>();
    for (const [id, address] of peers) if (id !== this.id) names.set(id, address.name);
    this.peerNames = names;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const immediate of this.pendingDeliveries) clearImmediate(immediate);
    this.pendingDeliveries.clear();
    this.network.detach(this);
  }

  stats(): TransportStats {
    const ids = new Set<NodeId>([...(this.peerNames?.keys() ?? []), ...this.peerCounters.keys()]);
    return snapshotStats(
      this.counters,
      [...ids].map((id) => ({
        id,
        name: this.peerNames?.get(id) ?? String(id),
        connected: this.network.reachable(this.id, id) !== undefined,
        inboundLinks: this.network.reachable(id, this.id) !== undefined ? 1 : 0,
        queuedMessages: 0,
        queuedBytes: 0,
        counters: this.countersOf(id),
      })),
    );
  }

  /** @internal a batch from `from` arrives here. */
  receive(from: NodeId, messages: Message[]): void {
    if (this.closed) return;
    const c = this.countersOf(from);
    c.receivedFrames++;
    c.receivedMessages += messages.length;
    if (this.receiveHandler === null) this.counters.droppedNoHandler += messages.length;
    else this.receiveHandler(messages);
  }

  private deliver(to: NodeId, batch: PeerBoundMessage[]): void {
    const c = this.countersOf(to);
    const target = this.network.reachable(this.id, to);
    if (target === undefined) {
      c.droppedInFlight += batch.length;
      this.unreachableHandler?.(to);
      for (const m of batch) if (m.type === 'snap') this.snapshotHandler?.(to, false);
      return;
    }
    const kept = batch.filter((m) => !this.network.drops(m));
    c.droppedInFlight += batch.length - kept.length;
    if (kept.length === 0) return;
    c.sentFrames++;
    c.sentMessages += kept.length;
    let arriving: Message[] = kept;
    if (this.network.codec) {
      const frame = encodePeerBatch(kept);
      c.sentBytes += frame.byteLength;
      arriving = decodePeerBatch(frame);
    }
    for (const m of kept) if (m.type === 'snap') this.snapshotHandler?.(to, true);
    target.receive(this.id, arriving);
  }

  private countersOf(id: NodeId): PeerCounters {
    const known = this.peerCounters.get(id);
    if (known !== undefined) return known;
    const c = newPeerCounters();
    this.peerCounters.set(id, c);
    return c;
  }

  private later(fn: () => void): void {
    const immediate = setImmediate(() => {
      this.pendingDeliveries.delete(immediate);
      if (!this.closed) fn();
    });
    this.pendingDeliveries.add(immediate);
  }
}
