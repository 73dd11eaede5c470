/**
 * A fault-injecting TCP proxy for ONE directed peer link: node `from` dials node `to` through it
 * (from's `--peers` entry for `to` points here). Baton's peer transport sends a node's Raft
 * messages only on the link it dialed (server/src/transport/outbound-link.ts), so everything
 * `from` says to `to` crosses this proxy and nothing `to` says to `from` does (that goes through
 * the proxy of the opposite direction): faulting this proxy is a one-way fault from → to.
 *
 * Modes:
 * - `pass`: bytes flow (after the configured delay, order kept);
 * - `drop`: a blackhole — bytes in either direction are swallowed and new connections are
 *   accepted but never reach the target, as when packets vanish; once healed, the connections
 *   that lost bytes are reset (their streams have holes: a real TCP connection would have
 *   timed out or been reset as well);
 * - `cut`: every connection is reset now and new ones are reset at once (connection refused).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { HOST } from '../../cluster/harness.js';
import { monotonicMs } from '../clock.js';

export type LinkMode = 'pass' | 'drop' | 'cut';

/** Added latency of a link: every chunk waits delayMs plus up to jitterMs, in order. */
export interface LinkDelay {
  readonly delayMs: number;
  readonly jitterMs: number;
}

const NO_DELAY: LinkDelay = { delayMs: 0, jitterMs: 0 };

/** One accepted connection and its upstream. */
interface Pipe {
  readonly client: Socket;
  upstream: Socket | null;
  /** Bytes were swallowed while in `drop` mode: the stream is broken, reset it on heal. */
  tainted: boolean;
  /** When the last delayed chunk of each direction is due (keeps chunks in order). */
  dueUpMs: number;
  dueDownMs: number;
}

export class LinkProxy {
  private modeNow: LinkMode = 'pass';
  private delayNow: LinkDelay = NO_DELAY;
  private readonly pipes = new Set<Pipe>();
  private closed = false;
  /** Bytes swallowed in `drop` mode so far. */
  droppedBytes = 0;

  private constructor(
    readonly from: string,
    readonly to: string,
    private readonly server: Server,
    readonly port: number,
    private readonly targetPort: number,
    private readonly random: () => number,
  ) {
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Listens on a free loopback port; `random` draws the jitter (seeded by the caller). */
  static async start(from: string, to: string, targetPort: number, random: () => number): Promise<LinkProxy> {
    const server = createServer({ noDelay: true });
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, HOST, () => {
        const addr = server.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : 0);
      });
    });
    return new LinkProxy(from, to, server, port, targetPort, random);
  }

  get mode(): LinkMode {
    return this.modeNow;
  }

  get delay(): LinkDelay {
    return this.delayNow;
  }

  /** The peer URL `from` uses for `to`. */
  get peerUrl(): string {
    return `http://${HOST}:${this.port}`;
  }

  setMode(mode: LinkMode): void {
    const before = this.modeNow;
    this.modeNow = mode;
    if (mode === 'cut') {
      for (const pipe of [...this.pipes]) this.reset(pipe);
    } else if (mode === 'pass' && before === 'drop') {
      for (const pipe of [...this.pipes]) if (pipe.tainted || pipe.upstream === null) this.reset(pipe);
    }
  }

  setDelay(delay: LinkDelay): void {
    this.delayNow = delay;
  }

  /** Back to a clean link: pass, no delay. */
  heal(): void {
    this.setDelay(NO_DELAY);
    this.setMode('pass');
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pipe of [...this.pipes]) this.reset(pipe);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.closed || this.modeNow === 'cut') {
      client.resetAndDestroy();
      return;
    }
    const pipe: Pipe = { client, upstream: null, tainted: false, dueUpMs: 0, dueDownMs: 0 };
    this.pipes.add(pipe);
    client.setNoDelay(true);
    client.on('error', () => this.reset(pipe));
    client.on('close', () => this.reset(pipe));
    client.on('data', (chunk: Buffer) => {
      if (this.modeNow !== 'pass' || pipe.upstream === null) {
        pipe.tainted = true;
        this.droppedBytes += chunk.length;
        return;
      }
      this.forward(pipe, chunk, 'up');
    });
    // a blackholed connection never reaches the target: the dialer waits, as for a lost SYN
    if (this.modeNow === 'drop') return;
    this.connectUpstream(pipe);
  }

  private connectUpstream(pipe: Pipe): void {
    const upstream = createConnection({ host: HOST, port: this.targetPort, noDelay: true });
    pipe.upstream = upstream;
    upstream.on('error', () => this.reset(pipe));
    upstream.on('close', () => this.reset(pipe));
    upstream.on('data', (chunk: Buffer) => {
      if (this.modeNow !== 'pass') {
        pipe.tainted = true;
        this.droppedBytes += chunk.length;
        return;
      }
      this.forward(pipe, chunk, 'down');
    });
  }

  private forward(pipe: Pipe, chunk: Buffer, direction: 'up' | 'down'): void {
    const target = direction === 'up' ? pipe.upstream : pipe.client;
    if (target === null) return;
    const { delayMs, jitterMs } = this.delayNow;
    if (delayMs === 0 && jitterMs === 0 && (direction === 'up' ? pipe.dueUpMs : pipe.dueDownMs) <= monotonicMs()) {
      target.write(chunk);
      return;
    }
    // order is kept: a chunk is never due before the one ahead of it
    const now = monotonicMs();
    const previous = direction === 'up' ? pipe.dueUpMs : pipe.dueDownMs;
    const due = Math.max(now + delayMs + Math.floor(this.random() * (jitterMs + 1)), previous);
    if (direction === 'up') pipe.dueUpMs = due;
    else pipe.dueDownMs = due;
    setTimeout(() => {
      if (!target.destroyed) target.write(chunk);
    }, due - now);
  }

  private reset(pipe: Pipe): void {
    if (!this.pipes.delete(pipe)) return;
    if (!pipe.client.destroyed) pipe.client.resetAndDestroy();
    if (pipe.upstream !== null && !pipe.upstream.destroyed) pipe.upstream.resetAndDestroy();
  }
}
