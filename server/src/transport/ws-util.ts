/** Small helpers over `ws` shared by the inbound and outbound links. */
import { WebSocket } from 'ws';

/** How long a closing link may take to finish the WebSocket closing handshake before it is cut. */
export const CLOSE_GRACE_MS = 1_000;

/** WebSocket close reasons are limited to 123 bytes of UTF-8. */
const MAX_CLOSE_REASON_BYTES = 123;

/** A `ws` message payload as one Buffer (binaryType stays 'nodebuffer', so this is the payload itself). */
export function payloadBytes(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** A promise settled when `ws` has closed (already settled if it has). */
export function whenClosed(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => ws.once('close', () => resolve()));
}

/**
 * Starts the closing handshake, and cuts the connection if the other side does not answer within
 * CLOSE_GRACE_MS. Resolves once the socket is closed.
 */
export function closeGracefully(ws: WebSocket, code: number, reason: string): Promise<void> {
  const closed = whenClosed(ws);
  if (ws.readyState === WebSocket.CLOSED) return closed;
  const timer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
  closed.then(() => clearTimeout(timer));
  ws.close(code, truncateReason(reason));
  return closed;
}

function truncateReason(reason: string): string {
  let text = reason;
  while (Buffer.byteLength(text) > MAX_CLOSE_REASON_BYTES) text = text.slice(0, -1);
  return text;
}
