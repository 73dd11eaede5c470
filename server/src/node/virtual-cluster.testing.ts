/**
 * Test support: three Coordinators on a manual clock with vitest's fake timers, their disks and
 * network simulated with timers, so a test measures the node loop's structure in virtual
 * milliseconds, independent of the machine running it. The caller installs fake timers
 * (setTimeout, setInterval, setImmediate and their clears) before start.
 */
import { afterEach, beforeEach, vi } from 'vitest';
import { bootstrapLog } from '../raft/confchange.js';
import type { Message, NodeId } from '../raft/types.js';
import { ManualClock } from './clock.js';
import { Coordinator } from './coordinator.js';
import { silentLogger } from './logger.js';
import { MemoryNodeStorage } from './node-storage.js';
import type { RaftTransport } from './raft-node.js';

export const VIRTUAL_IDS: readonly NodeId[] = [1, 2, 3];

export interface VirtualClusterOptions {
  readonly tickMs: number;
  /** Virtual milliseconds from send to delivery of one frame. */
  readonly netMs: number;
  readonly snapshotEveryEntries: number;
  /** Each node's disk (bootstrapped here); slow ones delay persist or createSnapshot with timers. */
  readonly storage: () => MemoryNodeStorage;
  /** Raft timing (default 10 ticks, jitter 10, heartbeat every tick). */
  readonly electionTimeoutTicks?: number;
  readonly electionJitterTicks?: number;
  readonly heartbeatTicks?: number;
}

export interface VirtualCluster {
  readonly clock: ManualClock;
  readonly nodes: readonly Coordinator[];
  /** Moves the clock and the fake timers on by `ms`, one millisecond at a time. */
  advance(ms: number): Promise<void>;
  /** Ticks until a leader with a valid lease exists (bounded); throws if none. */
  leader(): Promise<Coordinator>;
  /** The process dies: it sends and receives nothing from now on (it is stopped, not awaited). */
  crash(node: Coordinator): void;
  /** Everything `node` sends for the next `ms` is lost (the followers' view of a paused leader). */
  mute(node: Coordinator, ms: number): void;
  stop(): Promise<void>;
}

function transport(
  handlers: Map<NodeId, (m: Message[]) => void>,
  id: NodeId,
  netMs: number,
  silent: (id: NodeId) => boolean,
): RaftTransport {
  return {
    send: (msgs) => {
      if (silent(id)) return;
      // one frame per destination per send, delivered netMs later
      const byPeer = new Map<NodeId, Message[]>();
      for (const m of msgs) byPeer.set(m.to, [...(byPeer.get(m.to) ?? []), m]);
      for (const [to, batch] of byPeer) setTimeout(() => handlers.get(to)?.(batch), netMs);
    },
    onReceive: (h) => {
      handlers.set(id, h);
    },
    onUnreachable: () => {},
  };
}

/** glibc's LCG in 32-bit arithmetic, high bits (the long period): a seeded Rng for the nodes. */
export function seededRng(seed: number): { nextInt(min: number, max: number): number } {
  let state = seed;
  return {
    nextInt: (min, max) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return min + ((state >>> 16) % Math.max(1, max - min));
    },
  };
}

/** Fake timers (setTimeout, setInterval, setImmediate and their clears) for every test of the calling scope. */
export function useVirtualTimers(): void {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}

/** Moves the manual clock and the fake timers on together, one millisecond at a time. */
export function virtualAdvance(clock: ManualClock): (ms: number) => Promise<void> {
  return async (ms) => {
    for (let t = 0; t < ms; t++) {
      clock.advance(1);
      await vi.advanceTimersByTimeAsync(1);
    }
  };
}

/** Stops every node; stopping waits (on timers) for a Ready in flight, so time keeps moving meanwhile. */
export async function stopWhileTicking(
  nodes: readonly { stop(): Promise<void> }[],
  advance: (ms: number) => Promise<void>,
): Promise<void> {
  let stopped = false;
  const stopping = Promise.all(nodes.map((n) => n.stop())).then(() => {
    stopped = true;
  });
  for (let i = 0; i < 100_000 && !stopped; i++) await advance(1);
  await stopping;
}

export async function startVirtualCluster(opts: VirtualClusterOptions, rng = seededRng(7)): Promise<VirtualCluster> {
  const clock = new ManualClock();
  const handlers = new Map<NodeId, (m: Message[]) => void>();
  const crashed = new Set<NodeId>();
  const mutedUntilMs = new Map<NodeId, number>();
  const silent = (id: NodeId): boolean => crashed.has(id) || clock.monotonicMs() < (mutedUntilMs.get(id) ?? 0);
  const nodes: Coordinator[] = [];
  for (const id of VIRTUAL_IDS) {
    const storage = opts.storage();
    const boot = bootstrapLog([...VIRTUAL_IDS]);
    // the bootstrap is on disk before the clock starts
    await MemoryNodeStorage.prototype.persist.call(storage, {
      entries: boot.entries,
      hardState: boot.hardState,
      snapshot: null,
    });
    nodes.push(
      new Coordinator({
        id,
        storage,
        transport: transport(handlers, id, opts.netMs, silent),
        clock,
        rng,
        logger: silentLogger(),
        tickMs: opts.tickMs,
        electionTimeoutTicks: opts.electionTimeoutTicks ?? 10,
        electionJitterTicks: opts.electionJitterTicks,
        heartbeatTicks: opts.heartbeatTicks ?? 1,
        snapshotEveryEntries: opts.snapshotEveryEntries,
        readTimeoutMs: 1_000,
      }),
    );
  }
  for (const n of nodes) n.start();
  const advance = virtualAdvance(clock);
  return {
    clock,
    nodes,
    advance,
    leader: async () => {
      for (let i = 0; i < 500; i++) {
        const l = nodes.find((n) => n.node.isLeader && n.node.leaseRemainingMs() > 0);
        if (l !== undefined) return l;
        await advance(opts.tickMs);
      }
      throw new Error('no leader within 500 ticks');
    },
    crash: (node) => {
      crashed.add(node.node.id);
      handlers.delete(node.node.id);
      void node.stop();
    },
    mute: (node, ms) => {
      mutedUntilMs.set(node.node.id, clock.monotonicMs() + ms);
    },
    stop: () => stopWhileTicking(nodes, advance),
  };
}
