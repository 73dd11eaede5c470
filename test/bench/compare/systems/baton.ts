/**
 * A 3-node Baton cluster: `baton-server` processes from this checkout's build, loopback, fresh
 * data directories, fsync on (the default), the default tick and election timeout.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST, SERVER_BIN } from '../../../cluster/harness.js';
import { ManagedProcess } from '../proc/managed-process.js';
import { httpJson } from '../proc/probe.js';
import { freePorts, freshRoot, ProcessCluster } from './process-cluster.js';
import type { NodeView } from './system.js';

/** The smallest session TTL Baton accepts (LIMITS.minTtlMs). */
const BATON_MIN_TTL_MS = 1_000;

interface BatonStatus {
  readonly name: string;
  readonly role: string;
  readonly leader: string | null;
  readonly term: number;
}

class BatonCluster extends ProcessCluster {
  readonly name = 'baton' as const;
  readonly replicated = true;
  readonly minTtlMs = BATON_MIN_TTL_MS;

  constructor(
    nodes: ManagedProcess[],
    private readonly ports: readonly number[],
    root: string,
    readonly version: string,
  ) {
    super(nodes, { system: 'baton', endpoints: ports.map((p) => `${HOST}:${p}`) }, root);
  }

  protected async nodeView(index: number): Promise<NodeView | null> {
    const s = (await httpJson(`http://${HOST}:${this.ports[index]}/v1/status`)) as BatonStatus | null;
    if (s === null || typeof s.role !== 'string') return null;
    return {
      role: s.role === 'leader' ? 'leader' : s.role === 'follower' ? 'follower' : 'other',
      term: s.term,
      selfId: s.name,
      leaderId: s.leader ?? '',
    };
  }
}

export async function startBaton(): Promise<BatonCluster> {
  const root = freshRoot('baton');
  const ports = await freePorts(3);
  const names = ports.map((_, i) => `n${i + 1}`);
  const peers = names.map((n, i) => `${n}=http://${HOST}:${ports[i]}`).join(',');
  const nodes = names.map(
    (name, i) =>
      new ManagedProcess(name, process.execPath, [
        SERVER_BIN,
        '--id',
        name,
        '--listen',
        `${HOST}:${ports[i]}`,
        '--peers',
        peers,
        '--data-dir',
        join(root, name),
        '--log-level',
        'warn',
      ]),
  );
  const pkg = JSON.parse(readFileSync(join(SERVER_BIN, '..', '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  const cluster = new BatonCluster(nodes, ports, root, `${pkg.version} (this checkout)`);
  for (const n of nodes) n.start();
  return cluster;
}
