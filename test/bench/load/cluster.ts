/**
 * The cluster a load run drives: real `baton-server` processes on loopback (fsync on, fresh data
 * directories), like test/cluster/harness.ts, plus what profiling needs: Node flags per node
 * (`--cpu-prof`), extra server flags, a graceful stop (SIGTERM, so profiles get written), and
 * the CPU and memory each node uses.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseServerConfig, type RunningServer, startServer } from '@baton/server';
import { freePort, HOST, httpJson, SERVER_BIN, waitFor } from '../../cluster/harness.js';
import { type ProcSample, sampleProcess } from './proc-stats.js';

export interface NodeStatus {
  readonly name: string;
  readonly role: string;
  readonly leader: string | null;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
}

export interface ClusterOptions {
  readonly size: number;
  /** Flags for node itself, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
  readonly nodeArgs: readonly string[];
  /** Extra baton-server flags, e.g. `--tick-ms 25`. */
  readonly serverArgs: readonly string[];
  /** Run the nodes inside this process (no kills: for the throughput workloads and profiling). */
  readonly inProcess: boolean;
  /** Write each node's output to DIR/<node>.log. */
  readonly logDir: string | null;
  /** Another build of baton-server to run (for before/after comparisons in one session). */
  readonly serverBin: string | null;
}

/** A node started with startServer() in this process. Stopping it closes it (there is no kill). */
class InProcessNode implements LoadNode {
  private server: RunningServer | null = null;

  constructor(
    readonly name: string,
    private readonly port: number,
    private readonly argv: readonly string[],
  ) {}

  get clientUrl(): string {
    return `ws://${HOST}:${this.port}`;
  }

  get pid(): number | null {
    return null;
  }

  get running(): boolean {
    return this.server !== null;
  }

  async open(): Promise<void> {
    const parsed = parseServerConfig(this.argv, {});
    if (parsed.kind !== 'run') throw new Error('unexpected server arguments');
    this.server = await startServer(parsed.config);
  }

  start(): void {
    throw new Error('in-process nodes cannot be restarted: run the workload without --in-process');
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    await s?.close();
  }

  sample(): ProcSample | null {
    return null;
  }

  status(): Promise<NodeStatus | null> {
    return httpJson<NodeStatus>(this.port, '/v1/status');
  }

  logs(): string {
    return '';
  }
}

/** One node of the cluster, in its own process (BenchNode) or in this one (InProcessNode). */
export interface LoadNode {
  readonly name: string;
  readonly clientUrl: string;
  readonly pid: number | null;
  readonly running: boolean;
  start(): void;
  stop(signal: NodeJS.Signals, timeoutMs?: number): Promise<void>;
  sample(): ProcSample | null;
  status(): Promise<NodeStatus | null>;
  logs(): string;
}

export class BenchNode implements LoadNode {
  private proc: ChildProcess | null = null;
  private output = '';

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly argv: readonly string[],
    /** Every line the node writes, kept here when set (the tail is always kept in memory). */
    private readonly logFile: string | null = null,
  ) {}

  get clientUrl(): string {
    return `ws://${HOST}:${this.port}`;
  }

  get pid(): number | null {
    return this.proc?.pid ?? null;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  start(): void {
    if (this.proc !== null) throw new Error(`${this.name} is already running`);
    const proc = spawn(process.execPath, this.argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
      if (this.logFile !== null) appendFileSync(this.logFile, chunk);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    children.add(proc);
    proc.on('exit', () => {
      children.delete(proc);
      if (this.proc === proc) this.proc = null;
    });
    this.proc = proc;
  }

  /** Sends `signal` and waits (bounded) for the process to exit. */
  async stop(signal: NodeJS.Signals, timeoutMs = 15_000): Promise<void> {
    const proc = this.proc;
    if (proc === null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  sample(): ProcSample | null {
    return this.pid === null ? null : sampleProcess(this.pid);
  }

  status(): Promise<NodeStatus | null> {
    return httpJson<NodeStatus>(this.port, '/v1/status');
  }

  logs(): string {
    return this.output;
  }
}

/** Every node process and data directory made here: gone when this process exits, however it exits. */
const children = new Set<ChildProcess>();
const roots = new Set<string>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

export class BenchCluster {
  private constructor(
    readonly nodes: LoadNode[],
    private readonly root: string,
  ) {}

  /**
   * Every node in this process: one thread runs the three nodes and the clients, so a CPU profile
   * of this process shows the whole system's cost per operation, undisturbed by the scheduler.
   */
  private static async startInProcess(opts: ClusterOptions): Promise<BenchCluster> {
    const root = mkdtempSync(join(tmpdir(), 'baton-load-'));
    roots.add(root);
    const ports: number[] = [];
    while (ports.length < opts.size) {
      const p = await freePort();
      if (!ports.includes(p)) ports.push(p);
    }
    const peers = ports.map((p, i) => `n${i + 1}=http://${HOST}:${p}`).join(',');
    const nodes = ports.map((port, i) => {
      const argv = [
        ...['--id', `n${i + 1}`, '--listen', `${HOST}:${port}`, '--peers', peers],
        ...['--data-dir', join(root, `n${i + 1}`), '--log-level', 'warn'],
        ...opts.serverArgs,
      ];
      return new InProcessNode(`n${i + 1}`, port, argv);
    });
    await Promise.all(nodes.map((n) => n.open()));
    const cluster = new BenchCluster(nodes, root);
    await cluster.waitForLeader();
    return cluster;
  }

  static async start(opts: ClusterOptions): Promise<BenchCluster> {
    if (opts.inProcess) return BenchCluster.startInProcess(opts);
    const root = mkdtempSync(join(tmpdir(), 'baton-load-'));
    roots.add(root);
    const ports: number[] = [];
    while (ports.length < opts.size) {
      const p = await freePort();
      if (!ports.includes(p)) ports.push(p);
    }
    const names = ports.map((_, i) => `n${i + 1}`);
    const peers = names.map((n, i) => `${n}=http://${HOST}:${ports[i]}`).join(',');
    const nodes = names.map(
      (name, i) =>
        new BenchNode(
          name,
          ports[i] as number,
          [
            ...opts.nodeArgs,
            opts.serverBin ?? SERVER_BIN,
            ...['--id', name, '--listen', `${HOST}:${ports[i]}`, '--peers', peers],
            ...['--data-dir', join(root, name), '--log-level', 'warn'],
            ...opts.serverArgs,
          ],
          opts.logDir === null ? null : join(opts.logDir, `${name}.log`),
        ),
    );
    if (opts.logDir !== null) mkdirSync(opts.logDir, { recursive: true });
    const cluster = new BenchCluster(nodes, root);
    for (const n of nodes) n.start();
    try {
      await cluster.waitForLeader();
    } catch (err) {
      await cluster.stop(false);
      throw err;
    }
    return cluster;
  }

  get endpoints(): string[] {
    return this.nodes.map((n) => n.clientUrl);
  }

  /** Waits until every running node names the same leader, which says it leads. */
  waitForLeader(timeoutMs = 20_000): Promise<LoadNode> {
    return waitFor(
      'a leader all running nodes agree on',
      async () => {
        const running = this.nodes.filter((n) => n.running);
        const statuses = await Promise.all(running.map((n) => n.status()));
        if (statuses.some((s) => s === null)) return null;
        const leaders = new Set(statuses.map((s) => s?.leader));
        if (leaders.size !== 1) return null;
        const i = running.findIndex((n) => n.name === [...leaders][0]);
        return i >= 0 && statuses[i]?.role === 'leader' ? running[i] : null;
      },
      timeoutMs,
      10,
    );
  }

  /** Waits until every running node applied at least what the leader had committed when asked. */
  async waitCaughtUp(timeoutMs = 30_000): Promise<void> {
    const leader = await this.waitForLeader();
    const target = (await leader.status())?.commitIndex ?? 0;
    await waitFor(
      'every node caught up',
      async () => {
        const st = await Promise.all(this.nodes.filter((n) => n.running).map((n) => n.status()));
        return st.every((s) => s !== null && s.appliedIndex >= target) ? true : null;
      },
      timeoutMs,
    );
  }

  /** Graceful (SIGTERM: profiles are written, leadership handed off) or SIGKILL; removes the data. */
  async stop(graceful: boolean): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop(graceful ? 'SIGTERM' : 'SIGKILL')));
    rmSync(this.root, { recursive: true, force: true });
  }

  logs(): string {
    return this.nodes.map((n) => `--- ${n.name}\n${n.logs()}`).join('\n');
  }
}
