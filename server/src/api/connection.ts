/**
 * One client WebSocket connection: every inbound frame is parsed against the wire contract
 * (bad input → a typed error, the connection stays), requests are bounded per connection, and
 * each is answered exactly once. Handlers live in handlers.ts; this file is the frame plumbing.
 */
import {
  batchWritesThisTurn,
  type ClientEvent,
  type ClientRequest,
  type ErrorCode,
  errorResponse,
  LIMITS,
  okResponse,
  parseClientFrame,
  type ServerFrame,
} from '@baton/proto-schemas';
import type { WebSocket } from 'ws';
import type { Logger } from '../node/logger.js';
import { ApiError } from './errors.js';
import type { PendingWait } from './waits.js';

/** Frames queued to a client that does not read: over this the connection is closed (1008). */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export interface ConnectionHost {
  readonly logger: Logger;
  /** Told the code of every error answer sent (metrics). */
  rejected?(code: ErrorCode): void;
  handle(conn: ClientConnection, request: ClientRequest): Promise<unknown>;
  closed(conn: ClientConnection): void;
  /** Rate limits, checked on every frame (gate.ts): a refusal is answered RESOURCE_EXHAUSTED. */
  admitFrame?(conn: ClientConnection): { readonly message: string; readonly retryAfterMs: number } | null;
}

export class ClientConnection {
  clientId: string | null = null;
  /** Sessions whose events this connection receives (opened here or kept alive here). */
  readonly sessions = new Set<number>();
  readonly observes = new Set<string>();
  readonly waits = new Map<string, PendingWait>();
  private readonly inflight = new Set<string>();
  private open = true;

  constructor(
    readonly socket: WebSocket,
    private readonly host: ConnectionHost,
    readonly remote: string,
  ) {
    socket.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    socket.on('close', () => this.onClose());
    socket.on('error', (err) => {
      // ws reports oversize frames (it then closes with 1009) and protocol errors here
      this.host.logger.debug({ err: err.message, remote }, 'client socket error');
    });
  }

  get isOpen(): boolean {
    return this.open;
  }

  push(e: ClientEvent): void {
    this.send(e);
  }

  close(code: number, reason: string): void {
    if (!this.open) return;
    this.socket.close(code, reason);
  }

  private onFrame(data: unknown, isBinary: boolean): void {
    if (!this.open) return;
    if (isBinary) {
      this.send(errorResponse(null, 'INVALID_ARGUMENT', 'frames must be JSON text, not binary', { field: 'frame' }));
      return;
    }
    const text = Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Array.isArray(data)
        ? Buffer.concat(data as Buffer[]).toString('utf8')
        : Buffer.from(data as ArrayBuffer).toString('utf8');
    const parsed = parseClientFrame(text);
    const refusal = this.host.admitFrame?.(this) ?? null;
    if (refusal !== null) {
      const id = parsed.ok ? parsed.request.id : parsed.id;
      this.send(errorResponse(id, 'RESOURCE_EXHAUSTED', refusal.message, { retryAfterMs: refusal.retryAfterMs }));
      return;
    }
    if (!parsed.ok) {
      this.send(errorResponse(parsed.id, parsed.error.code, parsed.error.message, parsed.error));
      return;
    }
    const request = parsed.request;
    if (this.inflight.has(request.id)) {
      this.send(
        errorResponse(request.id, 'INVALID_ARGUMENT', 'a request with this id is still pending', { field: 'id' }),
      );
      return;
    }
    if (this.inflight.size >= LIMITS.maxInflightRequestsPerConnection) {
      this.send(
        errorResponse(
          request.id,
          'RESOURCE_EXHAUSTED',
          `at most ${LIMITS.maxInflightRequestsPerConnection} requests may be pending on one connection`,
        ),
      );
      return;
    }
    if (this.clientId === null && request.type !== 'hello') {
      this.send(errorResponse(request.id, 'INVALID_ARGUMENT', 'the first request must be hello', { field: 'type' }));
      return;
    }
    this.inflight.add(request.id);
    this.host.handle(this, request).then(
      (result) => this.answer(request.id, () => okResponse(request.id, result as never)),
      (err: unknown) => this.answer(request.id, () => toErrorFrame(request.id, err, this.host.logger)),
    );
  }

  private answer(id: string, frame: () => ServerFrame): void {
    this.inflight.delete(id);
    this.send(frame());
  }

  private send(frame: ServerFrame): void {
    if (!this.open) return;
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.host.logger.warn({ remote: this.remote }, 'client does not read its frames: closing');
      this.socket.close(1008, 'too many unread frames');
      return;
    }
    if (frame.type === 'response' && !frame.ok) this.host.rejected?.(frame.error.code);
    batchWritesThisTurn(this.socket);
    this.socket.send(JSON.stringify(frame));
  }

  private onClose(): void {
    if (!this.open) return;
    this.open = false;
    this.host.closed(this);
  }
}

function toErrorFrame(id: string, err: unknown, logger: Logger): ServerFrame {
  if (err instanceof ApiError) return errorResponse(id, err.code, err.message, err.extras);
  logger.error({ err }, 'request handler failed');
  return errorResponse(id, 'INTERNAL', 'internal error; the request may or may not have taken effect');
}
