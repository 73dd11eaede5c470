/**
 * A 3-member etcd cluster from Debian's `etcd-server`: loopback, fresh data directories, etcd's
 * defaults otherwise (fsync on, 100 ms heartbeat, 1 s election timeout, which make 2 s the
 * smallest lease TTL it grants).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { HOST } from '../../../cluster/harness.js';
import { ManagedProcess } from '../proc/managed-process.js';
import { httpJson } from '../proc/probe.js';
import { freePorts, freshRoot, ProcessCluster } from './process-cluster.js';
import type { NodeView } from './system.js';

/** etcd's minimum lease TTL: ceil(1.5 × election timeout) with the default 1 s timeout. */
const ETCD_MIN_TTL_MS = 2_000;

interface EtcdStatus {
  readonly header?: { readonly member_id?: string };
  readonly leader?: string;
  readonly raftTerm?: string;
}

class EtcdCluster extends ProcessCluster {
  readonly name = 'etcd' as const;
  readonly replicated = true;
  readonly minTtlMs = ETCD_MIN_TTL_MS;

  constructor(
    nodes: ManagedProcess[],
    private readonly clientPorts: readonly number[],
    root: string,
    readonly version: string,
  ) {
    super(nodes, { system: 'etcd', endpoints: clientPorts.map((p) => `${HOST}:${p}`) }, root);
  }

  protected async nodeView(index: number): Promise<NodeView | null> {
    const url = `http://${HOST}:${this.clientPorts[index]}/v3/maintenance/status`;
    const s = (await httpJson(url, {})) as EtcdStatus | null;
    const self = s?.header?.member_id;
    if (s === null || self === undefined || s.leader === undefined || s.leader === '0') return null;
    return {
      role: s.leader === self ? 'leader' : 'follower',
      term: Number(s.raftTerm ?? 0),
      selfId: self,
      leaderId: s.leader,
    };
  }
}

export async function startEtcd(bin: string): Promise<EtcdCluster> {
  const root = freshRoot('etcd');
  const ports = await freePorts(6);
  const clientPorts = ports.slice(0, 3);
  const peerPorts = ports.slice(3);
  const names = clientPorts.map((_, i) => `e${i + 1}`);
  // one token for all members: it seeds the cluster id they must agree on
  const token = `bench-${process.pid}-${Date.now()}`;
  const initialCluster = names.map((n, i) => `${n}=http://${HOST}:${peerPorts[i]}`).join(',');
  const nodes = names.map(
    (name, i) =>
      new ManagedProcess(name, bin, [
        '--name',
        name,
        '--data-dir',
        join(root, name),
        '--listen-client-urls',
        `http://${HOST}:${clientPorts[i]}`,
        '--advertise-client-urls',
        `http://${HOST}:${clientPorts[i]}`,
        '--listen-peer-urls',
        `http://${HOST}:${peerPorts[i]}`,
        '--initial-advertise-peer-urls',
        `http://${HOST}:${peerPorts[i]}`,
        '--initial-cluster',
        initialCluster,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        token,
        '--logger',
        'zap',
        '--log-level',
        'warn',
      ]),
  );
  const version = /etcd Version: (\S+)/.exec(execFileSync(bin, ['--version'], { encoding: 'utf8' }))?.[1] ?? '?';
  const cluster = new EtcdCluster(nodes, clientPorts, root, version);
  for (const n of nodes) n.start();
  return cluster;
}
