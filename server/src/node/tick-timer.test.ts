/**
 * The node's tick timer sleeps until something is due (RaftNode.armTimer): a leader wakes every
 * tick, a follower that hears its leader only when its election timeout would run out, and any
 * node with a read waiting every tick until the read's deadline. With the default timing in
 * virtual time, counted through the tick listeners (they run once per timer wake-up).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CONFIG_DEFAULTS } from './config.js';
import type { Coordinator } from './coordinator.js';
import { MemoryNodeStorage } from './node-storage.js';
import { MAX_SLEEP_TICKS } from './raft-node.js';
import { seededRng, startVirtualCluster, type VirtualCluster } from './virtual-cluster.testing.js';

const { tickMs: TICK_MS, electionTimeoutTicks, electionJitterTicks, heartbeatTicks } = CONFIG_DEFAULTS;
const WINDOW_MS = 2_000;
const TICKS_IN_WINDOW = WINDOW_MS / TICK_MS;

function start(seed: number): Promise<VirtualCluster> {
  return startVirtualCluster(
    {
      tickMs: TICK_MS,
      netMs: 1,
      snapshotEveryEntries: 100_000,
      storage: () => new MemoryNodeStorage(),
      electionTimeoutTicks,
      electionJitterTicks,
      heartbeatTicks,
    },
    seededRng(seed),
  );
}

/** Counts each node's timer wake-ups from now on. */
function countWakeUps(nodes: readonly Coordinator[]): Map<Coordinator, number> {
  const counts = new Map<Coordinator, number>(nodes.map((n) => [n, 0]));
  for (const n of nodes) n.node.onTick(() => counts.set(n, (counts.get(n) ?? 0) + 1));
  return counts;
}

describe('the tick timer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('wakes a leader every tick and a follower that hears it about once per election timeout', async () => {
    for (const seed of [1, 2, 3]) {
      const c = await start(seed);
      const leader = await c.leader();
      const counts = countWakeUps(c.nodes);
      await c.advance(WINDOW_MS);
      const leaderWakes = counts.get(leader) ?? 0;
      expect(leaderWakes, `seed ${seed}`).toBeGreaterThanOrEqual(TICKS_IN_WINDOW - 1);
      expect(leaderWakes, `seed ${seed}`).toBeLessThanOrEqual(TICKS_IN_WINDOW + 1);
      for (const f of c.nodes.filter((n) => n !== leader)) {
        const wakes = counts.get(f) ?? 0;
        // at least once per MAX_SLEEP_TICKS (the tick listeners), at most once per election timeout
        expect(wakes, `seed ${seed}`).toBeGreaterThanOrEqual(Math.floor(TICKS_IN_WINDOW / MAX_SLEEP_TICKS));
        expect(wakes, `seed ${seed}`).toBeLessThanOrEqual(Math.ceil(TICKS_IN_WINDOW / electionTimeoutTicks) + 1);
        expect(f.node.isLeader).toBe(false);
      }
      expect(leader.node.isLeader, `seed ${seed}: no election while the followers slept`).toBe(true);
      await c.stop();
    }
  });

  it('wakes every tick while a read waits, so the read fails at its deadline, not a sleep later', async () => {
    const c = await start(4);
    const leader = await c.leader();
    const [survivor, other] = c.nodes.filter((n) => n !== leader) as [Coordinator, Coordinator];
    c.crash(leader);
    c.crash(other);
    // the survivor cannot win an election alone: it campaigns once per election timeout and sleeps between
    await c.advance(3 * (electionTimeoutTicks + electionJitterTicks) * TICK_MS);
    const counts = countWakeUps([survivor]);
    const askedAt = c.clock.monotonicMs();
    let failedAt: number | null = null;
    survivor.node.linearizableRead().catch(() => {
      failedAt = c.clock.monotonicMs();
    });
    const readTimeoutMs = 1_000; // startVirtualCluster's
    for (let t = 0; t < readTimeoutMs + 4 * TICK_MS && failedAt === null; t++) await c.advance(1);
    expect(failedAt).not.toBeNull();
    expect((failedAt ?? 0) - askedAt).toBeGreaterThanOrEqual(readTimeoutMs);
    expect((failedAt ?? 0) - askedAt).toBeLessThanOrEqual(readTimeoutMs + TICK_MS + 1);
    expect(counts.get(survivor) ?? 0).toBeGreaterThanOrEqual(readTimeoutMs / TICK_MS - 1);
    await c.stop();
  });
});
