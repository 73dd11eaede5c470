/**
 * A scripted Baton server for SDK unit tests: a real `ws` server on 127.0.0.1 (port chosen by the
 * OS) that parses every frame with the server's own parser and answers per script. A script sees
 * each request and returns an answer, 'hold' (answer later with `respond`), 'drop' (close the
 * connection without answering), or undefined for the default answer. Tests wait for requests
 * with `take`, which resolves on arrival: no sleeps.
 */
import type { AddressInfo } from 'node:net';
import {
  type ClientEvent,
  type ClientRequest,
  type ClientResult,
  type ErrorCode,
  errorResponse,
  okResponse,
  parseClientFrame,
  type RequestType,
} from '@baton/proto-schemas';
import { type WebSocket, WebSocketServer } from 'ws';

export type Reply =
  | { readonly ok: Record<string, unknown> }
  | {
      readonly error: ErrorCode;
      readonly message?: string;
      readonly leaderHint?: string;
      readonly retryAfterMs?: number;
    }
  | 'hold'
  | 'drop';

export type Script = (request: Received) => Reply | undefined;

export class FakeConnection {
  clientId: string | null = null;
  closed = false;

  constructor(
    readonly id: number,
    readonly ws: WebSocket,
  ) {
    ws.on('close', () => {
      this.closed = true;
    });
  }

  push(event: ClientEvent): void {
    if (!this.closed) this.ws.send(JSON.stringify(event));
  }

  /** An abrupt end, as when the node dies. */
  drop(): void {
    this.ws.terminate();
  }
}

export class Received {
  answered = false;

  constructor(
    readonly server: FakeServer,
    readonly conn: FakeConnection,
    readonly request: ClientRequest,
  ) {}

  get type(): RequestType {
    return this.request.type;
  }

  /** The request's fields, typed loosely for assertions. */
  get fields(): Record<string, unknown> {
    return this.request as unknown as Record<string, unknown>;
  }

  respond(reply: Reply): void {
    if (this.answered || reply === 'hold') return;
    this.answered = true;
    if (reply === 'drop') {
      this.conn.drop();
      return;
    }
    if (this.conn.closed) return;
    const frame =
      'ok' in reply
        ? okResponse(this.request.id, reply.ok as ClientResult)
        : errorResponse(this.request.id, reply.error, reply.message ?? reply.error, {
            leaderHint: reply.leaderHint,
            retryAfterMs: reply.retryAfterMs,
          });
    this.conn.ws.send(JSON.stringify(frame));
  }
}

interface Waiter {
  readonly pred: (r: Received) => boolean;
  readonly resolve: (r: Received) => void;
}

export class FakeServer {
  readonly requests: Received[] = [];
  readonly connections: FakeConnection[] = [];
  /** Frames the server's parser refused (the SDK must never send one). */
  readonly invalid: string[] = [];
  script: Script = () => undefined;
  /** Sent in every hello answer when set (the leader's client URL). */
  leaderHint: string | undefined;
  private readonly taken = new Set<Received>();
  private readonly waiters: Waiter[] = [];
  private readonly connectionWaiters: ((c: FakeConnection) => void)[] = [];
  private nextToken = 100;
  private nextSessionId = 1;
  private nextConnId = 1;

  private constructor(
    private readonly wss: WebSocketServer,
    readonly port: number,
    readonly nodeId: string,
  ) {
    wss.on('connection', (ws) => this.accept(ws));
  }

  /** `autoPong: false` makes a node that never answers pings (a stuck process). */
  static async start(nodeId = 'fake', options: { autoPong?: boolean } = {}): Promise<FakeServer> {
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      path: '/v1/client',
      autoPong: options.autoPong ?? true,
    });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    return new FakeServer(wss, (wss.address() as AddressInfo).port, nodeId);
  }

  /** The endpoint as users write it. */
  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  get clientUrl(): string {
    return `${this.url}/v1/client`;
  }

  /** The first request matching `pred` not taken before (already received or the next to come). */
  take(pred: (r: Received) => boolean): Promise<Received> {
    const found = this.requests.find((r) => !this.taken.has(r) && pred(r));
    if (found !== undefined) {
      this.taken.add(found);
      return Promise.resolve(found);
    }
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  takeType(type: RequestType): Promise<Received> {
    return this.take((r) => r.type === type);
  }

  /** Every received request of `type`, taken or not. */
  all(type: RequestType): Received[] {
    return this.requests.filter((r) => r.type === type);
  }

  /** The next connection to open (or the newest one, if `existing` and there is one). */
  nextConnection(): Promise<FakeConnection> {
    return new Promise((resolve) => this.connectionWaiters.push(resolve));
  }

  get openConnections(): FakeConnection[] {
    return this.connections.filter((c) => !c.closed);
  }

  dropAll(): void {
    for (const c of this.connections) c.drop();
  }

  async stop(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  /** The answer a real server would give when nothing special is scripted. */
  defaultReply(r: Received): Reply {
    const q = r.request;
    switch (q.type) {
      case 'hello':
        return {
          ok: {
            protocolVersion: 1,
            nodeId: this.nodeId,
            serverVersion: 'fake',
            ...(this.leaderHint === undefined ? {} : { leaderHint: this.leaderHint }),
          },
        };
      case 'session.open':
        return { ok: { sessionId: String(this.nextSessionId++), ttlMs: q.ttlMs } };
      case 'session.keepalive':
        return { ok: { ttlMs: 10_000, remainingMs: 10_000 } };
      case 'lock.acquire':
        return { ok: { acquired: true, token: this.nextToken++, generation: 1 } };
      case 'election.campaign':
        return { ok: { term: this.nextToken++ } };
      case 'lock.cancel':
        return { ok: { cancelled: false } };
      case 'lock.describe':
        return {
          ok: {
            name: q.name,
            kind: 'none',
            limit: 0,
            generation: 0,
            holders: [],
            waiters: [],
            lockDelayRemainingMs: 0,
          },
        };
      case 'lock.fenceCheck':
        return { ok: { current: false, newestToken: null } };
      case 'election.leader':
      case 'election.observe':
        return { ok: { leader: null } };
      case 'status':
        return {
          ok: {
            nodeId: this.nodeId,
            role: 'leader',
            leaderId: this.nodeId,
            leaderClientUrl: this.clientUrl,
            term: 1,
            commitIndex: 1,
            appliedIndex: 1,
            members: [{ id: this.nodeId, clientUrl: this.clientUrl, role: 'voter' }],
          },
        };
      default:
        return { ok: {} };
    }
  }

  /** Like a real server: a closed session's held waits end SESSION_EXPIRED. */
  private endSession(sessionId: string): void {
    for (const r of this.requests) {
      if (!r.answered && r.fields.sessionId === sessionId) r.respond({ error: 'SESSION_EXPIRED' });
    }
  }

  private accept(ws: WebSocket): void {
    const conn = new FakeConnection(this.nextConnId++, ws);
    this.connections.push(conn);
    for (const w of this.connectionWaiters.splice(0)) w(conn);
    ws.on('message', (data) => {
      const text = data.toString();
      const parsed = parseClientFrame(text);
      if (!parsed.ok) {
        this.invalid.push(text);
        ws.send(JSON.stringify(errorResponse(parsed.id, parsed.error.code, parsed.error.message)));
        return;
      }
      const received = new Received(this, conn, parsed.request);
      if (parsed.request.type === 'hello') conn.clientId = parsed.request.clientId;
      this.requests.push(received);
      const reply = this.script(received) ?? this.defaultReply(received);
      received.respond(reply);
      if (parsed.request.type === 'session.close' && received.answered) this.endSession(parsed.request.sessionId);
      const at = this.waiters.findIndex((w) => w.pred(received));
      if (at >= 0) {
        const [w] = this.waiters.splice(at, 1);
        this.taken.add(received);
        w!.resolve(received);
      }
    });
  }
}
