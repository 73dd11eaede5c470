/**
 * The leader of three dies and both followers pre-campaign before either hears the other (in
 * the same tick, or a little apart on a slow machine). Without a tie-break each pre-candidate
 * grants the other's pre-vote, both become candidates, vote for themselves and split the vote:
 * no leader for another whole election timeout (issue 8's failover gap doubles). A pre-candidate
 * that grants a higher id steps back, so the higher one wins in the first round.
 */
import { describe, expect, it } from 'vitest';
import { RawNode } from './rawnode.js';
import { bootstrappedStorage, settle } from './settle.testing.js';
import type { MemoryStorage } from './storage.js';

const ELECTION_TICKS = 10;
/** Every randomized timeout is exactly T: the followers' timers fire in the same tick. */
const rng = { nextInt: (min: number) => min };

interface Member {
  readonly raw: RawNode;
  readonly storage: MemoryStorage;
}

function member(id: number, extraTicks = new Map<number, number>()): Member {
  const storage = bootstrappedStorage([1, 2, 3]);
  // a node listed in extraTicks draws a timeout that many ticks above T
  const draw = { nextInt: (min: number) => min + (extraTicks.get(id) ?? 0) };
  const raw = new RawNode({
    id,
    storage,
    rng: extraTicks.size > 0 ? draw : rng,
    electionTimeoutTicks: ELECTION_TICKS,
    electionJitterTicks: 2,
    heartbeatTicks: 1,
  });
  return { raw, storage };
}

/** A 3-node cluster whose leader (1) died right after a heartbeat round; returns the old term. */
function clusterWithDeadLeader(extraTicks = new Map<number, number>()): {
  nodes: Map<number, Member>;
  down: Set<number>;
  oldTerm: number;
} {
  const nodes = new Map([1, 2, 3].map((id) => [id, member(id, extraTicks)]));
  settle(nodes); // apply the bootstrap configuration
  const old = nodes.get(1)!.raw;
  old.campaign();
  settle(nodes);
  expect(old.status().softState.role).toBe('leader');
  old.tick();
  settle(nodes);
  return { nodes, down: new Set([1]), oldTerm: old.status().hardState.term };
}

function expectOneRoundWonBy3(nodes: Map<number, Member>, oldTerm: number): void {
  expect(nodes.get(3)!.raw.status().softState.role).toBe('leader');
  expect(nodes.get(2)!.raw.status().softState).toMatchObject({ role: 'follower', lead: 3 });
  expect(nodes.get(3)!.raw.status().hardState.term).toBe(oldTerm + 1);
}

describe('pre-vote tie-break', () => {
  it('two followers timing out in the same tick elect the higher id in one round, without a split vote', () => {
    const { nodes, down, oldTerm } = clusterWithDeadLeader();
    // 2 and 3 tick in lockstep, nothing delivered between ticks: both pre-campaign together
    const followers = [nodes.get(2)!.raw, nodes.get(3)!.raw];
    for (let t = 0; t < ELECTION_TICKS; t++) for (const f of followers) f.tick();
    expect(followers.map((f) => f.status().softState.role)).toEqual(['preCandidate', 'preCandidate']);
    settle(nodes, down);
    expectOneRoundWonBy3(nodes, oldTerm);
  });

  it('so do two pre-candidates that started ticks apart before hearing each other (a slow machine)', () => {
    const { nodes, down, oldTerm } = clusterWithDeadLeader();
    const [two, three] = [nodes.get(2)!.raw, nodes.get(3)!.raw];
    for (let t = 0; t < ELECTION_TICKS; t++) two.tick();
    for (let t = 0; t < ELECTION_TICKS - 3; t++) three.tick();
    expect(two.status().softState.role).toBe('preCandidate');
    for (let t = 0; t < 3; t++) {
      two.tick();
      three.tick();
    }
    expect(three.status().softState.role).toBe('preCandidate');
    settle(nodes, down);
    expectOneRoundWonBy3(nodes, oldTerm);
  });

  it('a pre-candidate stands back only once per term asked for: a higher id that hears no answers cannot hold it back', () => {
    const { nodes } = clusterWithDeadLeader();
    const [two, three] = [nodes.get(2)!.raw, nodes.get(3)!.raw];
    for (let t = 0; t < ELECTION_TICKS; t++) {
      two.tick();
      three.tick();
    }
    expect([two, three].map((r) => r.status().softState.role)).toEqual(['preCandidate', 'preCandidate']);
    const preVote = (() => {
      while (three.hasReady()) {
        const rd = three.ready();
        three.advance();
        const m = rd.messages.find((x) => x.type === 'preVote' && x.to === 2);
        if (m !== undefined) return m;
      }
      throw new Error('no pre-vote from 3');
    })();
    two.step(preVote);
    expect(two.status().softState.role).toBe('follower'); // stood back for 3
    // 3 is deaf (a one-way partition): it never hears the grant and asks again for the same term;
    // 2's timer runs out, it pre-campaigns again and this time does not stand back
    for (let t = 0; t < 2 * ELECTION_TICKS && two.status().softState.role === 'follower'; t++) two.tick();
    expect(two.status().softState.role).toBe('preCandidate');
    two.step(preVote);
    expect(two.status().softState.role).toBe('preCandidate');
  });
});
