/**
 * Real-process test harness: starts `baton-server` processes on loopback with ports chosen free
 * at run time and data in fresh temp directories, speaks the client protocol with a plain `ws`
 * client, and cleans every process and directory up (also when a test fails).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';

/** The built server binary, found from the repository root (works from sources and from test/dist). */
export const SERVER_BIN = join(repoRoot(), 'server', 'dist', 'bin', 'baton-server.js');

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 10; i++) {
    if (existsSync(join(dir, 'server', 'package.json')) && existsSync(join(dir, 'test', 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the repository root above the test harness');
}
export const HOST = '127.0.0.1';

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `check` every `intervalMs` until it returns a value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | null | undefined> | T | null | undefined,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== null && v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface NodeStatus {
  readonly name: string;
  readonly role: string;
  readonly leader: string | null;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
}

export class ServerProcess {
  proc: ChildProcess | null = null;
  output = '';

  constructor(
    readonly name: string,
    readonly port: number,
    readonly dataDir: string,
    private readonly args: readonly string[],
  ) {}

  get clientUrl(): string {
    return `ws://${HOST}:${this.port}/v1/client`;
  }

  start(): void {
    if (this.proc !== null) throw new Error(`${this.name} is already running`);
    const proc = spawn(process.execPath, [SERVER_BIN, ...this.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => {
      // keep the tail only: enough to explain a failure
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.on('exit', () => {
      if (this.proc === proc) this.proc = null;
    });
    this.proc = proc;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  /** Sends `signal` and waits for the process to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.proc;
    if (proc === null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill(signal);
    await exited;
  }

  async status(): Promise<NodeStatus | null> {
    return httpJson<NodeStatus>(this.port, '/v1/status');
  }
}

export class TestCluster {
  private constructor(
    readonly nodes: ServerProcess[],
    private readonly root: string,
  ) {}

  /** Starts `size` nodes and waits until all of them agree on a leader. */
  static async start(size = 3, extraArgs: readonly string[] = []): Promise<TestCluster> {
    const root = mkdtempSync(join(tmpdir(), 'baton-cluster-'));
    const ports: number[] = [];
    while (ports.length < size) {
      const p = await freePort();
      if (!ports.includes(p)) ports.push(p);
    }
    const names = ports.map((_, i) => `n${i + 1}`);
    const peers = names.map((n, i) => `${n}=http://${HOST}:${ports[i]}`).join(',');
    const nodes = names.map((name, i) => {
      const dataDir = join(root, name);
      const args = [
        '--id',
        name,
        '--listen',
        `${HOST}:${ports[i]}`,
        '--peers',
        peers,
        '--data-dir',
        dataDir,
        '--log-level',
        'warn',
        ...extraArgs,
      ];
      return new ServerProcess(name, ports[i] as number, dataDir, args);
    });
    const cluster = new TestCluster(nodes, root);
    for (const n of nodes) n.start();
    try {
      await cluster.waitForLeader();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  node(name: string): ServerProcess {
    const n = this.nodes.find((x) => x.name === name);
    if (n === undefined) throw new Error(`no node ${name}`);
    return n;
  }

  /** Waits until every running node names the same leader, which says it leads; returns it. */
  async waitForLeader(timeoutMs = 20_000): Promise<ServerProcess> {
    return waitFor(
      'a leader all running nodes agree on',
      async () => {
        const running = this.nodes.filter((n) => n.running);
        const statuses = await Promise.all(running.map((n) => n.status()));
        if (statuses.some((s) => s === null)) return null;
        const leaders = new Set(statuses.map((s) => s?.leader));
        if (leaders.size !== 1) return null;
        const name = [...leaders][0];
        const leader = running.find((n) => n.name === name);
        const st = statuses[running.findIndex((n) => n.name === name)];
        return leader !== undefined && st?.role === 'leader' ? leader : null;
      },
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill('SIGKILL')));
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Output of every node, for a failing test's message. */
  logs(): string {
    return this.nodes.map((n) => `--- ${n.name}\n${n.output}`).join('\n');
  }
}

export interface Response {
  readonly type: 'response';
  readonly id: string | null;
  readonly ok: boolean;
  readonly result?: Record<string, unknown>;
  readonly error?: { code: string; message: string; field?: string; leaderHint?: string };
}

export interface PushedEvent {
  readonly type: 'event';
  readonly event: string;
  readonly [key: string]: unknown;
}

/** A plain protocol client: one request id per call, events kept in arrival order. */
export class WsClient {
  readonly events: PushedEvent[] = [];
  private readonly pending = new Map<string, (r: Response) => void>();
  private nextId = 0;
  private nextSeq = 0;
  private readonly eventWaiters: (() => void)[] = [];
  closeCode: number | null = null;

  private constructor(
    readonly ws: WebSocket,
    readonly clientId: string,
  ) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Response | PushedEvent;
      if (frame.type === 'event') {
        this.events.push(frame);
        for (const w of this.eventWaiters.splice(0)) w();
        return;
      }
      const resolve = frame.id === null ? undefined : this.pending.get(frame.id);
      if (resolve !== undefined && frame.id !== null) {
        this.pending.delete(frame.id);
        resolve(frame);
      } else this.unmatched.push(frame);
    });
    ws.on('close', (code) => {
      this.closeCode = code;
    });
  }

  /** Responses that matched no pending request (e.g. answers to malformed frames). */
  readonly unmatched: Response[] = [];

  static async connect(url: string, clientId = `c-${Math.random().toString(36).slice(2)}`): Promise<WsClient> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const c = new WsClient(ws, clientId);
    const hello = await c.request('hello', { clientId });
    if (!hello.ok) throw new Error(`hello failed: ${JSON.stringify(hello.error)}`);
    return c;
  }

  /** Sends one request and waits for its answer. Mutating requests get the next seq. */
  request(type: string, fields: Record<string, unknown> = {}, timeoutMs = 15_000): Promise<Response> {
    const id = `r${++this.nextId}`;
    const mutating = [
      'session.open',
      'session.close',
      'lock.acquire',
      'lock.release',
      'election.campaign',
      'election.proclaim',
      'election.resign',
    ].includes(type);
    const frame = { v: 1, id, type, ...(mutating && !('seq' in fields) ? { seq: ++this.nextSeq } : {}), ...fields };
    return this.sendFrame(id, JSON.stringify(frame), timeoutMs);
  }

  /** Sends a raw text frame whose answer will carry `id`. */
  sendFrame(id: string, text: string, timeoutMs = 15_000): Promise<Response> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${text.slice(0, 200)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.ws.send(text);
    });
  }

  /** Request id of the next request() call (for lock.cancel). */
  peekNextId(): string {
    return `r${this.nextId + 1}`;
  }

  /** Waits for an event matching `pred` (already received or future). */
  async nextEvent(pred: (e: PushedEvent) => boolean, timeoutMs = 15_000): Promise<PushedEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.events.findIndex(pred);
      if (i >= 0) return this.events.splice(i, 1)[0] as PushedEvent;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(this.events)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.eventWaiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  close(): void {
    this.ws.close();
  }
}

/** Opens a client on the leader (following NOT_LEADER hints is the SDK's job, not this harness's). */
export async function leaderClient(cluster: TestCluster): Promise<WsClient> {
  const leader = await cluster.waitForLeader();
  return WsClient.connect(leader.clientUrl);
}

/** GET a node's JSON endpoint on loopback; null when it does not answer or answers no JSON. */
export function httpJson<T>(port: number, path: string): Promise<T | null> {
  return new Promise((resolve) => {
    const req = get({ host: HOST, port, path, timeout: 1_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as T);
        } catch {
          resolve(null);
        }
      });
    });
    req.on('error', () => resolve(null));
    req.on('timeout', () => req.destroy());
  });
}
