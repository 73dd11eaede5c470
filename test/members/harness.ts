/**
 * A cluster of real `baton-server` processes whose membership changes while it runs: the first
 * members start as a new cluster, later ones join with `--initial-cluster-state existing`
 * (the way the README tells operators to add a node). Ports are free ports picked at run time,
 * data lives in one temp directory, and stop() kills every process and removes it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatonClient } from '@baton/sdk';
import { freePort, HOST, type NodeStatus, ServerProcess, waitFor } from '../cluster/harness.js';

export interface MemberNode {
  readonly name: string;
  readonly port: number;
  readonly peerUrl: string;
  readonly endpoint: string;
  readonly dataDir: string;
  readonly proc: ServerProcess;
}

export class MembersCluster {
  readonly nodes = new Map<string, MemberNode>();

  private constructor(
    readonly root: string,
    private readonly extraArgs: readonly string[],
  ) {}

  /** Starts `names` as a new cluster and waits for a leader they agree on. */
  static async start(names: readonly string[], extraArgs: readonly string[] = []): Promise<MembersCluster> {
    const c = await MembersCluster.plan(names, extraArgs);
    await c.launch();
    return c;
  }

  /** Ports and data directories for `names`, nothing started (fill the directories first, e.g. by a restore). */
  static async plan(names: readonly string[], extraArgs: readonly string[] = []): Promise<MembersCluster> {
    const c = new MembersCluster(mkdtempSync(join(tmpdir(), 'baton-members-')), extraArgs);
    for (const name of names) await c.allocate(name);
    return c;
  }

  /** Starts every planned member as one cluster (`--peers` = all of them) and waits for a leader. */
  async launch(): Promise<void> {
    const names = [...this.nodes.keys()];
    try {
      for (const name of names) this.spawn(name, ['--peers', this.peersFlag(names)]);
      await this.waitForLeader();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** The `--peers` value for `names`. */
  peersFlag(names: readonly string[] = [...this.nodes.keys()]): string {
    return names.map((n) => `${n}=${this.node(n).peerUrl}`).join(',');
  }

  /** Starts `name` with an empty data directory to join the running cluster (not yet a member). */
  async join(name: string, knownMembers: readonly string[]): Promise<MemberNode> {
    await this.allocate(name);
    this.spawn(name, ['--peers', this.peersFlag([...knownMembers, name]), '--initial-cluster-state', 'existing']);
    return this.node(name);
  }

  /** Starts `name` again from its data directory, with the same flags (after a kill). */
  restart(name: string): void {
    this.node(name).proc.start();
  }

  /** Starts a stopped `name` as a joining node (same address; its data directory should be empty). */
  restartJoining(name: string, knownMembers: readonly string[]): void {
    if (this.node(name).proc.running) throw new Error(`${name} is running`);
    this.spawn(name, [
      '--peers',
      this.peersFlag([...new Set([...knownMembers, name])]),
      '--initial-cluster-state',
      'existing',
    ]);
  }

  /** Removes `name`'s data directory (the process must be stopped). */
  wipe(name: string): void {
    const n = this.node(name);
    if (n.proc.running) throw new Error(`${name} is running`);
    rmSync(n.dataDir, { recursive: true, force: true });
  }

  node(name: string): MemberNode {
    const n = this.nodes.get(name);
    if (n === undefined) throw new Error(`no node ${name}`);
    return n;
  }

  endpoints(names: readonly string[] = [...this.nodes.keys()]): string[] {
    return names.map((n) => this.node(n).endpoint);
  }

  client(names?: readonly string[], requestTimeoutMs = 15_000): Promise<BatonClient> {
    return BatonClient.connect({ endpoints: this.endpoints(names), requestTimeoutMs });
  }

  /** The leader every running node names, once they agree and it says it leads. */
  async waitForLeader(timeoutMs = 20_000): Promise<MemberNode> {
    return waitFor(
      'a leader all running nodes agree on',
      async () => {
        const running = [...this.nodes.values()].filter((n) => n.proc.running);
        const statuses = await Promise.all(running.map((n) => n.proc.status()));
        // a node that joined but is not a member yet (or was removed) may name no leader
        const voting = statuses.filter((s): s is NodeStatus => s !== null && s.leader !== null);
        if (voting.length === 0) return null;
        const leaders = new Set(voting.map((s) => s.leader));
        if (leaders.size !== 1) return null;
        const name = voting[0]?.leader as string;
        const st = voting.find((s) => s.name === name);
        return st?.role === 'leader' ? this.node(name) : null;
      },
      timeoutMs,
    );
  }

  async status(name: string): Promise<NodeStatus & { members: { name: string; role: string }[] }> {
    return waitFor(`status of ${name}`, async () => (await this.node(name).proc.status()) as never, 10_000);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.proc.kill('SIGKILL')));
    rmSync(this.root, { recursive: true, force: true });
  }

  logs(): string {
    return [...this.nodes.values()].map((n) => `--- ${n.name}\n${n.proc.output}`).join('\n');
  }

  private async allocate(name: string): Promise<void> {
    const used = new Set([...this.nodes.values()].map((n) => n.port));
    let port = await freePort();
    for (let i = 0; i < 20 && used.has(port); i++) port = await freePort();
    const dataDir = join(this.root, name);
    const node: MemberNode = {
      name,
      port,
      peerUrl: `http://${HOST}:${port}`,
      endpoint: `ws://${HOST}:${port}`,
      dataDir,
      proc: new ServerProcess(name, port, dataDir, []),
    };
    this.nodes.set(name, node);
  }

  private spawn(name: string, args: readonly string[]): void {
    const n = this.node(name);
    const proc = new ServerProcess(name, n.port, n.dataDir, [
      '--id',
      name,
      '--listen',
      `${HOST}:${n.port}`,
      '--data-dir',
      n.dataDir,
      '--log-level',
      'info',
      ...args,
      ...this.extraArgs,
    ]);
    this.nodes.set(name, { ...n, proc });
    proc.start();
  }
}
