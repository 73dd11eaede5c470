/**
 * The network between a chaos cluster's nodes, as the cluster and the nemesis see it: where each
 * node listens, what URL one node dials to reach another, how a node is started inside it, and
 * the faults on peer links. Two implementations:
 *
 * - `proxy` (ProxyNet): every node on 127.0.0.1, a TCP proxy on every directed peer link
 *   (faults are on one link's byte stream: exact, one message stream at a time; any machine);
 * - `netns` (NetnsNet): every node in its own network namespace with its own address, faults as
 *   kernel packet drops and unreachable routes (needs root and iproute2; see netns/).
 *
 * A fault names directed pairs (from, to): "from's packets/messages to `to` are lost". Both ways
 * is both pairs.
 */
import type { LinkDelay, LinkMode } from './link-proxy.js';

export type NetMode = 'proxy' | 'netns';
export type LinkFault = Exclude<LinkMode, 'pass'>;

export interface PeerNet {
  readonly mode: NetMode;
  /** Unique among the runs on this machine (the nodes' --cluster-id builds on it). */
  readonly id: string;
  /** One line for logs and the summary: the mode and what it runs on. */
  readonly description: string;
  /** Where node `name` listens for clients and peers. */
  listenOn(name: string): { readonly host: string; readonly port: number };
  /** The URL node `from` dials to reach `to`. */
  peerUrl(from: string, to: string): string;
  /** Run before `node` to start node `name` in its place (empty: directly). */
  commandPrefix(name: string): readonly string[];
  /** Why latency cannot be added (slow-network is then left out), or null when it can. */
  readonly delayUnsupported: string | null;
  /** Pairs between different groups get `fault`, both ways; pairs inside a group are healed. */
  partition(groups: readonly (readonly string[])[], fault: LinkFault): Promise<void>;
  /** Each of `from` → each of `to` gets `fault`; nothing else changes. */
  oneWay(from: readonly string[], to: readonly string[], fault: LinkFault): Promise<void>;
  /** Latency on every peer link. */
  delayAll(delay: LinkDelay): Promise<void>;
  healAll(): Promise<void>;
  /** The faults in effect now, e.g. `n1>n2 drop` (empty when all is well). */
  describe(): string;
  /** Heals and removes everything the net made. */
  close(): Promise<void>;
}

/** Every directed pair (from, to) that `partition(groups)` faults: the two ends in different groups. */
export function partitionPairs(
  names: readonly string[],
  groups: readonly (readonly string[])[],
): [from: string, to: string][] {
  const groupOf = new Map<string, number>();
  groups.forEach((g, i) => {
    for (const n of g) groupOf.set(n, i);
  });
  const pairs: [string, string][] = [];
  for (const from of names) {
    for (const to of names) {
      if (from === to) continue;
      const a = groupOf.get(from);
      const b = groupOf.get(to);
      // a node in no group is cut off from everyone
      if (a === undefined || a !== b) pairs.push([from, to]);
    }
  }
  return pairs;
}
