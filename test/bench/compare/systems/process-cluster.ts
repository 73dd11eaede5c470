/** What every system's cluster shares: nodes as managed processes under one temp root directory. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reservePort } from '../../../chaos/cluster/ports.js';
import type { ConnectSpec, SystemName } from '../clients/lock-client.js';
import { removeDir, trackDir } from '../proc/cleanup.js';
import type { ManagedProcess } from '../proc/managed-process.js';
import { agreedLeader, type LeaderView, type NodeView, pollUntil, type RunningSystem } from './system.js';

/** A fresh temp directory, removed at the end of the run whatever happens. */
export function freshRoot(system: SystemName): string {
  const root = mkdtempSync(join(tmpdir(), `baton-bench-${system}-`));
  trackDir(root);
  return root;
}

/**
 * `count` distinct free loopback ports. Each is held (listened on) until all are picked, so the
 * OS cannot hand one out twice; they are released just before the servers start.
 */
export async function freePorts(count: number): Promise<number[]> {
  const held = [];
  for (let i = 0; i < count; i++) held.push(await reservePort());
  await Promise.all(held.map((p) => p.release()));
  return held.map((p) => p.port);
}

export abstract class ProcessCluster implements RunningSystem {
  abstract readonly name: SystemName;
  abstract readonly version: string;
  abstract readonly replicated: boolean;
  abstract readonly minTtlMs: number;

  constructor(
    readonly nodes: readonly ManagedProcess[],
    readonly connectSpec: ConnectSpec,
    private readonly root: string,
  ) {}

  /** One node's view of the cluster, or null when it does not answer. */
  protected abstract nodeView(index: number): Promise<NodeView | null>;

  leader(): Promise<LeaderView | null> {
    return agreedLeader(this.nodes, (i) => this.nodeView(i));
  }

  async killNode(index: number): Promise<void> {
    await this.nodeAt(index).kill('SIGKILL');
  }

  async restartNode(index: number): Promise<void> {
    this.nodeAt(index).start();
  }

  async waitHealthy(timeoutMs: number): Promise<void> {
    try {
      await pollUntil(`a ${this.name} leader every node agrees on`, timeoutMs, async () => {
        if (this.nodes.some((n) => !n.running)) return null;
        return this.leader();
      });
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${this.logs()}`);
    }
  }

  logs(): string {
    return this.nodes.map((n) => n.describe()).join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill('SIGKILL')));
    removeDir(this.root);
  }

  private nodeAt(index: number): ManagedProcess {
    const node = this.nodes[index];
    if (node === undefined) throw new Error(`${this.name} has no node ${index}`);
    return node;
  }
}
