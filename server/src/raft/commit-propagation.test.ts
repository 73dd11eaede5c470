/**
 * How followers learn the commit index. By default (eagerCommitPropagation off) the leader sends
 * no frame for a commit index alone: the next append or heartbeat carries it, so a commit costs
 * one message each way per follower. With the option on (etcd's behaviour) the leader sends an
 * empty append as soon as its commit index moves.
 */
import { describe, expect, it } from 'vitest';
import { RawNode } from './rawnode.js';
import { bootstrappedStorage, settle } from './settle.testing.js';
import type { MemoryStorage } from './storage.js';

const rng = { nextInt: (min: number) => min };

interface TestNode {
  readonly raw: RawNode;
  readonly storage: MemoryStorage;
}

function cluster(eagerCommitPropagation: boolean, ids: readonly number[] = [1, 2, 3]): Map<number, TestNode> {
  return new Map(
    ids.map((id) => {
      const storage = bootstrappedStorage([1, 2, 3]);
      const raw = new RawNode({
        id,
        storage,
        rng,
        electionTimeoutTicks: 10,
        heartbeatTicks: 1,
        eagerCommitPropagation,
      });
      return [id, { raw, storage }];
    }),
  );
}

function electOne(nodes: Map<number, TestNode>): RawNode {
  settle(nodes);
  const leader = nodes.get(1)?.raw as RawNode;
  leader.campaign();
  settle(nodes);
  expect(leader.status().softState.role).toBe('leader');
  leader.tick(); // a heartbeat round: everyone knows the commit index of the leader's first entry
  settle(nodes);
  return leader;
}

const committed = (nodes: Map<number, TestNode>, id: number): number =>
  nodes.get(id)?.raw.status().hardState.commit ?? -1;

describe('commit index propagation', () => {
  it('by default a proposal costs one append and one answer per follower; the next heartbeat carries the commit', () => {
    const nodes = cluster(false);
    const leader = electOne(nodes);
    expect(leader.propose(new Uint8Array([7])).ok).toBe(true);
    const sent = settle(nodes);
    const index = leader.status().lastIndex;
    expect(leader.status().hardState.commit).toBe(index);
    const toFollowers = sent.filter((m) => m.from === 1);
    expect(toFollowers.map((m) => `${m.type}->${m.to}`).sort()).toEqual(['app->2', 'app->3']);
    expect(toFollowers.every((m) => m.entries.length === 1)).toBe(true);
    expect(sent.filter((m) => m.from !== 1).map((m) => m.type)).toEqual(['appResp', 'appResp']);
    // the followers have the entry but do not know it is committed yet…
    expect(committed(nodes, 2)).toBeLessThan(index);
    expect(committed(nodes, 3)).toBeLessThan(index);
    // …until the next heartbeat (or the next append, which carries the commit index too)
    leader.tick();
    const beat = settle(nodes);
    expect(beat.filter((m) => m.from === 1).every((m) => m.type === 'heartbeat')).toBe(true);
    expect(committed(nodes, 2)).toBe(index);
    expect(committed(nodes, 3)).toBe(index);

    expect(leader.propose(new Uint8Array([8])).ok).toBe(true);
    const next = settle(nodes).filter((m) => m.from === 1 && m.type === 'app');
    expect(next.length).toBe(2);
    expect(next.every((m) => m.commit === index)).toBe(true);
  });

  it('with eagerCommitPropagation the leader sends the new commit index at once', () => {
    const nodes = cluster(true);
    const leader = electOne(nodes);
    expect(leader.propose(new Uint8Array([7])).ok).toBe(true);
    const sent = settle(nodes);
    const index = leader.status().lastIndex;
    const apps = sent.filter((m) => m.from === 1 && m.type === 'app');
    expect(apps.length).toBe(4); // the entry, then the commit index, to each follower
    expect(apps.filter((m) => m.entries.length === 0 && m.commit === index).length).toBe(2);
    expect(committed(nodes, 2)).toBe(index);
    expect(committed(nodes, 3)).toBe(index);
  });

  // the leader stops talking to a member once it applies that member's removal: the commit of a
  // configuration change must reach everyone at once, or the removed member never learns of it
  it('a removed voter learns at once that its removal committed', () => {
    const nodes = cluster(false);
    const leader = electOne(nodes);
    expect(leader.proposeConfChange({ type: 'removeNode', nodeId: 3 }).ok).toBe(true);
    settle(nodes);
    for (let i = 0; i < 3; i++) {
      leader.tick();
      settle(nodes);
    }
    const index = leader.status().lastIndex;
    expect(leader.status().confState.voters).toEqual([1, 2]);
    expect(committed(nodes, 3)).toBe(index);
    expect(nodes.get(3)?.raw.status().confState.voters).toEqual([1, 2]);
  });

  it('a removed learner learns at once that its removal committed', () => {
    const nodes = cluster(false, [1, 2, 3, 4]);
    const leader = electOne(nodes);
    expect(leader.proposeConfChange({ type: 'addLearner', nodeId: 4 }).ok).toBe(true);
    settle(nodes);
    for (let i = 0; i < 3; i++) {
      leader.tick();
      settle(nodes);
    }
    expect(nodes.get(4)?.raw.status().confState.learners).toEqual([4]);
    expect(leader.proposeConfChange({ type: 'removeNode', nodeId: 4 }).ok).toBe(true);
    settle(nodes);
    for (let i = 0; i < 3; i++) {
      leader.tick();
      settle(nodes);
    }
    expect(leader.status().confState.learners).toEqual([]);
    expect(nodes.get(4)?.raw.status().confState.learners).toEqual([]);
    expect(committed(nodes, 4)).toBe(leader.status().lastIndex);
  });
});
