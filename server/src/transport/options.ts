/** WsTransport options: defaults live here and nowhere else, validated once at construction. */
import { isValidPeerName, LIMITS, MAX_PEER_BATCH_MESSAGES } from '@baton/proto-schemas';
import type { NodeId } from '../raft/types.js';
import { TransportConfigError } from './errors.js';
import { SILENT_LOGGER, type TransportLogger } from './types.js';

export interface WsTransportOptions {
  /** This node's name, as its peers know it (`n1`). */
  readonly selfName: string;
  /** This node's Raft id. */
  readonly selfId: NodeId;
  /** Links between nodes of different clusters are refused. */
  readonly clusterId: string;
  /**
   * Shared secret of the cluster's nodes: when set, both sides of every link prove they know it
   * (HMAC-SHA256 challenge-response, see handshake.ts). At least MIN_PEER_SECRET_BYTES bytes.
   */
  readonly peerSecret?: string | Uint8Array;
  /**
   * Mutual TLS on outbound links (`wss://` peer URLs): this node's certificate and key are
   * presented, and the peer's certificate must be signed by `ca` (and name the peer URL's host).
   */
  readonly tls?: PeerTlsOptions;
  /** Messages queued per peer; over it the oldest are dropped. */
  readonly maxQueueMessages?: number;
  /** Encoded bytes queued per peer; over it the oldest are dropped. At least maxFrameBytes. */
  readonly maxQueueBytes?: number;
  /** Largest frame sent or accepted (inbound: the WebSocket maxPayload; over it the link closes with 1009). */
  readonly maxFrameBytes?: number;
  /** Bytes written to a peer's socket and not yet flushed; over it, messages wait in the queue. */
  readonly maxInflightBytes?: number;
  /** First reconnect delay after a link drops; later ones double, with jitter, up to the max. */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  /** A link that has not finished its handshake by then is closed. */
  readonly handshakeTimeoutMs?: number;
  readonly logger?: TransportLogger;
  /** Uniform in [0, 1): the reconnect jitter. Tests pass a seeded one. */
  readonly random?: () => number;
}

export interface PeerTlsOptions {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer;
}

export type ResolvedWsTransportOptions = Required<Omit<WsTransportOptions, 'peerSecret' | 'tls'>> & {
  readonly peerSecret: Uint8Array | null;
  /** Replaced by a certificate reload (WsTransport.setTls); each outbound link reads it when it dials. */
  tls: PeerTlsOptions | null;
};

/** A shorter secret is too easy to guess offline from one recorded handshake. */
export const MIN_PEER_SECRET_BYTES = 16;

export const WS_TRANSPORT_DEFAULTS = Object.freeze({
  maxQueueMessages: 4_096,
  maxQueueBytes: LIMITS.maxPeerFrameBytes,
  maxFrameBytes: LIMITS.maxPeerFrameBytes,
  maxInflightBytes: 8 * 1024 * 1024,
  reconnectMinMs: 100,
  reconnectMaxMs: 5_000,
  handshakeTimeoutMs: 5_000,
});

/** The smallest frame limit that still carries a useful batch. */
export const MIN_FRAME_BYTES = 1_024;

function fail(message: string): never {
  throw new TransportConfigError('INVALID_OPTIONS', message);
}

function positiveInteger(value: number, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) fail(`${name} must be an integer in 1..${max}`);
  return value;
}

export function resolveWsTransportOptions(options: WsTransportOptions): ResolvedWsTransportOptions {
  // an option passed as undefined takes its default (a spread would let undefined override it)
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as WsTransportOptions;
  const { peerSecret, tls, ...rest } = given;
  const r: ResolvedWsTransportOptions = {
    ...WS_TRANSPORT_DEFAULTS,
    logger: SILENT_LOGGER,
    random: Math.random,
    ...rest,
    peerSecret: peerSecret === undefined ? null : toBytes(peerSecret),
    tls: tls ?? null,
  };
  positiveInteger(r.selfId, 'selfId');
  if (!isValidPeerName(r.selfName)) fail('selfName must be 1..128 printable ASCII characters without spaces');
  if (!isValidPeerName(r.clusterId)) fail('clusterId must be 1..128 printable ASCII characters without spaces');
  if (r.peerSecret !== null && r.peerSecret.byteLength < MIN_PEER_SECRET_BYTES) {
    fail(`peerSecret must be at least ${MIN_PEER_SECRET_BYTES} bytes`);
  }
  positiveInteger(r.maxQueueMessages, 'maxQueueMessages', 16 * MAX_PEER_BATCH_MESSAGES);
  positiveInteger(r.maxFrameBytes, 'maxFrameBytes', LIMITS.maxPeerFrameBytes);
  if (r.maxFrameBytes < MIN_FRAME_BYTES) fail(`maxFrameBytes must be at least ${MIN_FRAME_BYTES}`);
  positiveInteger(r.maxQueueBytes, 'maxQueueBytes');
  if (r.maxQueueBytes < r.maxFrameBytes) fail('maxQueueBytes must be at least maxFrameBytes');
  positiveInteger(r.maxInflightBytes, 'maxInflightBytes');
  positiveInteger(r.reconnectMinMs, 'reconnectMinMs');
  positiveInteger(r.reconnectMaxMs, 'reconnectMaxMs');
  if (r.reconnectMaxMs < r.reconnectMinMs) fail('reconnectMaxMs must be at least reconnectMinMs');
  positiveInteger(r.handshakeTimeoutMs, 'handshakeTimeoutMs');
  return r;
}

function toBytes(secret: string | Uint8Array): Uint8Array {
  return typeof secret === 'string' ? new TextEncoder().encode(secret) : Uint8Array.from(secret);
}
