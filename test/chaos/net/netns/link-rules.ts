/**
 * The iproute2 commands of the netns mode, as data (pure, so the plans are unit-tested; the
 * commands run in netns-net.ts).
 *
 * Why these tools: neither iptables nor nft is installed on the machines this suite runs on, and
 * installing them would need a package manager and the network during a test. iproute2 is in
 * every Debian/Ubuntu base image and gives both kinds of fault at the kernel level:
 *
 * - `drop` from → to: a tc u32 filter on the host end of `to`'s veth (the bridge's port toward
 *   `to`) sends packets whose source is `from` to a class whose queue holds 0 packets: they
 *   vanish on the wire. Neither stack knows — connections stall, new connections hang in SYN,
 *   TCP retransmits after the heal. (htb + pfifo + u32, not `action drop`: the gact action
 *   module is missing from some kernels that have these.)
 * - `cut` from → to: an `unreachable` route to `to` inside `from`'s namespace, and `ss -K` aborts
 *   `from`'s open connections with `to`: they fail at once (ECONNABORTED), new connects fail with
 *   EHOSTUNREACH — a firewall REJECT rather than a DROP.
 * - latency: netem under the default class of every node's veth (where the kernel has netem).
 *
 * All of it acts inside the run's own namespaces or on its own bridge ports; the host's other
 * interfaces and routes are never touched.
 */
import type { LinkDelay } from '../link-proxy.js';
import type { LinkFault } from '../peer-net.js';
import type { NetnsLayout, NetnsNode } from './names.js';

export type Argv = readonly string[];
/** Directed pair key `from>to` → its fault. */
export type Blocks = ReadonlyMap<string, LinkFault>;

/** The veth root qdisc's classes: 1:1 carries traffic (the default), 1:2 drops it. */
const PASS_CLASS = '1:1';
const DROP_CLASS = '1:2';
/** Far above any rate a test reaches: the htb only sorts packets, it never shapes them. */
const HTB_RATE = '10gbit';
const HTB_QUANTUM = '200000';
/** Drop filters are at prio DROP_PRIO_BASE + (index of the source node). */
const DROP_PRIO_BASE = 100;
const NETEM_HANDLE = '10:';

export function pairKey(from: string, to: string): string {
  return `${from}>${to}`;
}

function node(layout: NetnsLayout, name: string): NetnsNode {
  const n = layout.nodes.find((x) => x.name === name);
  if (n === undefined) throw new Error(`no node ${name}`);
  return n;
}

/** Bridge, namespaces, veth pairs, addresses, and each veth's sorting qdisc; in order. */
export function setupCommands(layout: NetnsLayout): Argv[] {
  const cmds: Argv[] = [
    ['ip', 'link', 'add', layout.bridge, 'type', 'bridge'],
    ['ip', 'addr', 'add', `${layout.bridgeAddress}/24`, 'dev', layout.bridge],
    ['ip', 'link', 'set', layout.bridge, 'up'],
  ];
  for (const n of layout.nodes) {
    cmds.push(
      ['ip', 'netns', 'add', n.ns],
      ['ip', 'link', 'add', n.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n.ns],
      ['ip', '-n', n.ns, 'addr', 'add', `${n.address}/24`, 'dev', 'eth0'],
      ['ip', '-n', n.ns, 'link', 'set', 'lo', 'up'],
      ['ip', '-n', n.ns, 'link', 'set', 'eth0', 'up'],
      ['ip', 'link', 'set', n.veth, 'master', layout.bridge],
      ['ip', 'link', 'set', n.veth, 'up'],
      ['tc', 'qdisc', 'add', 'dev', n.veth, 'root', 'handle', '1:', 'htb', 'default', '1'],
      [
        'tc',
        'class',
        'add',
        'dev',
        n.veth,
        'parent',
        '1:',
        'classid',
        PASS_CLASS,
        'htb',
        'rate',
        HTB_RATE,
        'quantum',
        HTB_QUANTUM,
      ],
      [
        'tc',
        'class',
        'add',
        'dev',
        n.veth,
        'parent',
        '1:',
        'classid',
        DROP_CLASS,
        'htb',
        'rate',
        HTB_RATE,
        'quantum',
        HTB_QUANTUM,
      ],
      ['tc', 'qdisc', 'add', 'dev', n.veth, 'parent', DROP_CLASS, 'handle', '2:', 'pfifo', 'limit', '0'],
    );
  }
  return cmds;
}

/** Deleting a namespace deletes its end of the veth pair, and with it the host end. */
export function teardownCommands(layout: NetnsLayout): Argv[] {
  return [...layout.nodes.map((n): Argv => ['ip', 'netns', 'del', n.ns]), ['ip', 'link', 'del', layout.bridge]];
}

function addFault(layout: NetnsLayout, from: string, to: string, fault: LinkFault): { now: Argv[]; after: Argv[] } {
  const src = node(layout, from);
  const dst = node(layout, to);
  if (fault === 'drop') {
    const prio = String(DROP_PRIO_BASE + layout.nodes.indexOf(src));
    return {
      now: [
        [
          'tc',
          'filter',
          'add',
          'dev',
          dst.veth,
          'parent',
          '1:',
          'protocol',
          'ip',
          'prio',
          prio,
          'u32',
          'match',
          'ip',
          'src',
          `${src.address}/32`,
          'flowid',
          DROP_CLASS,
        ],
      ],
      after: [],
    };
  }
  return {
    now: [['ip', '-n', src.ns, 'route', 'replace', 'unreachable', `${dst.address}/32`]],
    // after the route is in place, so that nothing reconnects in between
    after: [['ip', 'netns', 'exec', src.ns, 'ss', '-K', 'dst', dst.address]],
  };
}

function removeFault(layout: NetnsLayout, from: string, to: string, fault: LinkFault): Argv {
  const src = node(layout, from);
  const dst = node(layout, to);
  if (fault === 'drop') {
    const prio = String(DROP_PRIO_BASE + layout.nodes.indexOf(src));
    return ['tc', 'filter', 'del', 'dev', dst.veth, 'parent', '1:', 'protocol', 'ip', 'prio', prio];
  }
  return ['ip', '-n', src.ns, 'route', 'del', 'unreachable', `${dst.address}/32`];
}

/**
 * The commands that take the links from `before` to `after`, in three phases: each phase's
 * commands are independent of one another (they may run at once), phases run in order.
 */
export function blockCommands(layout: NetnsLayout, before: Blocks, after: Blocks): Argv[][] {
  const remove: Argv[] = [];
  const add: Argv[] = [];
  const kill: Argv[] = [];
  for (const [key, fault] of before) {
    if (after.get(key) === fault) continue;
    const [from, to] = key.split('>') as [string, string];
    remove.push(removeFault(layout, from, to, fault));
  }
  for (const [key, fault] of after) {
    if (before.get(key) === fault) continue;
    const [from, to] = key.split('>') as [string, string];
    const cmds = addFault(layout, from, to, fault);
    add.push(...cmds.now);
    kill.push(...cmds.after);
  }
  return [remove, add, kill].filter((phase) => phase.length > 0);
}

/** Latency on every node's incoming link (null: none). */
export function delayCommands(layout: NetnsLayout, before: LinkDelay | null, after: LinkDelay | null): Argv[] {
  if (after === null) {
    if (before === null) return [];
    return layout.nodes.map(
      (n): Argv => ['tc', 'qdisc', 'del', 'dev', n.veth, 'parent', PASS_CLASS, 'handle', NETEM_HANDLE],
    );
  }
  return layout.nodes.map(
    (n): Argv => [
      'tc',
      'qdisc',
      'replace',
      'dev',
      n.veth,
      'parent',
      PASS_CLASS,
      'handle',
      NETEM_HANDLE,
      'netem',
      'delay',
      `${after.delayMs}ms`,
      `${after.jitterMs}ms`,
    ],
  );
}
