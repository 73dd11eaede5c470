/**
 * The proxy network (the default): nodes on 127.0.0.1 at ports the OS picks, a ProxyMesh on the
 * peer links. The nodes' ports stay bound until the proxies are up, so that the proxies (and
 * anyone else listening on port 0 meanwhile) cannot be handed one of them.
 */
import { HOST } from '../../cluster/harness.js';
import { reservePort } from '../cluster/ports.js';
import type { LinkDelay } from './link-proxy.js';
import type { LinkFault, PeerNet } from './peer-net.js';
import { ProxyMesh } from './proxy-mesh.js';

export class ProxyNet implements PeerNet {
  readonly mode = 'proxy' as const;
  readonly delayUnsupported = null;

  private constructor(
    private readonly ports: ReadonlyMap<string, number>,
    readonly mesh: ProxyMesh,
    readonly id: string,
  ) {}

  /** `random`: seeded [0, 1) draws for link jitter. */
  static async start(names: readonly string[], random: () => number): Promise<ProxyNet> {
    const reserved = await Promise.all(names.map(() => reservePort()));
    const ports = new Map(names.map((n, i) => [n, reserved[i]!.port] as const));
    let mesh: ProxyMesh;
    try {
      mesh = await ProxyMesh.start(ports, random);
    } finally {
      await Promise.all(reserved.map((r) => r.release()));
    }
    return new ProxyNet(ports, mesh, `${process.pid}-${reserved[0]!.port}`);
  }

  get description(): string {
    return `proxy (nodes on ${HOST}, a TCP proxy on every directed peer link)`;
  }

  listenOn(name: string): { host: string; port: number } {
    const port = this.ports.get(name);
    if (port === undefined) throw new Error(`no node ${name}`);
    return { host: HOST, port };
  }

  peerUrl(from: string, to: string): string {
    return from === to ? `http://${HOST}:${this.listenOn(to).port}` : this.mesh.peerUrl(from, to);
  }

  commandPrefix(): readonly string[] {
    return [];
  }

  async partition(groups: readonly (readonly string[])[], fault: LinkFault): Promise<void> {
    this.mesh.partition(groups, fault);
  }

  async oneWay(from: readonly string[], to: readonly string[], fault: LinkFault): Promise<void> {
    this.mesh.oneWay(from, to, fault);
  }

  async delayAll(delay: LinkDelay): Promise<void> {
    this.mesh.delayAll(delay);
  }

  async healAll(): Promise<void> {
    this.mesh.healAll();
  }

  describe(): string {
    return this.mesh.describe();
  }

  close(): Promise<void> {
    return this.mesh.close();
  }
}
