/**
 * Helpers for the transport tests (not exported from the package): loopback HTTP servers that
 * route peer upgrades the way the node will, a hand-driven peer for handshake and bad-frame tests,
 * and a recorder of what a transport hands to its handlers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PEER_PROTOCOL_VERSION, type PeerHello } from '@baton/proto-schemas';
import { WebSocket } from 'ws';
import { type Message, message, type NodeId } from '../raft/types.js';
import { helloProof } from './handshake-proof.js';
import { PEER_PATH } from './peer-directory.js';
import type { Transport } from './types.js';
import type { WsTransport } from './ws-transport.js';

/** Things to close after each test, newest first. */
export class Closer {
  private readonly closers: (() => Promise<void>)[] = [];
  add(close: () => Promise<void>): void {
    this.closers.push(close);
  }
  async closeAll(): Promise<void> {
    while (this.closers.length > 0) await this.closers.pop()!();
  }
}

/** A node's HTTP server on 127.0.0.1: PEER_PATH upgrades go to the transport, anything else is refused. */
export class PeerHttpServer {
  transport: WsTransport | null = null;
  private readonly server: Server;
  port = 0;

  constructor() {
    this.server = createServer((_req, res) => res.writeHead(404).end());
    this.server.on('upgrade', (req, socket, head) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (path === PEER_PATH && this.transport !== null) this.transport.handleUpgrade(req, socket, head);
      else socket.destroy();
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens on `port` (0: any free port). */
  async listen(port = 0): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A port that was free a moment ago and has nothing listening now (for "peer is down"). */
export async function vacantPort(): Promise<number> {
  const server = await new PeerHttpServer().listen();
  const { port } = server;
  await server.close();
  return port;
}

/** Everything a transport handed to its handlers. */
export class Recorder {
  readonly batches: Message[][] = [];
  readonly unreachable: NodeId[] = [];
  readonly snapshots: [NodeId, boolean][] = [];

  constructor(transport: Transport) {
    transport.onReceive((messages) => this.batches.push(messages));
    transport.onUnreachable((peer) => this.unreachable.push(peer));
    transport.onSnapshotStatus((peer, ok) => this.snapshots.push([peer, ok]));
  }

  get messages(): Message[] {
    return this.batches.flat();
  }
}

export function heartbeat(from: NodeId, to: NodeId, commit = 0): Message {
  return message({ type: 'heartbeat', from, to, term: 1, commit });
}

export function append(from: NodeId, to: NodeId, index: number, dataBytes: number): Message {
  return message({
    type: 'app',
    from,
    to,
    term: 1,
    index: index - 1,
    logTerm: 1,
    entries: [{ term: 1, index, type: 'normal', data: new Uint8Array(dataBytes).fill(index % 256) }],
  });
}

export interface CloseEvent {
  readonly code: number;
  readonly reason: string;
}

/** A peer driven by hand: speaks the handshake with whatever fields a test wants. */
export class RawPeer {
  readonly ws: WebSocket;
  readonly closed: Promise<CloseEvent>;
  private readonly inbox: string[] = [];
  private waiter: ((text: string) => void) | null = null;

  constructor(baseUrl: string) {
    this.ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}${PEER_PATH}`);
    this.ws.on('error', () => {});
    this.closed = new Promise((resolve) =>
      this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
    );
    this.ws.on('message', (data) => {
      const text = String(data);
      if (this.waiter !== null) {
        const w = this.waiter;
        this.waiter = null;
        w(text);
      } else this.inbox.push(text);
    });
  }

  /** The next text frame, or null if the link closes first. */
  next(): Promise<string | null> {
    const queued = this.inbox.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return Promise.race([new Promise<string>((resolve) => (this.waiter = resolve)), this.closed.then(() => null)]);
  }

  /** Reads the challenge and sends a hello built from it (a valid one unless `fields` say otherwise). */
  async hello(
    fields: Partial<PeerHello> & { readonly secret?: Uint8Array; readonly raw?: string } = {},
  ): Promise<string | null> {
    const challengeText = await this.next();
    if (challengeText === null) throw new Error('closed before the challenge');
    const challenge = JSON.parse(challengeText) as { nonce: string };
    const { secret, raw, ...overrides } = fields;
    const hello: PeerHello = {
      type: 'peerHello',
      protocol: PEER_PROTOCOL_VERSION,
      clusterId: 'test-cluster',
      fromNodeName: 'n3',
      toNodeName: 'n2',
      nonce: 'ab'.repeat(16),
      ...overrides,
    };
    if (secret !== undefined && hello.proof === undefined) {
      hello.proof = helloProof(secret, {
        clusterId: hello.clusterId,
        connectorName: hello.fromNodeName,
        acceptorName: hello.toNodeName,
        challengeNonce: challenge.nonce,
        helloNonce: hello.nonce,
      });
    }
    this.ws.send(raw ?? JSON.stringify(hello));
    return this.next();
  }

  async close(): Promise<void> {
    this.ws.terminate();
    await this.closed;
  }
}
