/**
 * The peer transport as the node runtime sees it (hashicorp/raft's Transport, etcd's rafthttp):
 * fire-and-forget delivery of Raft messages by node id, with loss reported back so the core can
 * back off. Raft tolerates the loss, duplication and reordering of any message; the transport
 * promises nothing more than best effort, and never blocks or throws on the send path.
 */
import type { Message, NodeId } from '../raft/types.js';

/** Where a peer listens. `url` is an http(s)/ws(s) base (`http://host:port`), possibly a proxy. */
export interface PeerAddress {
  readonly name: string;
  readonly url: string;
}

/** The pino methods the transport uses: object first, message second. */
export interface TransportLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const SILENT_LOGGER: TransportLogger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});

export interface Transport {
  /**
   * Routes each message by `m.to` to that peer's bounded queue; queues are flushed on a later
   * event-loop turn. Never blocks, never throws: a message that cannot go (local type, unknown
   * peer, over the frame size, queue full) is dropped and counted in `stats()`.
   */
  send(messages: readonly Message[]): void;
  /**
   * The one receive handler (a later call replaces it). Called asynchronously, once per frame,
   * with messages already validated and checked to come from the link's authenticated peer and to
   * be addressed to this node. An exception from the handler is a bug in the node and is not
   * caught (it stops the process, as a broken invariant should).
   */
  onReceive(handler: (messages: Message[]) => void): void;
  /**
   * Called (asynchronously, at most once per peer per event-loop turn) when messages for a peer
   * were dropped or its link is down: the driver calls RawNode.reportUnreachable(peer).
   */
  onUnreachable(handler: (peer: NodeId) => void): void;
  /**
   * Called when a `snap` message left this node (ok: written to the link) or was dropped
   * (ok: false): the driver calls RawNode.reportSnapshot(peer, ok).
   */
  onSnapshotStatus(handler: (peer: NodeId, ok: boolean) => void): void;
  /** The whole peer set (it may include this node itself, which is ignored). Throws on a bad set. */
  setPeers(peers: ReadonlyMap<NodeId, PeerAddress>): void;
  /** Closes every link; queued messages are dropped; no handler is called after it resolves. */
  close(): Promise<void>;
  stats(): TransportStats;
}

/** Why an inbound link was refused during its handshake (each a PEER_CLOSE_CODES entry). */
export type HandshakeRefusal =
  | 'unsupportedProtocol'
  | 'badHandshake'
  | 'wrongCluster'
  | 'wrongTarget'
  | 'unknownPeer'
  | 'unauthenticated'
  | 'handshakeTimeout'
  | 'overloaded';

export interface PeerLinkStats {
  readonly id: NodeId;
  readonly name: string;
  /** The outbound link finished its handshake and can carry frames. */
  readonly connected: boolean;
  /** Authenticated inbound links from this peer (0 or 1). */
  readonly inboundLinks: number;
  readonly queuedMessages: number;
  readonly queuedBytes: number;
  readonly sentMessages: number;
  readonly sentFrames: number;
  readonly sentBytes: number;
  readonly receivedMessages: number;
  readonly receivedFrames: number;
  readonly receivedBytes: number;
  /** Oldest queued messages dropped to make room. */
  readonly droppedQueueFull: number;
  /** Messages larger than a frame may be. */
  readonly droppedOversize: number;
  /** Messages lost with a frame whose write failed, or cut off by a partition (in memory). */
  readonly droppedInFlight: number;
  /** Inbound frames that did not decode (each closed its link), or were over the size limit. */
  readonly badFrames: number;
  /** Inbound messages whose `from` was not this peer or whose `to` was not this node. */
  readonly droppedMisaddressed: number;
  /** Outbound handshakes completed. */
  readonly connects: number;
  /** Outbound connection attempts that failed or were refused. */
  readonly connectFailures: number;
}

export interface TransportStats {
  readonly peers: readonly PeerLinkStats[];
  /** Messages of a local type handed to send() (a driver bug; they never cross the network). */
  readonly droppedLocal: number;
  /** Messages addressed to this node itself. */
  readonly droppedSelf: number;
  /** Messages for an id not in the peer set. */
  readonly droppedUnknownPeer: number;
  /** Messages the wire format cannot carry (a driver bug: unsafe integers, oversized ctx…). */
  readonly droppedInvalid: number;
  /** Messages received while no receive handler was set. */
  readonly droppedNoHandler: number;
  /** Inbound handshakes refused, by reason. */
  readonly refusedHandshakes: Readonly<Record<HandshakeRefusal, number>>;
}
