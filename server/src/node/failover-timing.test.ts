/**
 * Issue 8, workload 3 with the default timing (CONFIG_DEFAULTS), in virtual time: a crashed
 * leader is replaced within the randomized election timeout's maximum plus an election's round
 * trips, in one term (no split vote), and a leader that goes quiet for less than the minimum
 * election timeout minus a heartbeat interval keeps its leadership (no spurious change).
 */
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS } from './config.js';
import type { Coordinator } from './coordinator.js';
import { MemoryNodeStorage, type PersistUpdate } from './node-storage.js';
import { seededRng, startVirtualCluster, useVirtualTimers, type VirtualCluster } from './virtual-cluster.testing.js';

const { tickMs: TICK_MS, electionTimeoutTicks, electionJitterTicks, heartbeatTicks } = CONFIG_DEFAULTS;
const NET_MS = 1;
const PERSIST_MS = 2;
const MIN_TIMEOUT_MS = electionTimeoutTicks * TICK_MS;
const MAX_TIMEOUT_MS = (electionTimeoutTicks + electionJitterTicks) * TICK_MS;
const HEARTBEAT_MS = heartbeatTicks * TICK_MS;
/** Pre-vote, vote and the new leader's first commit: a few hops and fsyncs, and tick rounding. */
const ELECTION_ROUNDS_MAX_MS = 2 * TICK_MS;
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

class FsyncDisk extends MemoryNodeStorage {
  override async persist(update: PersistUpdate): Promise<void> {
    await new Promise((r) => setTimeout(r, PERSIST_MS));
    await super.persist(update);
  }
}

function start(seed: number): Promise<VirtualCluster> {
  return startVirtualCluster(
    {
      tickMs: TICK_MS,
      netMs: NET_MS,
      snapshotEveryEntries: 100_000,
      storage: () => new FsyncDisk(),
      electionTimeoutTicks,
      electionJitterTicks,
      heartbeatTicks,
    },
    seededRng(seed),
  );
}

function termOf(c: VirtualCluster): number {
  return Math.max(...c.nodes.map((n) => n.node.status().hardState.term));
}

/** Advances 1 ms at a time until another node leads (bounded); returns it and the ms it took. */
async function nextLeader(c: VirtualCluster, old: Coordinator): Promise<{ leader: Coordinator; ms: number }> {
  const from = c.clock.monotonicMs();
  for (let t = 0; t < 5 * MAX_TIMEOUT_MS; t++) {
    const leader = c.nodes.find((n) => n !== old && n.node.isLeader);
    if (leader !== undefined) return { leader, ms: c.clock.monotonicMs() - from };
    await c.advance(1);
  }
  throw new Error('no new leader');
}

describe('failover timing with the default election timeout', () => {
  useVirtualTimers();

  it('the defaults keep the lease rule: the lease ends before any follower may vote again', () => {
    // raft/config.ts's default drift: the lease is electionTimeoutTicks − 2 ticks
    const leaseMs = (electionTimeoutTicks - 2) * TICK_MS;
    expect(leaseMs).toBeLessThan(MIN_TIMEOUT_MS - TICK_MS);
    expect(MAX_TIMEOUT_MS).toBeLessThanOrEqual(400);
    expect(HEARTBEAT_MS).toBeLessThan(leaseMs / 4);
  });

  it('a crashed leader is replaced within the maximum timeout plus the election, in one term', async () => {
    for (const seed of SEEDS) {
      const c = await start(seed);
      const old = await c.leader();
      // crash at a different phase of the heartbeat interval in each run
      await c.advance(seed * 7);
      const term = termOf(c);
      c.crash(old);
      const { ms } = await nextLeader(c, old);
      expect(ms, `seed ${seed}`).toBeGreaterThanOrEqual(MIN_TIMEOUT_MS - HEARTBEAT_MS - TICK_MS);
      expect(ms, `seed ${seed}`).toBeLessThanOrEqual(MAX_TIMEOUT_MS + ELECTION_ROUNDS_MAX_MS);
      expect(termOf(c), `seed ${seed}: one election round`).toBe(term + 1);
      await c.stop();
    }
  });

  it('a leader quiet for less than the minimum timeout minus a heartbeat keeps leading', async () => {
    for (const seed of SEEDS.slice(0, 3)) {
      const c = await start(seed);
      const leader = await c.leader();
      const term = termOf(c);
      c.mute(leader, MIN_TIMEOUT_MS - HEARTBEAT_MS - TICK_MS);
      await c.advance(2 * MAX_TIMEOUT_MS);
      expect(termOf(c), `seed ${seed}`).toBe(term);
      expect(leader.node.isLeader, `seed ${seed}`).toBe(true);
      await c.stop();
    }
  });
});
