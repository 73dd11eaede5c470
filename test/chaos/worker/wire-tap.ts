/**
 * Listens to every client frame the SDK sends and receives, without changing any. The SDK hides
 * some answers on purpose (a release answered NOT_HOLDER resolves like a successful one; a
 * session's close after a loss runs in the background), but a history must say exactly what the
 * server answered — so the worker reads them off the wire. Works by wrapping `send` and `emit`
 * of the `ws` WebSocket class the SDK uses (the one copy in the repository's node_modules).
 */
import WebSocket from 'ws';

export type Frame = Record<string, unknown>;

export interface WireListener {
  sent(socket: WebSocket, frame: Frame): void;
  received(socket: WebSocket, frame: Frame): void;
}

let installed = false;

export function installWireTap(listener: WireListener): void {
  if (installed) throw new Error('the wire tap is installed once per process');
  installed = true;
  const proto = WebSocket.prototype as unknown as {
    send: (this: WebSocket, data: unknown, ...rest: unknown[]) => void;
    emit: (this: WebSocket, event: string | symbol, ...args: unknown[]) => boolean;
  };
  const send = proto.send;
  proto.send = function tappedSend(this: WebSocket, data: unknown, ...rest: unknown[]): void {
    if (typeof data === 'string') {
      const frame = parse(data);
      if (frame !== null) listener.sent(this, frame);
    }
    send.call(this, data, ...rest);
  };
  const emit = proto.emit;
  proto.emit = function tappedEmit(this: WebSocket, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'message') {
      const data = args[0];
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : typeof data === 'string' ? data : null;
      const frame = text === null ? null : parse(text);
      if (frame !== null) listener.received(this, frame);
    }
    return emit.call(this, event, ...args);
  };
}

function parse(text: string): Frame | null {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Frame) : null;
  } catch {
    return null;
  }
}
