/**
 * One Redis server (Debian's `redis-server`) with the append-only file fsynced on every write
 * (`appendfsync always`): the unreplicated reference. No failover to measure.
 */
import { execFileSync } from 'node:child_process';
import { HOST } from '../../../cluster/harness.js';
import { ManagedProcess } from '../proc/managed-process.js';
import { tcpAsk } from '../proc/probe.js';
import { freePorts, freshRoot, ProcessCluster } from './process-cluster.js';
import { type LeaderView, type NodeView, pollUntil } from './system.js';

class RedisServer extends ProcessCluster {
  readonly name = 'redis' as const;
  readonly replicated = false;
  /** Redis keys take any expiry; the takeover workload uses Baton's smallest TTL for it. */
  readonly minTtlMs = 1_000;

  constructor(
    node: ManagedProcess,
    private readonly port: number,
    root: string,
    readonly version: string,
  ) {
    super([node], { system: 'redis', endpoints: [`${HOST}:${port}`] }, root);
  }

  protected async nodeView(): Promise<NodeView | null> {
    return null;
  }

  override async leader(): Promise<LeaderView | null> {
    return null;
  }

  override async waitHealthy(timeoutMs: number): Promise<void> {
    await pollUntil('redis to answer PING', timeoutMs, async () =>
      (await tcpAsk(this.port, 'PING\r\n', '\r\n'))?.startsWith('+PONG') ? true : null,
    );
  }
}

export async function startRedis(bin: string): Promise<RedisServer> {
  const root = freshRoot('redis');
  const [port] = await freePorts(1);
  const node = new ManagedProcess('redis', bin, [
    '--port',
    String(port),
    '--bind',
    HOST,
    '--dir',
    root,
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--save',
    '',
    '--daemonize',
    'no',
    '--protected-mode',
    'no',
    '--loglevel',
    'warning',
  ]);
  const version = /v=(\S+)/.exec(execFileSync(bin, ['--version'], { encoding: 'utf8' }))?.[1] ?? '?';
  const server = new RedisServer(node, port as number, root, version);
  node.start();
  return server;
}
