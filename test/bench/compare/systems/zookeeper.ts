/**
 * A 3-server ZooKeeper ensemble from Debian's `zookeeper` package, run directly with `java`
 * (QuorumPeerMain, 1 GB heap as zkServer.sh does): loopback, fresh data directories, fsync on
 * (forceSync, the default), tickTime 1000 ms so the smallest session timeout is 2 s.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST } from '../../../cluster/harness.js';
import { ManagedProcess } from '../proc/managed-process.js';
import { tcpAsk } from '../proc/probe.js';
import { freePorts, freshRoot, ProcessCluster } from './process-cluster.js';
import type { NodeView } from './system.js';

export const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
const TICK_MS = 1_000;
/** ZooKeeper's default heap in zkEnv.sh (ZK_SERVER_HEAP=1000). */
const HEAP = '-Xmx1000m';

class ZkEnsemble extends ProcessCluster {
  readonly name = 'zookeeper' as const;
  readonly replicated = true;
  readonly minTtlMs = 2 * TICK_MS;

  constructor(
    nodes: ManagedProcess[],
    private readonly clientPorts: readonly number[],
    root: string,
    readonly version: string,
  ) {
    super(nodes, { system: 'zookeeper', endpoints: clientPorts.map((p) => `${HOST}:${p}`) }, root);
  }

  protected async nodeView(index: number): Promise<NodeView | null> {
    const answer = await tcpAsk(this.clientPorts[index] as number, 'srvr');
    const mode = answer === null ? undefined : /^Mode: (\S+)/m.exec(answer)?.[1];
    const zxid = answer === null ? undefined : /^Zxid: (0x[0-9a-f]+)/m.exec(answer)?.[1];
    if (mode === undefined || zxid === undefined) return null;
    return {
      role: mode === 'leader' ? 'leader' : mode === 'follower' ? 'follower' : 'other',
      // the epoch (high 32 bits of the zxid) is ZooKeeper's term
      term: Number(BigInt(zxid) >> 32n),
    };
  }
}

export async function startZookeeper(java: string): Promise<ZkEnsemble> {
  const root = freshRoot('zookeeper');
  const ports = await freePorts(9);
  const clientPorts = ports.slice(0, 3);
  const servers = [0, 1, 2].map((i) => `server.${i + 1}=${HOST}:${ports[3 + i]}:${ports[6 + i]}`);
  const nodes = clientPorts.map((port, i) => {
    const dir = join(root, `z${i + 1}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'myid'), `${i + 1}\n`);
    const cfg = join(dir, 'zoo.cfg');
    writeFileSync(
      cfg,
      [
        `tickTime=${TICK_MS}`,
        'initLimit=10',
        'syncLimit=5',
        `dataDir=${dir}`,
        `clientPort=${port}`,
        `clientPortAddress=${HOST}`,
        // the sessions workload opens thousands of connections from one address
        'maxClientCnxns=0',
        'admin.enableServer=false',
        '4lw.commands.whitelist=srvr',
        ...servers,
        '',
      ].join('\n'),
    );
    return new ManagedProcess(`z${i + 1}`, java, [
      HEAP,
      '-cp',
      ZOOKEEPER_JAR,
      'org.apache.zookeeper.server.quorum.QuorumPeerMain',
      cfg,
    ]);
  });
  let version = 'Debian zookeeper';
  try {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax, not a template
    version = execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'zookeeper'], { encoding: 'utf8' }).trim();
  } catch {
    // not a Debian package install: keep the generic name
  }
  const cluster = new ZkEnsemble(nodes, clientPorts, root, version);
  for (const n of nodes) n.start();
  return cluster;
}
