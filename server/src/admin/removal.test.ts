import { describe, expect, it } from 'vitest';
import type { NodeStatusView } from '../http/node-status.js';
import { silentLogger } from '../node/logger.js';
import type { Member } from '../node/members.js';
import type { ConfState } from '../raft/types.js';
import { RemovalWatcher, type StatusAnswer, type WatchedNode } from './removal.js';

const member = (name: string, id: number): Member => ({ name, id, peerUrl: `http://${name}`, clientUrl: '' });
const N1 = member('n1', 1);
const N2 = member('n2', 2);
const N3 = member('n3', 3);
const LEADERLESS_MS = 1_000;
const PROBE_EVERY_MS = 1_000;

class FakeNode implements WatchedNode {
  confState: ConfState = { voters: [1, 2, 3], learners: [] };
  leaderId = 2;
  applied = 10;
  stopped = false;
  private readonly ticks: (() => void)[] = [];
  onTick(l: () => void): void {
    this.ticks.push(l);
  }
  status(): { confState: ConfState } {
    return { confState: this.confState };
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  tick(): void {
    for (const l of this.ticks) l();
  }
}

function statusOf(name: string, appliedIndex: number, members: readonly string[]): StatusAnswer {
  const status: NodeStatusView = {
    name,
    role: 'follower',
    leader: null,
    leaderClientUrl: null,
    term: 3,
    commitIndex: appliedIndex,
    appliedIndex,
    lastIndex: appliedIndex,
    members: members.map((m) => ({ name: m, clientUrl: '', role: 'voter' })),
    clusterId: 'prod',
  };
  return { ok: true, status };
}

function setup(answers: Record<string, StatusAnswer>, initial?: ConfState) {
  const node = new FakeNode();
  if (initial !== undefined) node.confState = initial;
  let nowMs = 0;
  const asked: string[] = [];
  const watcher = new RemovalWatcher({
    node,
    self: N1,
    clusterId: 'prod',
    peers: () => [N2, N3],
    fetchStatus: async (p) => {
      asked.push(p.name);
      return answers[p.name] ?? { ok: false };
    },
    monotonicMs: () => nowMs,
    logger: silentLogger(),
    leaderlessMs: LEADERLESS_MS,
    probeEveryMs: PROBE_EVERY_MS,
  });
  const removals: string[] = [];
  watcher.onRemoved((r) => removals.push(r.reason));
  /** Advances the clock, ticks, and lets a probe round finish. */
  const step = async (ms: number): Promise<void> => {
    nowMs += ms;
    node.tick();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { node, watcher, removals, asked, step };
}

describe('a node notices its own removal', () => {
  it('by applying a configuration without itself, having been in one: it stops its loop', async () => {
    const { node, watcher, removals, step } = setup({});
    await step(10);
    expect(watcher.removed).toBeNull();
    node.confState = { voters: [2, 3], learners: [] };
    await step(10);
    expect(watcher.removed?.reason).toMatch(/configuration without n1/);
    expect(removals).toHaveLength(1);
    expect(node.stopped).toBe(true);
    await step(10);
    expect(removals).toHaveLength(1);
  });

  it('by the configuration it started with: a restarted member that applies its removal before its first tick', async () => {
    const { node, watcher, step } = setup({});
    // restored from disk with itself in the configuration; the log's later entries remove it
    // before any tick listener ran
    node.confState = { voters: [2, 3], learners: [] };
    await step(10);
    expect(watcher.removed?.reason).toMatch(/configuration without n1/);
    expect(node.stopped).toBe(true);
  });

  it('a joiner that was never in the configuration is not taken for removed', async () => {
    const { node, watcher, asked, step } = setup(
      { n2: statusOf('n2', 50, ['n2', 'n3']) },
      { voters: [], learners: [] }, // a joiner's node starts with no configuration
    );
    node.leaderId = 0;
    node.applied = 0;
    for (let i = 0; i < 10; i++) await step(LEADERLESS_MS);
    // catching up: the old configuration without it, applied from the log
    node.confState = { voters: [2, 3], learners: [] };
    node.applied = 3;
    for (let i = 0; i < 10; i++) await step(LEADERLESS_MS);
    expect(watcher.removed).toBeNull();
    expect(asked).toEqual([]);
    node.confState = { voters: [2, 3], learners: [1] };
    await step(10);
    expect(watcher.removed).toBeNull();
  });

  it('by asking the others once leaderless: a member at least as far along without it proves the removal', async () => {
    const { node, watcher, asked, step } = setup({
      n2: statusOf('n2', 12, ['n2', 'n3']),
      n3: { ok: false },
    });
    await step(10);
    node.leaderId = 0;
    await step(LEADERLESS_MS / 2);
    expect(asked).toEqual([]); // an ordinary election is not a reason to ask
    await step(LEADERLESS_MS);
    expect(asked.sort()).toEqual(['n2', 'n3']);
    expect(watcher.removed?.reason).toMatch(/n2 applied index 12 \(this node: 10\)/);
    expect(node.stopped).toBe(true);
  });

  it('a lagging member, or one that lists it, proves nothing (a partition never makes a member exit)', async () => {
    const { node, watcher, asked, step } = setup({
      n2: statusOf('n2', 9, ['n2', 'n3']),
      n3: statusOf('n3', 40, ['n1', 'n2', 'n3']),
    });
    await step(10);
    node.leaderId = 0;
    for (let i = 0; i < 5; i++) await step(PROBE_EVERY_MS);
    expect(asked.length).toBeGreaterThan(2);
    expect(watcher.removed).toBeNull();
    expect(node.stopped).toBe(false);
  });

  it('believes no node of another cluster, and none answering under another name', async () => {
    const foreign = statusOf('n2', 99, ['n2', 'n3']);
    const renamed = statusOf('n9', 99, ['n9', 'n3']);
    const { node, watcher, asked, step } = setup({
      n2: foreign.ok ? { ok: true, status: { ...foreign.status, clusterId: 'staging' } } : foreign,
      n3: renamed,
    });
    await step(10);
    node.leaderId = 0;
    for (let i = 0; i < 4; i++) await step(PROBE_EVERY_MS);
    expect(asked.length).toBeGreaterThan(2);
    expect(watcher.removed).toBeNull();
  });

  it('does not ask while a leader is known, and asks at most once per interval', async () => {
    const { node, asked, step } = setup({});
    for (let i = 0; i < 5; i++) await step(LEADERLESS_MS);
    expect(asked).toEqual([]);
    node.leaderId = 0;
    await step(0);
    await step(LEADERLESS_MS);
    const first = asked.length;
    await step(PROBE_EVERY_MS / 4);
    expect(asked.length).toBe(first);
    await step(PROBE_EVERY_MS);
    expect(asked.length).toBe(2 * first);
  });
});
