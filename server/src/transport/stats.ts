/** Mutable counters behind `Transport.stats()`; the snapshot handed out is a copy. */
import type { NodeId } from '../raft/types.js';
import type { HandshakeRefusal, PeerLinkStats, TransportStats } from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The counters a peer keeps; `connected`, `inboundLinks` and the queue sizes are read live. */
export type PeerCounters = Mutable<
  Omit<PeerLinkStats, 'id' | 'name' | 'connected' | 'inboundLinks' | 'queuedMessages' | 'queuedBytes'>
>;

export function newPeerCounters(): PeerCounters {
  return {
    sentMessages: 0,
    sentFrames: 0,
    sentBytes: 0,
    receivedMessages: 0,
    receivedFrames: 0,
    receivedBytes: 0,
    droppedQueueFull: 0,
    droppedOversize: 0,
    droppedInFlight: 0,
    badFrames: 0,
    droppedMisaddressed: 0,
    connects: 0,
    connectFailures: 0,
  };
}

export type TransportCounters = Mutable<Omit<TransportStats, 'peers' | 'refusedHandshakes'>> & {
  refusedHandshakes: Record<HandshakeRefusal, number>;
};

export function newTransportCounters(): TransportCounters {
  return {
    droppedLocal: 0,
    droppedSelf: 0,
    droppedUnknownPeer: 0,
    droppedInvalid: 0,
    droppedNoHandler: 0,
    refusedHandshakes: {
      unsupportedProtocol: 0,
      badHandshake: 0,
      wrongCluster: 0,
      wrongTarget: 0,
      unknownPeer: 0,
      unauthenticated: 0,
      handshakeTimeout: 0,
      overloaded: 0,
    },
  };
}

export interface PeerLiveState {
  readonly id: NodeId;
  readonly name: string;
  readonly connected: boolean;
  readonly inboundLinks: number;
  readonly queuedMessages: number;
  readonly queuedBytes: number;
  readonly counters: PeerCounters;
}

export function snapshotStats(counters: TransportCounters, peers: Iterable<PeerLiveState>): TransportStats {
  const peerStats: PeerLinkStats[] = [];
  for (const p of peers) {
    peerStats.push({
      id: p.id,
      name: p.name,
      connected: p.connected,
      inboundLinks: p.inboundLinks,
      queuedMessages: p.queuedMessages,
      queuedBytes: p.queuedBytes,
      ...p.counters,
    });
  }
  peerStats.sort((a, b) => a.id - b.id);
  return { ...counters, refusedHandshakes: { ...counters.refusedHandshakes }, peers: peerStats };
}
