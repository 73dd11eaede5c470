/**
 * Names and addresses of what a netns-mode run creates, and how leftovers of a crashed run are
 * recognised. Pure: the commands live in netns-net.ts.
 *
 * A run id is the owning process's pid (base 36, 5 characters) and a per-process counter (one
 * character): unique among live runs, and it tells a later run whether the owner is gone.
 *
 *   namespace     baton-chaos-<runid>-n<i>     one per node, eth0 = 10.x.y.i/24
 *   bridge        bcb<runid>                    in the root namespace, 10.x.y.254/24
 *   veth (host)   bcv<runid>n<i>                a port of the bridge; its peer is the node's eth0
 *
 * Interface names stay within Linux's 15 characters.
 */

export const NETNS_PREFIX = 'baton-chaos-';
const BRIDGE_PREFIX = 'bcb';
const VETH_PREFIX = 'bcv';
const PID_CHARS = 5;
const RUN_ID = /^[0-9a-z]{6}$/;
/** Nodes are numbered from 1; the bridge takes .254. */
const BRIDGE_HOST = 254;
/** The node port inside each namespace (each node has its own address: any fixed port works). */
export const NETNS_NODE_PORT = 7100;
/** Subnets are picked among 10.<x>.<y>.0/24 with x in this range, away from common choices. */
const SUBNET_X_MIN = 180;
const SUBNET_X_COUNT = 60;
const SUBNET_TRIES_MAX = 512;

export function makeRunId(pid: number, counter: number): string {
  return pid.toString(36).padStart(PID_CHARS, '0').slice(-PID_CHARS) + (counter % 36).toString(36);
}

export function ownerPid(runId: string): number {
  return Number.parseInt(runId.slice(0, PID_CHARS), 36);
}

export interface NetnsNode {
  readonly name: string;
  readonly ns: string;
  /** Host end of the node's veth pair (a port of the bridge). */
  readonly veth: string;
  readonly address: string;
}

export interface NetnsLayout {
  readonly runId: string;
  readonly bridge: string;
  readonly bridgeAddress: string;
  /** e.g. 10.201.37.0/24 */
  readonly subnet: string;
  readonly nodes: readonly NetnsNode[];
}

export function netnsLayout(
  runId: string,
  nodeNames: readonly string[],
  subnet: readonly [number, number],
): NetnsLayout {
  if (!RUN_ID.test(runId)) throw new Error(`bad run id ${runId}`);
  if (nodeNames.length > 9) throw new Error('at most 9 nodes in netns mode');
  const [x, y] = subnet;
  return {
    runId,
    bridge: `${BRIDGE_PREFIX}${runId}`,
    bridgeAddress: `10.${x}.${y}.${BRIDGE_HOST}`,
    subnet: `10.${x}.${y}.0/24`,
    nodes: nodeNames.map((name, i) => ({
      name,
      ns: `${NETNS_PREFIX}${runId}-n${i + 1}`,
      veth: `${VETH_PREFIX}${runId}n${i + 1}`,
      address: `10.${x}.${y}.${i + 1}`,
    })),
  };
}

/** Every IPv4 address or prefix mentioned in `ip -4 -o addr` / `ip -4 route` output. */
export function prefixesIn(text: string): { address: number; length: number }[] {
  const out: { address: number; length: number }[] = [];
  for (const token of text.split(/\s+/)) {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(token);
    if (m === null) continue;
    const octets = m.slice(1, 5).map(Number);
    if (octets.some((o) => o > 255)) continue;
    const address = octets.reduce((a, o) => a * 256 + o, 0);
    out.push({ address, length: m[5] === undefined ? 32 : Math.min(32, Number(m[5])) });
  }
  return out;
}

function overlaps(a: { address: number; length: number }, b: { address: number; length: number }): boolean {
  const length = Math.min(a.length, b.length);
  const block = 2 ** (32 - length);
  return Math.floor(a.address / block) === Math.floor(b.address / block);
}

/**
 * A 10.x.y.0/24 that overlaps nothing in `inUse` (the host's addresses and routes, other runs'
 * bridges included), starting from a place the run id picks; null when none is free.
 */
export function pickSubnet(
  runId: string,
  inUse: readonly { address: number; length: number }[],
): [number, number] | null {
  let hash = 2166136261;
  for (const c of runId) hash = Math.imul(hash ^ c.charCodeAt(0), 16777619) >>> 0;
  const total = SUBNET_X_COUNT * 256;
  for (let i = 0; i < SUBNET_TRIES_MAX; i++) {
    const k = (hash + i * 257) % total;
    const x = SUBNET_X_MIN + Math.floor(k / 256);
    const y = k % 256;
    const candidate = { address: ((10 * 256 + x) * 256 + y) * 256, length: 24 };
    if (!inUse.some((p) => overlaps(p, candidate))) return [x, y];
  }
  return null;
}

/**
 * What a crashed run left behind: namespaces (from `ip netns list`) and links (from
 * `ip -o link show`) of this suite whose owning process is gone. Other runs' live ones stay.
 */
export function staleLeftovers(
  netnsList: string,
  linkList: string,
  isAlive: (pid: number) => boolean,
): { namespaces: string[]; links: string[] } {
  const stale = (runId: string): boolean => !isAlive(ownerPid(runId));
  const namespaces: string[] = [];
  for (const line of netnsList.split('\n')) {
    const name = line.trim().split(/\s+/)[0] ?? '';
    const m = /^baton-chaos-([0-9a-z]{6})-n\d+$/.exec(name);
    if (m !== null && stale(m[1]!)) namespaces.push(name);
  }
  const links: string[] = [];
  for (const line of linkList.split('\n')) {
    // "12: bcbab12c0: <BROADCAST,...>" or "13: bcvab12c0n1@if2: <...>"
    const m = /^\d+:\s+((?:bcb|bcv)([0-9a-z]{6})(?:n\d+)?)(?:@\S+)?:/.exec(line.trim());
    if (m !== null && stale(m[2]!)) links.push(m[1]!);
  }
  return { namespaces, links };
}
