/**
 * The peer transport over WebSocket (DESIGN §3, §7).
 *
 * Each node dials every peer (`<url>/v1/peer`) and sends only on that outbound link; it receives
 * on the links its peers dialed, which the node's HTTP server hands over through handleUpgrade().
 * A link is authenticated by its handshake (inbound-link.ts, outbound-link.ts); afterwards every
 * binary frame is one batch (encodePeerBatch) and every inbound frame is decoded and validated: a
 * bad one closes that link only, and a message not from the link's peer, or not for this node, is
 * dropped.
 *
 * Sending: send() puts each message in its peer's bounded queue (send-queue.ts) and schedules a
 * flush on the next event-loop turn, which writes at most one frame per peer (bounded by
 * maxFrameBytes) while the peer's socket has room (maxInflightBytes); what is left goes in the
 * following turns. Messages wait in the queue while a link is down and go out when it is back;
 * meanwhile the peer is reported unreachable so Raft probes gently instead of streaming appends.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  decodePeerBatch,
  encodePeerBatch,
  PEER_BATCH_HEADER_MAX_BYTES,
  PEER_CLOSE_CODES,
  PeerFrameError,
  peerMessageEncodedBytes,
} from '@baton/proto-schemas';
import { WebSocketServer } from 'ws';
import type { Message, NodeId } from '../raft/types.js';
import { InboundLink } from './inbound-link.js';
import {
  type PeerTlsOptions,
  type ResolvedWsTransportOptions,
  resolveWsTransportOptions,
  type WsTransportOptions,
} from './options.js';
import { OutboundLink } from './outbound-link.js';
import { PeerDirectory, type PeerEntry } from './peer-directory.js';
import { isPeerBound } from './peer-message.js';
import { type QueuedMessage, SendQueue } from './send-queue.js';
import { newPeerCounters, newTransportCounters, type PeerCounters, snapshotStats } from './stats.js';
import type { PeerAddress, Transport, TransportStats } from './types.js';

/** Links still in their handshake, all peers together: over it a new link is refused at once. */
export const MAX_PENDING_HANDSHAKES = 64;

interface Peer {
  entry: PeerEntry;
  readonly queue: SendQueue;
  readonly outbound: OutboundLink;
  inbound: InboundLink | null;
  readonly counters: PeerCounters;
}

export class WsTransport implements Transport {
  private readonly options: ResolvedWsTransportOptions;
  private readonly directory: PeerDirectory;
  private readonly peers = new Map<NodeId, Peer>();
  /** Inbound links still in their handshake. */
  private readonly pending = new Set<InboundLink>();
  private readonly server: WebSocketServer;
  private readonly counters = newTransportCounters();
  private receiveHandler: ((messages: Message[]) => void) | null = null;
  private unreachableHandler: ((peer: NodeId) => void) | null = null;
  private snapshotHandler: ((peer: NodeId, ok: boolean) => void) | null = null;
  /** Reports collected during a turn, delivered by the next flush (never from inside send()). */
  private readonly unreachable = new Set<NodeId>();
  private readonly snapshotReports: [NodeId, boolean][] = [];
  private flushScheduled: NodeJS.Immediate | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  /** Links of removed peers, still closing: close() waits for them too. */
  private readonly background = new Set<Promise<void>>();

  constructor(options: WsTransportOptions) {
    this.options = resolveWsTransportOptions(options);
    this.directory = new PeerDirectory(this.options.selfId, this.options.selfName);
    this.server = new WebSocketServer({
      noServer: true,
      maxPayload: this.options.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
    });
  }

  send(messages: readonly Message[]): void {
    if (this.closed) return;
    for (const m of messages) this.enqueue(m);
    this.scheduleFlush();
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

  /**
   * New certificate, key and CA for outbound links (a SIGHUP reload): every link dialled from now
   * on presents them; links already open keep the ones they were made with.
   */
  setTls(tls: PeerTlsOptions): void {
    this.options.tls = tls;
  }

  setPeers(peers: ReadonlyMap<NodeId, PeerAddress>): void {
    if (this.closed) return;
    const change = this.directory.replace(peers);
    for (const entry of change.removed) {
      const peer = this.peers.get(entry.id);
      if (peer === undefined) continue;
      this.peers.delete(entry.id);
      // no reports: the node removed this peer and its Raft core no longer tracks it
      peer.queue.clear();
      this.track(peer.outbound.close(PEER_CLOSE_CODES.removed, 'peer removed'));
      if (peer.inbound !== null) this.track(peer.inbound.close(PEER_CLOSE_CODES.removed, 'peer removed'));
    }
    for (const entry of change.moved) {
      const peer = this.peers.get(entry.id);
      if (peer === undefined) continue;
      peer.entry = entry;
      peer.outbound.redial(entry);
    }
    for (const entry of change.added) this.addPeer(entry);
  }

  /**
   * Takes over an HTTP upgrade request the node's server routed here (path PEER_PATH). The node
   * owns the http.Server; this only ever touches the one socket.
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const remote = `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? '?'}`;
    this.server.handleUpgrade(request, socket, head, (ws) => {
      if (this.closed) {
        ws.terminate();
        return;
      }
      const link = new InboundLink(ws, remote, this.options, {
        lookup: (name) => this.directory.byName(name),
        refused: (_link, reason) => this.counters.refusedHandshakes[reason]++,
        authenticated: (l) => this.onAuthenticated(l),
        frame: (l, data) => this.onFrame(l, data),
        oversize: (l) => {
          const peer = this.peerOf(l);
          if (peer !== undefined) peer.counters.badFrames++;
          else this.counters.refusedHandshakes.badHandshake++;
        },
        closed: (l) => this.onInboundClosed(l),
      });
      this.pending.add(link);
      if (this.pending.size > MAX_PENDING_HANDSHAKES) {
        this.counters.refusedHandshakes.overloaded++;
        this.options.logger.warn({ remote, pending: this.pending.size }, 'peer handshake refused: too many pending');
        void link.close(PEER_CLOSE_CODES.overloaded, 'too many handshakes in progress');
      }
    });
  }

  stats(): TransportStats {
    return snapshotStats(
      this.counters,
      [...this.peers.values()].map((p) => ({
        id: p.entry.id,
        name: p.entry.name,
        connected: p.outbound.isOpen,
        inboundLinks: p.inbound === null ? 0 : 1,
        queuedMessages: p.queue.length,
        queuedBytes: p.queue.bytes,
        counters: p.counters,
      })),
    );
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    if (this.flushScheduled !== null) clearImmediate(this.flushScheduled);
    this.flushScheduled = null;
    const closing: Promise<void>[] = [];
    for (const peer of this.peers.values()) {
      peer.queue.clear();
      closing.push(peer.outbound.close(PEER_CLOSE_CODES.shuttingDown, 'node shutting down'));
      if (peer.inbound !== null) closing.push(peer.inbound.close(PEER_CLOSE_CODES.shuttingDown, 'node shutting down'));
    }
    for (const link of this.pending) closing.push(link.close(PEER_CLOSE_CODES.shuttingDown, 'node shutting down'));
    await Promise.all([...closing, ...this.background]);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(closing: Promise<void>): void {
    this.background.add(closing);
    void closing.then(() => this.background.delete(closing));
  }

  // -------------------------------------------------------------------------------------------
  // Sending

  private addPeer(entry: PeerEntry): void {
    const counters = newPeerCounters();
    const outbound = new OutboundLink(entry, this.options, counters, {
      opened: () => this.scheduleFlush(),
      down: () => {
        if (this.peers.get(entry.id) !== peer) return;
        this.unreachable.add(entry.id);
        this.scheduleFlush();
      },
      drained: () => {
        if (peer.queue.length > 0) this.scheduleFlush();
      },
    });
    const queue = new SendQueue(this.options.maxQueueMessages, this.options.maxQueueBytes);
    const peer: Peer = { entry, queue, outbound, inbound: null, counters };
    this.peers.set(entry.id, peer);
    outbound.start();
  }

  private enqueue(m: Message): void {
    if (!isPeerBound(m)) {
      this.counters.droppedLocal++;
      return;
    }
    if (m.to === this.options.selfId) {
      this.counters.droppedSelf++;
      return;
    }
    const peer = this.peers.get(m.to);
    if (peer === undefined) {
      this.counters.droppedUnknownPeer++;
      return;
    }
    let bytes: number;
    try {
      bytes = peerMessageEncodedBytes(m);
    } catch (error) {
      // a driver bug (an unsafe integer, a malformed entry): send() still must not throw
      this.counters.droppedInvalid++;
      this.options.logger.error(
        { peer: peer.entry.name, type: m.type, err: String(error) },
        'unencodable peer message',
      );
      return;
    }
    if (PEER_BATCH_HEADER_MAX_BYTES + bytes > this.options.maxFrameBytes) {
      this.options.logger.warn(
        { peer: peer.entry.name, type: m.type, bytes, maxFrameBytes: this.options.maxFrameBytes },
        'peer message over the frame size limit dropped',
      );
      this.dropAll(peer, [{ message: m, bytes }], 'droppedOversize');
      return;
    }
    const dropped = peer.queue.push({ message: m, bytes });
    if (dropped.length > 0) this.dropAll(peer, dropped, 'droppedQueueFull');
    if (!peer.outbound.isOpen) this.unreachable.add(m.to);
  }

  /** Counts lost messages, reports the peer unreachable, and any lost snapshot as failed. */
  private dropAll(
    peer: Peer,
    lost: readonly QueuedMessage[],
    counter: 'droppedQueueFull' | 'droppedOversize' | 'droppedInFlight',
  ): void {
    if (lost.length === 0) return;
    peer.counters[counter] += lost.length;
    this.unreachable.add(peer.entry.id);
    for (const { message } of lost) {
      if (message.type === 'snap') this.snapshotReports.push([peer.entry.id, false]);
    }
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled !== null || this.closed) return;
    this.flushScheduled = setImmediate(() => this.flush());
  }

  /**
   * Writes one frame to every writable peer with queued messages now, instead of at the end of
   * the turn. The node calls it right after queueing a Ready's messages and before starting that
   * Ready's fsync: on the leader the appends then leave before the WAL write is handed to the
   * thread pool, so the followers' fsyncs start one loop iteration and one thread wake-up
   * earlier. Reports (unreachable peers, snapshot outcomes) still wait for the scheduled flush,
   * so nothing calls back into the node from inside its Ready.
   */
  flushNow(): void {
    if (this.closed) return;
    this.writeFrames();
  }

  /** One frame per writable peer, then the reports of the turn. */
  private flush(): void {
    this.flushScheduled = null;
    if (this.closed) return;
    const more = this.writeFrames();
    this.deliverReports();
    if (more) this.scheduleFlush();
  }

  /** One frame per writable peer; true if a writable peer has more queued than one frame held. */
  private writeFrames(): boolean {
    let more = false;
    for (const peer of this.peers.values()) {
      if (peer.queue.length === 0 || !peer.outbound.writable) continue;
      this.writeFrame(peer, peer.queue.takeFrame(this.options.maxFrameBytes));
      if (peer.queue.length > 0 && peer.outbound.writable) more = true;
    }
    return more;
  }

  private writeFrame(peer: Peer, batch: QueuedMessage[]): void {
    let frame: Uint8Array;
    try {
      frame = encodePeerBatch(batch.map((q) => q.message));
    } catch (error) {
      // unreachable: every message was sized (and so validated) on its way into the queue
      if (!(error instanceof PeerFrameError)) throw error;
      this.options.logger.error({ peer: peer.entry.name, err: error.message }, 'peer frame could not be encoded');
      this.dropAll(peer, batch, 'droppedInFlight');
      return;
    }
    const id = peer.entry.id;
    peer.outbound.send(frame, (error) => {
      if (error !== undefined) {
        this.dropAll(peer, batch, 'droppedInFlight');
        return;
      }
      peer.counters.sentFrames++;
      peer.counters.sentMessages += batch.length;
      peer.counters.sentBytes += frame.byteLength;
      for (const { message } of batch) {
        if (message.type === 'snap') this.snapshotReports.push([id, true]);
      }
      if (this.snapshotReports.length > 0) this.scheduleFlush();
    });
  }

  private deliverReports(): void {
    const unreachable = [...this.unreachable];
    this.unreachable.clear();
    const snapshots = this.snapshotReports.splice(0);
    for (const id of unreachable) this.unreachableHandler?.(id);
    for (const [id, ok] of snapshots) this.snapshotHandler?.(id, ok);
  }

  // -------------------------------------------------------------------------------------------
  // Receiving

  private peerOf(link: InboundLink): Peer | undefined {
    if (link.peer === null) return undefined;
    const peer = this.peers.get(link.peer.id);
    return peer !== undefined && peer.inbound === link ? peer : undefined;
  }

  private onAuthenticated(link: InboundLink): void {
    this.pending.delete(link);
    const peer = link.peer === null ? undefined : this.peers.get(link.peer.id);
    if (peer === undefined) {
      this.track(link.close(PEER_CLOSE_CODES.removed, 'peer removed'));
      return;
    }
    // a peer that redialed (its old link may not have noticed it is dead yet): keep the newest
    const previous = peer.inbound;
    peer.inbound = link;
    if (previous !== null) this.track(previous.close(PEER_CLOSE_CODES.replaced, 'replaced by a newer link'));
    peer.outbound.peerReachedUs();
  }

  private onFrame(link: InboundLink, data: Buffer): void {
    if (this.closed) return;
    const peer = this.peerOf(link);
    if (peer === undefined) {
      this.track(link.close(PEER_CLOSE_CODES.removed, 'peer removed'));
      return;
    }
    let messages: Message[];
    try {
      messages = decodePeerBatch(data);
    } catch (error) {
      if (!(error instanceof PeerFrameError)) throw error;
      peer.counters.badFrames++;
      this.options.logger.warn(
        { peer: peer.entry.name, code: error.code, err: error.message, bytes: data.byteLength },
        'bad peer frame: closing the link',
      );
      void link.close(PEER_CLOSE_CODES.badFrame, `bad frame: ${error.code}`);
      return;
    }
    peer.counters.receivedFrames++;
    peer.counters.receivedBytes += data.byteLength;
    const fromPeer = messages.filter((m) => m.from === peer.entry.id && m.to === this.options.selfId);
    peer.counters.droppedMisaddressed += messages.length - fromPeer.length;
    peer.counters.receivedMessages += fromPeer.length;
    if (fromPeer.length === 0) return;
    if (this.receiveHandler === null) {
      this.counters.droppedNoHandler += fromPeer.length;
      return;
    }
    this.receiveHandler(fromPeer);
  }

  private onInboundClosed(link: InboundLink): void {
    this.pending.delete(link);
    const peer = this.peerOf(link);
    if (peer !== undefined) peer.inbound = null;
  }
}
