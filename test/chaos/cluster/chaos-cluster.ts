/**
 * N real baton-server processes, each with its own data directory, on a PeerNet (../net/): in the
 * proxy mode all on loopback with node i's `--peers` entry for node j pointing at the proxy of
 * link i→j, in the netns mode each in a network namespace of its own. `--client-urls` gives every
 * member's real client URL (clients talk to nodes directly; leader hints point at real nodes).
 * This class adds what the nemesis needs: SIGSTOP/SIGCONT, SIGKILL/SIGTERM + restart, a slow disk
 * per node (the server's fsync-delay test hook), quick status reads, and full logs.
 */
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, type WriteStream, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monotonicMs } from '../clock.js';
import { NetnsNet } from '../net/netns/netns-net.js';
import type { NetMode, PeerNet } from '../net/peer-net.js';
import { ProxyNet } from '../net/proxy-net.js';
import { trackDir, untrackDir } from './child-registry.js';
import { NodeProcess, type NodeProcessSpec } from './node-process.js';
import { fetchStatus, type NodeStatusView } from './status.js';

/** The server's test hook: every sync waits the milliseconds written in this file (server/src/node/test-hooks.ts). */
const FSYNC_DELAY_FILE_ENV = 'BATON_TEST_FSYNC_DELAY_FILE';

export interface ChaosClusterOptions {
  readonly size: number;
  /** Where each node's full output goes (`<name>.log`), appended across restarts. */
  readonly logDir: string;
  /** Seeded [0, 1) draws for link jitter. */
  readonly random: () => number;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly logLevel: string;
  /** The network wanted; netns falls back to proxy (saying why) where the machine does not allow it. */
  readonly net: NetMode;
  readonly log: (line: string) => void;
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
    readonly nodes: readonly NodeProcess[],
    readonly net: PeerNet,
    private readonly root: string,
    private readonly logDir: string,
    /** Why the netns mode was asked for but not used, or null. */
    readonly netFallback: string | null,
  ) {}

  static async start(options: ChaosClusterOptions): Promise<ChaosCluster> {
    const root = mkdtempSync(join(tmpdir(), 'baton-chaos-'));
    trackDir(root);
    mkdirSync(options.logDir, { recursive: true });
    const names = Array.from({ length: options.size }, (_, i) => `n${i + 1}`);
    let net: PeerNet | null = null;
    let netFallback: string | null = null;
    if (options.net === 'netns') {
      const started = await NetnsNet.tryStart(names, options.log);
      if ('net' in started) net = started.net;
      else netFallback = started.unavailable;
    }
    if (netFallback !== null) options.log(`netns mode unavailable: ${netFallback}; using the proxy mode`);
    net ??= await ProxyNet.start(names, options.random);
    try {
      const nodes = names.map((name) => new NodeProcess(nodeSpec(name, names, net, root, options)));
      const cluster = new ChaosCluster(nodes, net, root, options.logDir, netFallback);
      for (const n of nodes) cluster.startNode(n);
      return cluster;
    } catch (err) {
      await net.close();
      throw err;
    }
  }

  get names(): string[] {
    return this.nodes.map((n) => n.name);
  }

  node(name: string): NodeProcess {
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
    return this.nodes.find((n) => url.startsWith(`ws://${n.host}:${n.port}/`))?.name;
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

  /** How `name`'s current process ended within `timeoutMs`, or null if it still runs (see expectExit). */
  waitExit(name: string, timeoutMs: number): Promise<{ code: number | null; signal: string | null } | null> {
    return this.node(name).waitExit(timeoutMs);
  }

  /** The node may exit on its own from now on (a removed member stops itself): not a crash. */
  expectExit(name: string): void {
    if (this.node(name).running) this.stopping.add(name);
  }

  /**
   * Deletes a stopped node's data directory; from then on it starts as a new member joining an
   * existing cluster (`--initial-cluster-state existing`: it waits for the leader to add it and
   * send it the log), the way an operator replaces a member.
   */
  wipe(name: string): void {
    const node = this.node(name);
    if (node.running) throw new Error(`${name} must be stopped before its data is deleted`);
    rmSync(join(this.root, name), { recursive: true, force: true });
    node.extraArgs = ['--initial-cluster-state', 'existing'];
  }

  /** The base URL a member add records for `name` (its real peer endpoint, not a proxy). */
  peerUrlOf(name: string): string {
    const { host, port } = this.net.listenOn(name);
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  restart(name: string): void {
    const node = this.node(name);
    if (node.running) return;
    this.portRetries.delete(name);
    this.startNode(node);
  }

  async status(name: string, timeoutMs: number): Promise<NodeStatusView | null> {
    if (this.state(name) !== 'running') return null;
    const node = this.node(name);
    return fetchStatus(node.host, node.port, timeoutMs);
  }

  /**
   * Every sync of `name`'s data directory waits `ms` from now on (0: none). The server re-reads
   * the file at most every 100 ms, and a sync already waiting finishes its wait.
   */
  setDiskDelay(name: string, ms: number): void {
    this.node(name);
    writeFileSync(fsyncDelayFile(this.root, name), `${Math.max(0, Math.round(ms))}\n`);
  }

  /** Continues every paused node, restarts every dead one, heals every link and every disk. */
  async healAll(): Promise<void> {
    await this.net.healAll();
    for (const name of this.names) {
      this.setDiskDelay(name, 0);
      if (this.paused.has(name)) this.resume(name);
      if (!this.node(name).running) this.restart(name);
    }
  }

  /** Kills everything, closes the network and the log files; removes the data unless `keepData`. */
  async stop(keepData = false): Promise<void> {
    this.shuttingDown = true;
    for (const name of [...this.paused]) this.resume(name);
    await Promise.all(this.nodes.map((n) => n.kill('SIGKILL')));
    await this.net.close();
    await Promise.all([...this.logs.values()].map((s) => new Promise<void>((resolve) => s.end(() => resolve()))));
    if (keepData) untrackDir(this.root);
    else rmSync(this.root, { recursive: true, force: true });
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

  private startNode(node: NodeProcess): void {
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
      // the line may be split across chunks (keep a short tail), or sit anywhere in a long chunk
      const text = tail + c.toString('utf8');
      if (text.includes('"msg":"baton node started"')) this.bootedAt.set(node.name, monotonicMs());
      tail = text.slice(-512);
    });
    node.proc?.stderr?.on('data', (c: Buffer) => out.write(c));
    node.proc?.on('exit', (code, signal) => {
      out.write(`--- exit code ${code} signal ${signal}\n`);
      this.onExit(node, code, signal);
    });
  }

  private onExit(node: NodeProcess, code: number | null, signal: string | null): void {
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

/** How node `name` is started: its address, flags, and the slow-disk hook's control file. */
function nodeSpec(
  name: string,
  names: readonly string[],
  net: PeerNet,
  root: string,
  options: ChaosClusterOptions,
): NodeProcessSpec {
  const { host, port } = net.listenOn(name);
  const clientUrls = names
    .map((n) => {
      const at = net.listenOn(n);
      return `${n}=ws://${at.host}:${at.port}/v1/client`;
    })
    .join(',');
  const delayFile = fsyncDelayFile(root, name);
  writeFileSync(delayFile, '0\n');
  const args = [
    '--id',
    name,
    '--listen',
    `${host}:${port}`,
    '--peers',
    names.map((other) => `${other}=${net.peerUrl(name, other)}`).join(','),
    '--client-urls',
    clientUrls,
    '--data-dir',
    join(root, name),
    '--tick-ms',
    String(options.tickMs),
    '--election-ticks',
    String(options.electionTicks),
    '--log-level',
    options.logLevel,
    // a cluster of its own: a port mix-up with another run's node cannot join the two
    '--cluster-id',
    `chaos-${net.id}`,
  ];
  return {
    name,
    host,
    port,
    args,
    commandPrefix: net.commandPrefix(name),
    env: { [FSYNC_DELAY_FILE_ENV]: delayFile },
  };
}

function fsyncDelayFile(root: string, name: string): string {
  return join(root, `${name}.fsync-delay-ms`);
}
