/**
 * The node's tick timer sleeps until something is due (RaftNode.armTimer): a leader wakes every
 * tick, a follower that hears its leader only when its election timeout would run out, and any
 * node with a read waiting every tick until the read's deadline. With the default timing in
 * virtual time, counted through the tick listeners (they run once per timer wake-up).
 */
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS } from './config.js';
import type { Coordinator } from './coordinator.js';
import { MemoryNodeStorage } from './node-storage.js';
import { MAX_SLEEP_TICKS } from './raft-node.js';
import { seededRng, startVirtualCluster, useVirtualTimers, type VirtualCluster } from './virtual-cluster.testing.js';

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
  useVirtualTimers();

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

  it('a fresh cluster campaigns within its randomized election timeout (the configuration arrives in advance())', async () => {
    const maxTimeoutMs = (electionTimeoutTicks + electionJitterTicks) * TICK_MS;
    for (const seed of [5, 6, 7]) {
      const c = await start(seed);
      let electedAt: number | null = null;
      for (let t = 0; t < 2 * MAX_SLEEP_TICKS * TICK_MS && electedAt === null; t++) {
        if (c.nodes.some((n) => n.node.isLeader)) electedAt = c.clock.monotonicMs();
        else await c.advance(1);
      }
      expect(electedAt, `seed ${seed}`).not.toBeNull();
      // pre-vote and vote: a few network hops and fsyncs after the first timeout runs out
      expect(electedAt ?? 0, `seed ${seed}`).toBeLessThanOrEqual(maxTimeoutMs + 2 * TICK_MS);
      await c.stop();
    }
  });

  it('runs the tick listeners when a configuration takes effect, not a sleep later', async () => {
    for (const seed of [8, 9, 10]) {
      const c = await start(seed);
      const leader = await c.leader();
      const followers = c.nodes.filter((n) => n !== leader);
      const sawLearnerAt = new Map<Coordinator, number>();
      for (const f of followers) {
        f.node.onTick(() => {
          if (!sawLearnerAt.has(f) && f.node.status().confState.learners.includes(4)) {
            sawLearnerAt.set(f, c.clock.monotonicMs());
          }
        });
      }
      const proposedAt = c.clock.monotonicMs();
      // a learner that never answers (no node 4 on the virtual network): the change commits anyway
      void leader.node.proposeConfChange({ type: 'addLearner', nodeId: 4 }).catch(() => {});
      for (let t = 0; t < 1_000 && sawLearnerAt.size < followers.length; t++) await c.advance(1);
      for (const f of followers) {
        // the commit reaches a follower with the next heartbeat; its wake-up may be ~14 ticks away
        expect((sawLearnerAt.get(f) ?? Number.POSITIVE_INFINITY) - proposedAt, `seed ${seed}`).toBeLessThanOrEqual(
          heartbeatTicks * TICK_MS + 5,
        );
      }
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
