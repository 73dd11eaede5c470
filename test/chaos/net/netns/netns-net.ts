/**
 * The netns network: each node in a network namespace of its own (`baton-chaos-<runid>-n<i>`,
 * address 10.x.y.i), joined by a bridge in the root namespace (10.x.y.254), so the harness, the
 * workers and the client proxies reach every node from the root namespace through the bridge.
 * Peer faults are kernel-level (link-rules.ts explains which and why); clients still get cut off
 * through their own WebSocket proxies (net/client-proxy.ts), which is simpler and just as real
 * from the client's side.
 *
 * Only namespaces, veths and a bridge this run made are touched. They are removed on close, on
 * SIGINT/SIGTERM and at exit (a run that throws), and a later run removes what a crashed one
 * left (the run id names the owning pid). If the machine does not allow it (not root, no `ip`,
 * no namespaces, no tc htb/u32), `tryStart` says why and the caller uses the proxy instead.
 */
import type { LinkDelay } from '../link-proxy.js';
import { type LinkFault, type PeerNet, partitionPairs } from '../peer-net.js';
import { run, runSync, tryRun } from './ip-tool.js';
import {
  type Argv,
  type Blocks,
  blockCommands,
  delayCommands,
  pairKey,
  setupCommands,
  teardownCommands,
} from './link-rules.js';
import {
  makeRunId,
  NETNS_NODE_PORT,
  type NetnsLayout,
  netnsLayout,
  pickSubnet,
  prefixesIn,
  staleLeftovers,
} from './names.js';

let runCounter = 0;
/** Nets not closed yet, for the signal and exit cleanup. */
const live = new Set<NetnsNet>();

export type NetnsStart = { readonly net: NetnsNet } | { readonly unavailable: string };

export class NetnsNet implements PeerNet {
  readonly mode = 'netns' as const;
  private blocks: Blocks = new Map();
  private delay: LinkDelay | null = null;
  private closed = false;

  private delayProblem: string | null = null;

  private constructor(readonly layout: NetnsLayout) {}

  /** Sets the network up, or says why it cannot be (nothing is left behind then). */
  static async tryStart(names: readonly string[], log: (line: string) => void): Promise<NetnsStart> {
    if (process.platform !== 'linux')
      return { unavailable: `network namespaces need Linux (this is ${process.platform})` };
    if (process.getuid?.() !== 0)
      return { unavailable: 'network namespaces need root (run as root, or use the proxy)' };
    try {
      await run(['ip', '-V']);
    } catch (err) {
      return { unavailable: `iproute2 is not usable: ${(err as Error).message}` };
    }
    const removed = removeStaleLeftovers();
    if (removed.length > 0) log(`netns: removed leftovers of crashed runs: ${removed.join(', ')}`);

    const runId = makeRunId(process.pid, runCounter++);
    const inUse = prefixesIn(
      `${await run(['ip', '-4', '-o', 'addr', 'show'])}\n${await run(['ip', '-4', 'route', 'show', 'table', 'all'])}`,
    );
    const subnet = pickSubnet(runId, inUse);
    if (subnet === null) return { unavailable: 'no free 10.x.y.0/24 for the bridge' };
    const layout = netnsLayout(runId, names, subnet);
    const net = new NetnsNet(layout);
    live.add(net);
    installCleanup();
    for (const argv of setupCommands(layout)) {
      const failed = await tryRun(argv);
      if (failed !== null) {
        await net.close();
        return { unavailable: `cannot set up network namespaces: ${failed.message}` };
      }
    }
    // netem is a module some kernels lack: without it slow-network is left out, the rest works
    const first = layout.nodes[0]!;
    const probe = await tryRun([
      'tc',
      'qdisc',
      'add',
      'dev',
      first.veth,
      'parent',
      '1:1',
      'handle',
      '10:',
      'netem',
      'delay',
      '1ms',
    ]);
    if (probe === null) await run(['tc', 'qdisc', 'del', 'dev', first.veth, 'parent', '1:1', 'handle', '10:']);
    else net.delayProblem = `no netem qdisc in this kernel (${probe.stderr.trim()})`;
    return { net };
  }

  get delayUnsupported(): string | null {
    return this.delayProblem;
  }

  get id(): string {
    return `netns-${this.layout.runId}`;
  }

  get description(): string {
    return `netns (each node in namespace ${this.layout.nodes[0]?.ns.replace(/n1$/, 'n<i>')}, ${this.layout.subnet} on bridge ${this.layout.bridge}; peer faults in the kernel)`;
  }

  listenOn(name: string): { host: string; port: number } {
    return { host: this.nodeOf(name).address, port: NETNS_NODE_PORT };
  }

  peerUrl(_from: string, to: string): string {
    return `http://${this.nodeOf(to).address}:${NETNS_NODE_PORT}`;
  }

  commandPrefix(name: string): readonly string[] {
    // `ip netns exec` execs the command: the child's pid is the server's (signals reach it)
    return ['ip', 'netns', 'exec', this.nodeOf(name).ns];
  }

  async partition(groups: readonly (readonly string[])[], fault: LinkFault): Promise<void> {
    const names = this.layout.nodes.map((n) => n.name);
    await this.setBlocks(new Map(partitionPairs(names, groups).map(([f, t]) => [pairKey(f, t), fault] as const)));
  }

  async oneWay(from: readonly string[], to: readonly string[], fault: LinkFault): Promise<void> {
    const next = new Map(this.blocks);
    for (const f of from) for (const t of to) if (f !== t) next.set(pairKey(f, t), fault);
    await this.setBlocks(next);
  }

  async delayAll(delay: LinkDelay): Promise<void> {
    if (this.delayUnsupported !== null) throw new Error(`netns: cannot add latency: ${this.delayUnsupported}`);
    await this.runAll(delayCommands(this.layout, this.delay, delay));
    this.delay = delay;
  }

  async healAll(): Promise<void> {
    await this.setBlocks(new Map());
    if (this.delay !== null) {
      await this.runAll(delayCommands(this.layout, this.delay, null));
      this.delay = null;
    }
  }

  describe(): string {
    const parts = [...this.blocks].map(([key, fault]) => `${key} ${fault}`);
    if (this.delay !== null) parts.push(`every link +${this.delay.delayMs}ms ±${this.delay.jitterMs}ms`);
    return parts.join(', ');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    live.delete(this);
    // deleting the namespaces takes the veths and every rule with them
    for (const argv of teardownCommands(this.layout)) await tryRun(argv);
    if (live.size === 0) uninstallCleanup();
  }

  /** What close does, synchronously, plus killing anything still running inside (signal/exit path). */
  closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    live.delete(this);
    for (const n of this.layout.nodes) killInside(n.ns);
    for (const argv of teardownCommands(this.layout)) runSync(argv);
  }

  private nodeOf(name: string): NetnsLayout['nodes'][number] {
    const n = this.layout.nodes.find((x) => x.name === name);
    if (n === undefined) throw new Error(`no node ${name}`);
    return n;
  }

  private async setBlocks(next: Blocks): Promise<void> {
    const phases = blockCommands(this.layout, this.blocks, next);
    // recorded first: a failed command must not leave rules the next heal does not know about
    this.blocks = next;
    for (const phase of phases) await this.runAll(phase);
  }

  private async runAll(cmds: readonly Argv[]): Promise<void> {
    if (this.closed) throw new Error('netns: the network is closed');
    await Promise.all(cmds.map((argv) => run(argv)));
  }
}

/** Kills what runs in a namespace of ours (its servers): a namespace with processes outlives `ip netns del`. */
function killInside(ns: string): void {
  const pids = runSync(['ip', 'netns', 'pids', ns]);
  for (const pid of (pids ?? '').split('\n').map(Number)) {
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** Removes namespaces and links of runs whose process is gone; returns their names. */
function removeStaleLeftovers(): string[] {
  const { namespaces } = staleLeftovers(runSync(['ip', 'netns', 'list']) ?? '', '', isAlive);
  for (const ns of namespaces) {
    killInside(ns);
    runSync(['ip', 'netns', 'del', ns]);
  }
  // listed after: deleting a namespace took its veths along; what is left is bridges (and strays)
  const { links } = staleLeftovers('', runSync(['ip', '-o', 'link', 'show']) ?? '', isAlive);
  for (const link of links) runSync(['ip', 'link', 'del', link]);
  return [...namespaces, ...links];
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
let installed = false;

function cleanupAll(): void {
  for (const net of [...live]) net.closeSync();
}

function onSignal(signal: keyof typeof SIGNAL_EXIT_CODES): void {
  process.stderr.write(`chaos: ${signal}: removing the run's network namespaces\n`);
  cleanupAll();
  process.exit(SIGNAL_EXIT_CODES[signal]);
}

const onSigint = (): void => onSignal('SIGINT');
const onSigterm = (): void => onSignal('SIGTERM');

function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  process.on('exit', cleanupAll);
}

function uninstallCleanup(): void {
  if (!installed) return;
  installed = false;
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigterm);
  process.off('exit', cleanupAll);
}
