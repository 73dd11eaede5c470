/**
 * One LinkProxy per directed peer link of the cluster (n·(n−1) of them), and the network faults
 * built from them: partitions into groups, one-way faults, added latency, heal. A fault names
 * links by (from, to); "both ways" is simply both directed links.
 */
import { type LinkDelay, type LinkMode, LinkProxy } from './link-proxy.js';

export class ProxyMesh {
  private constructor(private readonly links: Map<string, LinkProxy>) {}

  /** `ports`: each node's real listen port, by node name. */
  static async start(ports: ReadonlyMap<string, number>, random: () => number): Promise<ProxyMesh> {
    const links = new Map<string, LinkProxy>();
    try {
      for (const from of ports.keys()) {
        for (const [to, port] of ports) {
          if (from === to) continue;
          links.set(key(from, to), await LinkProxy.start(from, to, port, random));
        }
      }
    } catch (err) {
      await Promise.all([...links.values()].map((l) => l.close()));
      throw err;
    }
    return new ProxyMesh(links);
  }

  link(from: string, to: string): LinkProxy {
    const link = this.links.get(key(from, to));
    if (link === undefined) throw new Error(`no link ${from} -> ${to}`);
    return link;
  }

  /** The URL node `from` dials to reach `to`. */
  peerUrl(from: string, to: string): string {
    return this.link(from, to).peerUrl;
  }

  /** Links between different groups get `mode`, both ways; links inside a group pass. */
  partition(groups: readonly (readonly string[])[], mode: Exclude<LinkMode, 'pass'>): void {
    const groupOf = new Map<string, number>();
    groups.forEach((g, i) => {
      for (const n of g) groupOf.set(n, i);
    });
    for (const link of this.links.values()) {
      const a = groupOf.get(link.from);
      const b = groupOf.get(link.to);
      // a node in no group is cut off from everyone
      link.setMode(a !== undefined && a === b ? 'pass' : mode);
    }
  }

  /** Messages from each of `from` to each of `to` get `mode`; nothing else changes. */
  oneWay(from: readonly string[], to: readonly string[], mode: Exclude<LinkMode, 'pass'>): void {
    for (const f of from) for (const t of to) if (f !== t) this.link(f, t).setMode(mode);
  }

  /** Latency on every link. */
  delayAll(delay: LinkDelay): void {
    for (const link of this.links.values()) link.setDelay(delay);
  }

  healAll(): void {
    for (const link of this.links.values()) link.heal();
  }

  /** The faulty links now, e.g. `n1>n2 drop, n2>n1 drop` (empty when all is well). */
  describe(): string {
    return [...this.links.values()]
      .filter((l) => l.mode !== 'pass' || l.delay.delayMs > 0 || l.delay.jitterMs > 0)
      .map((l) => `${l.from}>${l.to} ${l.mode}${l.delay.delayMs > 0 ? ` +${l.delay.delayMs}ms` : ''}`)
      .join(', ');
  }

  async close(): Promise<void> {
    await Promise.all([...this.links.values()].map((l) => l.close()));
  }
}

function key(from: string, to: string): string {
  return `${from}>${to}`;
}
