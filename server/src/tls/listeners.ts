/**
 * The node's listeners. The client listener is HTTP, or HTTPS with `--tls-cert` (and asks for
 * client certificates signed by `--tls-ca` when given). The peer listener (`--peer-listen`)
 * serves `/v1/peer` upgrades, and the plain requests `requests` answers (`/v1/status`); with `--peer-tls-*` it is mutual TLS: a peer that presents no
 * certificate, or one not signed by the peer CA, fails the TLS handshake and never reaches the
 * transport (whose HMAC handshake still runs on top when `--peer-secret` is set).
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Logger } from '../node/logger.js';
import type { PeerTlsMaterial } from '../node/security-config.js';
import { PEER_PATH } from '../transport/peer-directory.js';
import type { TlsMaterial } from './material.js';

/** The caller adds its 'request' and 'upgrade' handlers. */
export function createClientListener(tls: TlsMaterial | null, logger: Logger): Server {
  if (tls === null) return createHttpServer();
  const clientCerts = tls.ca === null ? {} : { ca: tls.ca, requestCert: true, rejectUnauthorized: true };
  const server = createHttpsServer({ cert: tls.cert, key: tls.key, ...clientCerts });
  server.on('tlsClientError', (err: Error, socket: { remoteAddress?: string }) => {
    // a plaintext client, an untrusted client certificate, a scanner: its problem, not the node's
    logger.debug({ remote: socket.remoteAddress, err: err.message }, 'client TLS handshake failed');
  });
  return server;
}

export interface PeerUpgradeHandler {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export function createPeerListener(
  tls: PeerTlsMaterial | null,
  transport: PeerUpgradeHandler,
  logger: Logger,
  requests: RequestListener = notFound,
): Server {
  const server =
    tls === null
      ? createHttpServer(requests)
      : createHttpsServer(
          { cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: true },
          requests,
        );
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((req.url ?? '/').split('?')[0] === PEER_PATH) transport.handleUpgrade(req, socket, head);
    else socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  });
  if (tls !== null) {
    server.on('tlsClientError', (err: Error, socket: { remoteAddress?: string }) => {
      logger.warn(
        { remote: socket.remoteAddress, err: err.message },
        'peer refused: TLS handshake failed (no certificate, or one not signed by --peer-tls-ca)',
      );
    });
  }
  return server;
}

function notFound(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
}
