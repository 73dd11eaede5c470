/**
 * One WebSocket connection to one node: the hello handshake, request/answer matching by id,
 * pushed events, and a ping heartbeat that replaces a connection whose node stopped answering
 * (a paused process keeps its TCP connections open). Reconnecting is the Channel's job.
 */
import {
  batchWritesThisTurn,
  type ClientEvent,
  type ClientResponse,
  type HelloResult,
  PROTOCOL_VERSION,
  parseResult,
  parseServerFrame,
} from '@baton/proto-schemas';
import WebSocket from 'ws';
import { BatonError } from './errors.js';
import type { TlsOptions } from './options.js';

/**
 * Answers may be large (a describe of a name with 10 000 waiters and their metadata is ~12 MB):
 * the inbound cap only guards against a runaway peer, well above any valid frame.
 */
export const MAX_INBOUND_FRAME_BYTES = 32 * 1024 * 1024;

/** `null` when the connection closed before the answer came. */
export type AnswerHandler = (answer: ClientResponse | null) => void;

export interface ConnectionConfig {
  readonly clientId: string;
  readonly token: string | undefined;
  readonly tls: TlsOptions | undefined;
  readonly connectTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
}

export interface ConnectionHandlers {
  onEvent(event: ClientEvent, conn: Connection): void;
  onClose(conn: Connection, reason: BatonError): void;
}

export class Connection {
  /** NOT_LEADER/UNAVAILABLE answers in a row; the Channel moves on after a few. */
  unavailableStreak = 0;
  private readonly pending = new Map<string, AnswerHandler>();
  private nextRequestNumber = 0;
  private open = true;
  private awaitingPong = false;
  private heartbeat: ReturnType<typeof setInterval> | null = null;

  private constructor(
    readonly url: string,
    private readonly ws: WebSocket,
    readonly hello: HelloResult,
    private readonly handlers: ConnectionHandlers,
  ) {}

  /** Opens the socket and says hello; rejects UNAVAILABLE (or the hello's error code). */
  static open(url: string, config: ConnectionConfig, handlers: ConnectionHandlers): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {
        handshakeTimeout: config.connectTimeoutMs,
        maxPayload: MAX_INBOUND_FRAME_BYTES,
        perMessageDeflate: false,
        ...(config.tls ?? {}),
      });
      let settled = false;
      const fail = (err: BatonError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new BatonError('UNAVAILABLE', `${url}: no hello answer within ${config.connectTimeoutMs} ms`)),
        config.connectTimeoutMs,
      );
      ws.on('error', (err) => fail(new BatonError('UNAVAILABLE', `${url}: ${err.message}`, { cause: err })));
      ws.on('close', (code) => fail(new BatonError('UNAVAILABLE', `${url}: closed (${code}) before hello`)));
      ws.on('open', () => {
        const id = 'hello';
        ws.send(
          JSON.stringify({
            v: PROTOCOL_VERSION,
            id,
            type: 'hello',
            clientId: config.clientId,
            ...(config.token === undefined ? {} : { token: config.token }),
          }),
        );
        ws.once('message', (data) => {
          const frame = parseServerFrame(rawText(data));
          if (!frame.ok) return fail(BatonError.fromBody(frame.error));
          if (frame.frame.type !== 'response' || frame.frame.id !== id) {
            return fail(new BatonError('INTERNAL', `${url}: the first frame was not the hello answer`));
          }
          if (!frame.frame.ok) return fail(BatonError.fromBody(frame.frame.error));
          const hello = parseResult('hello', frame.frame.result);
          if (!hello.ok) return fail(BatonError.fromBody(hello.error));
          settled = true;
          clearTimeout(timer);
          ws.removeAllListeners();
          const conn = new Connection(url, ws, hello.result, handlers);
          conn.attach(config.heartbeatIntervalMs);
          resolve(conn);
        });
      });
    });
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Requests sent here and not yet answered (the server's per-connection in-flight count). */
  get inflight(): number {
    return this.pending.size;
  }

  nextRequestId(): string {
    this.nextRequestNumber += 1;
    return `r${this.nextRequestNumber}`;
  }

  /** Sends one request frame; `onAnswer` runs once, with the answer or null if the connection ends first. */
  send(requestId: string, text: string, onAnswer: AnswerHandler): void {
    if (!this.open) {
      onAnswer(null);
      return;
    }
    this.pending.set(requestId, onAnswer);
    batchWritesThisTurn(this.ws);
    this.ws.send(text);
  }

  /** Ends the connection now (its pending requests get `null`); `graceful` sends a close frame. */
  shutdown(reason: BatonError, graceful = false): void {
    if (!this.open) return;
    this.open = false;
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.ws.removeAllListeners();
    this.ws.on('error', () => {});
    if (graceful) this.ws.close(1000, 'client closing');
    else this.ws.terminate();
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const answer of pending) answer(null);
    this.handlers.onClose(this, reason);
  }

  private attach(heartbeatIntervalMs: number): void {
    this.ws.on('message', (data, isBinary) => {
      this.awaitingPong = false;
      if (!isBinary) this.onFrame(rawText(data));
    });
    this.ws.on('pong', () => {
      this.awaitingPong = false;
    });
    this.ws.on('error', () => {
      // 'close' follows and carries the outcome
    });
    this.ws.on('close', (code, reason) =>
      this.shutdown(new BatonError('UNAVAILABLE', `${this.url}: connection closed (${code} ${reason.toString()})`)),
    );
    this.heartbeat = setInterval(() => {
      if (this.awaitingPong) {
        this.shutdown(
          new BatonError('UNAVAILABLE', `${this.url}: no answer to a ping within ${heartbeatIntervalMs} ms`),
        );
        return;
      }
      this.awaitingPong = true;
      this.ws.ping();
    }, heartbeatIntervalMs);
  }

  private onFrame(text: string): void {
    const parsed = parseServerFrame(text);
    if (!parsed.ok) {
      // a frame that breaks the contract: fail the request it answers, if it names one
      if (parsed.id !== null)
        this.answer(parsed.id, { type: 'response', id: parsed.id, ok: false, error: parsed.error });
      return;
    }
    const frame = parsed.frame;
    if (frame.type === 'event') {
      this.handlers.onEvent(frame, this);
      return;
    }
    if (frame.id !== null) this.answer(frame.id, frame);
  }

  private answer(id: string, frame: ClientResponse): void {
    const handler = this.pending.get(id);
    if (handler === undefined) return;
    this.pending.delete(id);
    handler(frame);
  }
}

function rawText(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
