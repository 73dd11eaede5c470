/** /readyz means caught up: leader known, member, storage fine, and the ReadIndex round answered in time. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Coordinator } from '../node/coordinator.js';
import { Readiness } from './readiness.js';
import { FAKE_TIMERS, startSingleNode } from './single-node.testing.js';

interface StubState {
  leaderId: number;
  voters: number[];
  read: () => Promise<void>;
}

function stubCoordinator(s: StubState): { coordinator: Coordinator; reads: () => number } {
  let reads = 0;
  const coordinator = {
    get leaderId() {
      return s.leaderId;
    },
    node: {
      id: 1,
      applied: 42,
      status: () => ({ confState: { voters: s.voters, learners: [] } }),
      linearizableRead: () => {
        reads++;
        return s.read();
      },
    },
  } as unknown as Coordinator;
  return { coordinator, reads: () => reads };
}

describe('Readiness', () => {
  beforeEach(() => {
    vi.useFakeTimers(FAKE_TIMERS);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is ready on a leader that can confirm its commit index', async () => {
    const n = await startSingleNode();
    try {
      const r = new Readiness({
        coordinator: n.coordinator,
        storageFailed: () => null,
        leaderName: () => 'n1',
        catchUpTimeoutMs: 500,
      });
      const answer = r.check();
      await n.advance(50);
      expect(await answer).toMatchObject({ ready: true });
      expect((await answer).detail).toContain('leader n1');
    } finally {
      await n.stop();
    }
  });

  it('is not ready once removed from the cluster, whatever else holds — without asking the leader', async () => {
    const s: StubState = { leaderId: 7, voters: [1], read: () => Promise.resolve() };
    const { coordinator, reads } = stubCoordinator(s);
    let removed: string | null = null;
    const r = new Readiness({
      coordinator,
      storageFailed: () => null,
      leaderName: () => 'n7',
      catchUpTimeoutMs: 500,
      removed: () => removed,
    });
    expect((await r.check()).ready).toBe(true);
    removed = 'applied a configuration without n1 (index 9)';
    expect(await r.check()).toEqual({
      ready: false,
      detail: 'removed from the cluster: applied a configuration without n1 (index 9)',
    });
    expect(reads()).toBe(1);
  });

  it('is not ready without a leader, outside the configuration, or with failed storage — without asking the leader', async () => {
    const s: StubState = { leaderId: 0, voters: [1], read: () => Promise.resolve() };
    const { coordinator, reads } = stubCoordinator(s);
    let failed: Error | null = null;
    const r = new Readiness({
      coordinator,
      storageFailed: () => failed,
      leaderName: () => 'n1',
      catchUpTimeoutMs: 500,
    });
    expect(await r.check()).toEqual({ ready: false, detail: 'no leader known' });
    s.leaderId = 7;
    s.voters = [2, 3];
    expect(await r.check()).toEqual({ ready: false, detail: 'not a member of the current configuration' });
    s.voters = [1];
    failed = new Error('fsync failed');
    expect((await r.check()).detail).toBe('storage failed: fsync failed');
    expect(reads()).toBe(0);
    failed = null;
    expect((await r.check()).ready).toBe(true);
    expect(reads()).toBe(1);
  });

  it('is not ready when this node does not catch up with the leader in time, or the read fails', async () => {
    const s: StubState = { leaderId: 7, voters: [1], read: () => new Promise(() => {}) };
    const { coordinator } = stubCoordinator(s);
    const r = new Readiness({ coordinator, storageFailed: () => null, leaderName: () => 'n7', catchUpTimeoutMs: 500 });
    const answer = r.check();
    await vi.advanceTimersByTimeAsync(499);
    let settled = false;
    void answer.then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await answer).toMatchObject({ ready: false });
    expect((await answer).detail).toContain('not caught up');
    s.read = () => Promise.reject(new Error('could not confirm leadership for a read in time'));
    expect((await r.check()).detail).toContain('could not confirm leadership');
  });

  it('lets concurrent probes share one check', async () => {
    let release: () => void = () => {};
    const s: StubState = { leaderId: 7, voters: [1], read: () => new Promise<void>((r) => (release = r)) };
    const { coordinator, reads } = stubCoordinator(s);
    const r = new Readiness({ coordinator, storageFailed: () => null, leaderName: () => 'n7', catchUpTimeoutMs: 500 });
    const probes = [r.check(), r.check(), r.check()];
    await vi.advanceTimersByTimeAsync(0);
    release();
    const answers = await Promise.all(probes);
    expect(answers.every((a) => a.ready)).toBe(true);
    expect(reads()).toBe(1);
    // the next probe after that asks again
    const again = r.check();
    await vi.advanceTimersByTimeAsync(0);
    release();
    await again;
    expect(reads()).toBe(2);
  });
});
