/**
 * RawNode.ticksUntilDue: how many ticks a driver may let pass before the core acts on its own.
 * The node sleeps that long between timer wake-ups (node/raft-node.ts armTimer), so it must never
 * be later than the tick at which the core would campaign, and a leader must tick every tick.
 */
import { describe, expect, it } from 'vitest';
import type { Rng } from './config.js';
import { RawNode } from './rawnode.js';
import { bootstrappedStorage, settle } from './settle.testing.js';
import type { MemoryStorage } from './storage.js';

const ELECTION = 10;
const JITTER = 5;

interface TestNode {
  readonly raw: RawNode;
  readonly storage: MemoryStorage;
}

/** Always the same pick from [lo, hi): a fixed randomized timeout per test. */
function fixedRng(offset: number): Rng {
  return { nextInt: (lo, hi) => Math.min(hi - 1, lo + offset) };
}

function node(id: number, rng: Rng, voters: readonly number[] = [1, 2, 3]): TestNode {
  const storage = bootstrappedStorage(voters);
  const raw = new RawNode({
    id,
    storage,
    rng,
    electionTimeoutTicks: ELECTION,
    electionJitterTicks: JITTER,
    heartbeatTicks: 2,
  });
  return { raw, storage };
}

function cluster(rng: Rng): Map<number, TestNode> {
  const nodes = new Map([1, 2, 3].map((id) => [id, node(id, rng)] as const));
  settle(nodes); // apply the bootstrap configuration: a node campaigns only once it knows it is a voter
  return nodes;
}

function role(n: TestNode): string {
  return n.raw.status().softState.role;
}

describe('ticksUntilDue', () => {
  it('on a follower is exactly the ticks left before it campaigns, for every randomized timeout', () => {
    for (let offset = 0; offset < JITTER; offset++) {
      const f = cluster(fixedRng(offset)).get(1) as TestNode;
      const predicted = f.raw.ticksUntilDue();
      expect(predicted).toBe(ELECTION + offset);
      for (let t = 1; t < predicted; t++) {
        f.raw.tick();
        expect(role(f), `offset ${offset}, tick ${t}`).toBe('follower');
        expect(f.raw.ticksUntilDue()).toBe(predicted - t);
      }
      f.raw.tick();
      expect(role(f)).toBe('preCandidate');
    }
  });

  it('moves later when the leader is heard, and is 1 on the leader', () => {
    const nodes = cluster(fixedRng(0));
    const leader = nodes.get(1) as TestNode;
    leader.raw.campaign();
    settle(nodes);
    expect(role(leader)).toBe('leader');
    expect(leader.raw.ticksUntilDue()).toBe(1);
    const follower = nodes.get(2) as TestNode;
    for (let t = 0; t < 6; t++) follower.raw.tick();
    expect(follower.raw.ticksUntilDue()).toBe(ELECTION - 6);
    // two leader ticks: a heartbeat round, which resets the follower's election timer
    leader.raw.tick();
    leader.raw.tick();
    settle(nodes);
    expect(follower.raw.ticksUntilDue()).toBe(ELECTION);
    for (let t = 0; t < 3 * ELECTION; t++) {
      leader.raw.tick();
      follower.raw.tick();
      settle(nodes); // heartbeats answered: CheckQuorum keeps it leader
      expect(leader.raw.ticksUntilDue()).toBe(1);
      // a heartbeat every 2 ticks: the follower is never more than 2 ticks into its timeout
      expect(follower.raw.ticksUntilDue()).toBeGreaterThanOrEqual(ELECTION - 2);
    }
    expect(role(follower)).toBe('follower');
  });

  it('is Infinity on a node outside the configuration: nothing is due by time alone', () => {
    const outsider = node(4, fixedRng(0));
    settle(new Map([[4, outsider]]));
    expect(outsider.raw.ticksUntilDue()).toBe(Number.POSITIVE_INFINITY);
    for (let t = 0; t < 10 * ELECTION; t++) outsider.raw.tick();
    expect(role(outsider)).toBe('follower');
  });
});
