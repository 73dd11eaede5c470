/** Peer transport: WebSocket links between nodes, and an in-memory network for runtime tests. */
export { reconnectDelayMs } from './backoff.js';
export { TransportConfigError, type TransportConfigErrorCode } from './errors.js';
export { InMemoryNetwork, type InMemoryNetworkOptions, InMemoryTransport } from './in-memory.js';
export {
  MIN_FRAME_BYTES,
  MIN_PEER_SECRET_BYTES,
  type ResolvedWsTransportOptions,
  resolveWsTransportOptions,
  WS_TRANSPORT_DEFAULTS,
  type WsTransportOptions,
} from './options.js';
export { PEER_PATH, peerEndpoint } from './peer-directory.js';
export type {
  HandshakeRefusal,
  PeerAddress,
  PeerLinkStats,
  Transport,
  TransportLogger,
  TransportStats,
} from './types.js';
export { SILENT_LOGGER } from './types.js';
export { MAX_PENDING_HANDSHAKES, WsTransport } from './ws-transport.js';
