/**
 * N real baton-server processes on loopback, each with its own data directory, wired through a
 * ProxyMesh: node i's `--peers` entry for node j is the proxy of link i→j, and `--client-urls`
 * gives every member's real client URL (clients talk to nodes directly; leader hints point at
 * real nodes). Processes come from the shared harness (ServerProcess); this class adds what the
 * nemesis needs: SIGSTOP/SIGCONT, SIGKILL/SIGTERM + restart, quick status reads, and full logs.
 */
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOST, ServerProcess } from '../../cluster/harness.js';
import { monotonicMs } from '../clock.js';
import { ProxyMesh } from '../net/proxy-mesh.js';
import { reservePort } from './ports.js';
import { fetchStatus, type NodeStatusView } from './status.js';

export interface ChaosClusterOptions {
  readonly size: number;
  /** Where each node's full output goes (`<name>.log`), appended across restarts. */
  readonly logDir: string;
  /** Seeded [0, 1) draws for link jitter. */
  readonly random: () => number;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly logLevel: string;
}

export type NodeState = 'running' | 'paused' | 'down';

/** A node that exited without the nemesis asking it to: a crash (or a port taken while it was down). */
export interface UnexpectedExit {
  readonly node: string;
  readonly code: number | null;
  readonly signal: string | null;
  /** The end of its output. */
  readonly tail: string;
}

/**
 * A port can be taken by another process's outgoing connection while its node is down (kill,
 * restart): the restart then fails EADDRINUSE. That is the machine, not Baton — try again a few
 * times before calling it an unexpected exit.
 */
const PORT_RETRY_MS = 250;
const PORT_RETRIES_MAX = 40;

export class ChaosCluster {
  private readonly paused = new Set<string>();
  private readonly logs = new Map<string, WriteStream>();
  /** Nodes the harness is stopping on purpose: their exit is expected. */
  private readonly stopping = new Set<string>();
  private readonly portRetries = new Map<string, number>();
  /** When each node's current process logged that it started (monotonicMs), once it has. */
  private readonly bootedAt = new Map<string, number>();
  private shuttingDown = false;
  readonly unexpectedExits: UnexpectedExit[] = [];
  /** Restarts that had to wait for a port another process held. */
  portWaits = 0;

  private constructor(
    readonly nodes: readonly ServerProcess[],
    readonly mesh: ProxyMesh,
    private readonly root: string,
    private readonly logDir: string,
  ) {}

  static async start(options: ChaosClusterOptions): Promise<ChaosCluster> {
    const root = mkdtempSync(join(tmpdir(), 'baton-chaos-'));
    mkdirSync(options.logDir, { recursive: true });
    const names = Array.from({ length: options.size }, (_, i) => `n${i + 1}`);
    // the nodes' ports stay bound until the nodes start, so that the proxies (and anyone else
    // listening on port 0 meanwhile) cannot be handed one of them
    const reserved = await Promise.all(names.map(() => reservePort()));
    const ports = new Map(names.map((n, i) => [n, reserved[i]!.port] as const));
    let mesh: ProxyMesh;
    try {
      mesh = await ProxyMesh.start(ports, options.random);
    } finally {
      await Promise.all(reserved.map((r) => r.release()));
    }
    const clientUrls = names.map((n) => `${n}=ws://${HOST}:${ports.get(n)}/v1/client`).join(',');
    const clusterId = `chaos-${process.pid}-${reserved[0]!.port}`;
    const nodes = names.map((name) => {
      const peers = names
        .map((other) => `${other}=${other === name ? `http://${HOST}:${ports.get(other)}` : mesh.peerUrl(name, other)}`)
        .join(',');
      const dataDir = join(root, name);
      const args = [
        '--id',
        name,
        '--listen',
        `${HOST}:${ports.get(name)}`,
        '--peers',
        peers,
        '--client-urls',
        clientUrls,
        '--data-dir',
        dataDir,
        '--tick-ms',
        String(options.tickMs),
        '--election-ticks',
        String(options.electionTicks),
        '--log-level',
        options.logLevel,
        // a cluster of its own: a port mix-up with another run's node cannot join the two
        '--cluster-id',
        clusterId,
      ];
      return new ServerProcess(name, ports.get(name)!, dataDir, args);
    });
    const cluster = new ChaosCluster(nodes, mesh, root, options.logDir);
    for (const n of nodes) cluster.startNode(n);
    return cluster;
  }

  get names(): string[] {
    return this.nodes.map((n) => n.name);
  }

  node(name: string): ServerProcess {
    const n = this.nodes.find((x) => x.name === name);
    if (n === undefined) throw new Error(`no node ${name}`);
    return n;
  }

  clientUrl(name: string): string {
    return this.node(name).clientUrl;
  }

  get clientUrls(): string[] {
    return this.nodes.map((n) => n.clientUrl);
  }

  /** Node name for a client URL (as the SDK reports its connected endpoint). */
  nameOfUrl(url: string | null): string | undefined {
    if (url === null) return undefined;
    return this.nodes.find((n) => url.startsWith(`ws://${HOST}:${n.port}`))?.name;
  }

  state(name: string): NodeState {
    if (!this.node(name).running) return 'down';
    return this.paused.has(name) ? 'paused' : 'running';
  }

  /** Nodes whose process runs and is not stopped. */
  get live(): string[] {
    return this.names.filter((n) => this.state(n) === 'running');
  }

  pause(name: string): void {
    const proc = this.node(name).proc;
    if (proc === null || this.paused.has(name)) return;
    proc.kill('SIGSTOP');
    this.paused.add(name);
  }

  resume(name: string): void {
    const proc = this.node(name).proc;
    this.paused.delete(name);
    proc?.kill('SIGCONT');
  }

  /** Sends `signal` and waits for the exit (a stopped process is continued first so it can act on it). */
  async kill(name: string, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    if (signal !== 'SIGKILL' && this.paused.has(name)) this.resume(name);
    if (this.node(name).running) this.stopping.add(name);
    await this.node(name).kill(signal);
    this.paused.delete(name);
  }

  restart(name: string): void {
    const node = this.node(name);
    if (node.running) return;
    this.portRetries.delete(name);
    this.startNode(node);
  }

  async status(name: string, timeoutMs: number): Promise<NodeStatusView | null> {
    if (this.state(name) !== 'running') return null;
    return fetchStatus(this.node(name).port, timeoutMs);
  }

  /** Continues every paused node, restarts every dead one and heals every link. */
  healAll(): void {
    this.mesh.healAll();
    for (const name of this.names) {
      if (this.paused.has(name)) this.resume(name);
      if (!this.node(name).running) this.restart(name);
    }
  }

  /** Kills everything, closes the proxies and log files; removes the data unless `keepData`. */
  async stop(keepData = false): Promise<void> {
    this.shuttingDown = true;
    for (const name of [...this.paused]) this.resume(name);
    await Promise.all(this.nodes.map((n) => n.kill('SIGKILL')));
    await this.mesh.close();
    await Promise.all([...this.logs.values()].map((s) => new Promise<void>((resolve) => s.end(() => resolve()))));
    if (!keepData) rmSync(this.root, { recursive: true, force: true });
  }

  /**
   * When the node's current process said "baton node started" (monotonicMs): its boot and storage
   * recovery are done and it serves. Null while it is still booting or down.
   */
  bootedAtMs(name: string): number | null {
    return this.bootedAt.get(name) ?? null;
  }

  get dataRoot(): string {
    return this.root;
  }

  private startNode(node: ServerProcess): void {
    node.start();
    let log = this.logs.get(node.name);
    if (log === undefined) {
      log = createWriteStream(join(this.logDir, `${node.name}.log`), { flags: 'a' });
      this.logs.set(node.name, log);
    }
    const out = log;
    out.write(`--- ${new Date().toISOString()} start pid ${node.proc?.pid}\n`);
    this.bootedAt.delete(node.name);
    let tail = '';
    node.proc?.stdout?.on('data', (c: Buffer) => {
      out.write(c);
      if (this.bootedAt.has(node.name)) return;
      // a short tail: the line may be split across chunks
      tail = (tail + c.toString('utf8')).slice(-512);
      if (tail.includes('"msg":"baton node started"')) this.bootedAt.set(node.name, monotonicMs());
    });
    node.proc?.stderr?.on('data', (c: Buffer) => out.write(c));
    node.proc?.on('exit', (code, signal) => {
      out.write(`--- exit code ${code} signal ${signal}\n`);
      this.onExit(node, code, signal);
    });
  }

  private onExit(node: ServerProcess, code: number | null, signal: string | null): void {
    if (this.shuttingDown) return;
    if (this.stopping.delete(node.name)) return;
    this.paused.delete(node.name);
    const tail = node.output.slice(-2_000);
    const tries = this.portRetries.get(node.name) ?? 0;
    if (tail.includes('EADDRINUSE') && tries < PORT_RETRIES_MAX) {
      this.portRetries.set(node.name, tries + 1);
      this.portWaits++;
      // the harness keeps the process's output across restarts: forget this attempt's complaint
      node.output = '';
      setTimeout(() => {
        if (!this.shuttingDown && !node.running) this.startNode(node);
      }, PORT_RETRY_MS);
      return;
    }
    this.unexpectedExits.push({ node: node.name, code, signal, tail });
  }
}
