/**
 * RawNode.progress(): the leader's view of each member, which the admin layer uses to pick a
 * leadership-transfer target and to tell when a learner has caught up.
 */
import { describe, expect, it } from 'vitest';
import { RawNode } from './rawnode.js';
import { bootstrappedStorage, settle } from './settle.testing.js';
import type { MemoryStorage } from './storage.js';

const rng = { nextInt: (min: number) => min };

function node(id: number, voters: number[]): { raw: RawNode; storage: MemoryStorage } {
  const storage = bootstrappedStorage(voters);
  return { raw: new RawNode({ id, storage, rng, electionTimeoutTicks: 10, heartbeatTicks: 1 }), storage };
}

describe('RawNode.progress', () => {
  it('is empty on a follower; on the leader it shows match and how long ago each member answered', () => {
    const nodes = new Map([1, 2, 3].map((id) => [id, node(id, [1, 2, 3])]));
    const leader = nodes.get(1)?.raw as RawNode;
    settle(nodes); // apply the bootstrap configuration first: a node campaigns only once it knows it
    leader.campaign();
    settle(nodes);
    expect(leader.status().softState.role).toBe('leader');
    expect(nodes.get(2)?.raw.progress()).toEqual([]);
    for (let i = 0; i < 3; i++) {
      leader.tick();
      settle(nodes);
    }
    const last = leader.status().lastIndex;
    const byId = new Map(leader.progress().map((p) => [p.id, p]));
    expect(byId.get(1)).toMatchObject({ match: last, ticksSinceAck: 0, isLearner: false });
    expect(byId.get(2)).toMatchObject({ match: last, state: 'replicate' });
    expect(byId.get(2)?.ticksSinceAck).toBeLessThanOrEqual(1);

    // node 3 goes silent: its ticksSinceAck grows with the leader's ticks, its match stops
    const down = new Set([3]);
    for (let i = 0; i < 5; i++) {
      leader.tick();
      settle(nodes, down);
    }
    expect(leader.propose(new Uint8Array([1])).ok).toBe(true);
    settle(nodes, down);
    const after = new Map(leader.progress().map((p) => [p.id, p]));
    expect(after.get(3)?.ticksSinceAck).toBeGreaterThanOrEqual(5);
    expect(after.get(3)?.match).toBe(last);
    expect(after.get(2)?.match).toBe(last + 1);
  });
});
