/**
 * /metrics on a real 3-process cluster: after a known set of operations every node's counters
 * moved by exactly what was applied, the role gauges name exactly one leader, and the default
 * process and Node.js families are there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leaderClient, type Response, TestCluster, WsClient, waitFor } from './harness.js';
import { scrapeMetrics } from './http-get.js';

function ok(r: Response): Record<string, unknown> {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.error)}`);
  return r.result ?? {};
}

/** Every node applied everything the leader had committed when this was called. */
async function allCaughtUp(cluster: TestCluster): Promise<void> {
  const leader = await cluster.waitForLeader();
  const commit = (await leader.status())?.commitIndex ?? Number.POSITIVE_INFINITY;
  await waitFor('every node applied the leader’s commit index', async () => {
    const st = await Promise.all(cluster.nodes.map((n) => n.status()));
    return st.every((s) => s !== null && s.appliedIndex >= commit) ? true : null;
  });
}

describe('/metrics on a 3-node cluster', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await TestCluster.start(3);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('counts exactly the grants, expiries-free sessions and rejections made, with one leader across nodes', async () => {
    await allCaughtUp(cluster);
    const before = await Promise.all(cluster.nodes.map((n) => scrapeMetrics(n.port)));
    const leader = await cluster.waitForLeader();
    const follower = cluster.nodes.find((n) => n !== leader);
    if (follower === undefined) throw new Error('no follower');

    const a = await leaderClient(cluster);
    const b = await leaderClient(cluster);
    const f = await WsClient.connect(follower.clientUrl);
    try {
      const sa = ok(await a.request('session.open', { ttlMs: 30_000 })).sessionId as string;
      const sb = ok(await b.request('session.open', { ttlMs: 30_000 })).sessionId as string;
      // 3 immediate grants, then 1 grant from the queue: 4 lock grants
      for (let i = 0; i < 3; i++) {
        const g = ok(await a.request('lock.acquire', { sessionId: sa, name: 'm/job', wait: true }));
        ok(await a.request('lock.release', { sessionId: sa, name: 'm/job', token: g.token }));
      }
      const held = ok(await a.request('lock.acquire', { sessionId: sa, name: 'm/job', wait: true }));
      const queued = b.request('lock.acquire', { sessionId: sb, name: 'm/job', wait: true });
      await waitFor('b queued', async () => {
        const d = ok(await a.request('lock.describe', { name: 'm/job' }));
        return (d.waiters as unknown[]).length === 1 ? true : null;
      });
      ok(await a.request('lock.release', { sessionId: sa, name: 'm/job', token: held.token }));
      expect(ok(await queued).acquired).toBe(true);
      // one semaphore grant, one election
      ok(await a.request('lock.acquire', { sessionId: sa, name: 'm/pool', limit: 3, wait: false }));
      ok(await b.request('election.campaign', { sessionId: sb, name: 'm/primary', value: 'b' }));
      // rejected: a write on a follower, a malformed request on the leader
      expect((await f.request('session.open', { ttlMs: 30_000 })).error?.code).toBe('NOT_LEADER');
      expect((await a.request('lock.acquire', { sessionId: sa, name: '', wait: true })).error?.code).toBe(
        'INVALID_ARGUMENT',
      );
      await allCaughtUp(cluster);
      const after = await Promise.all(cluster.nodes.map((n) => scrapeMetrics(n.port)));
      const delta = (i: number, key: string): number => (after[i]?.get(key) ?? Number.NaN) - (before[i]?.get(key) ?? 0);

      const li = cluster.nodes.indexOf(leader);
      const fi = cluster.nodes.indexOf(follower);
      for (let i = 0; i < 3; i++) {
        const m = after[i] as Map<string, number>;
        // every node applies every entry: the same exact counts everywhere
        expect(delta(i, 'baton_grants_total{kind="lock"}')).toBe(5);
        expect(delta(i, 'baton_grants_total{kind="semaphore"}')).toBe(1);
        expect(delta(i, 'baton_grants_total{kind="election"}')).toBe(1);
        expect(delta(i, 'baton_sessions_ended_total{reason="expired"}')).toBe(0);
        expect(m.get('baton_sessions')).toBe(2);
        expect(m.get('baton_locks_held{kind="lock"}')).toBe(1);
        expect(m.get('baton_locks_held{kind="semaphore"}')).toBe(1);
        expect(m.get('baton_locks_held{kind="election"}')).toBe(1);
        expect(m.get('baton_lock_waiters{kind="lock"}')).toBe(0);
        expect(m.get('baton_raft_term')).toBe(after[li]?.get('baton_raft_term'));
        expect(m.get('baton_raft_applied_index')).toBeGreaterThanOrEqual(
          after[li]?.get('baton_raft_commit_index') ?? 0,
        );
        expect(m.get('baton_wal_fsync_duration_seconds_count')).toBeGreaterThan(0);
        const peers = cluster.nodes.filter((_, j) => j !== i).map((n) => n.name);
        for (const p of peers) expect(m.get(`baton_peer_connected{peer="${p}"}`)).toBe(1);
        expect(m.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);
        expect(m.get('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
      }
      const leaders = after.map((m) => m.get('baton_raft_role{role="leader"}'));
      expect(leaders.filter((v) => v === 1)).toHaveLength(1);
      expect(leaders[li]).toBe(1);
      expect(after.every((m) => m.get('baton_raft_leader_known') === 1)).toBe(true);
      // 2 opens + 8 lock acquire/release + 1 semaphore + 1 campaign = 12 applied client writes on the leader
      expect(delta(li, 'baton_raft_proposals_total{result="applied"}')).toBeGreaterThanOrEqual(12);
      expect(delta(li, 'baton_raft_proposal_duration_seconds_count')).toBe(
        delta(li, 'baton_raft_proposals_total{result="applied"}'),
      );
      expect(delta(li, 'baton_lock_acquire_wait_seconds_count{kind="lock"}')).toBe(1);
      expect(after[li]?.get('baton_client_connections')).toBeGreaterThanOrEqual(2);
      expect(delta(fi, 'baton_client_rejected_requests_total{code="NOT_LEADER"}')).toBe(1);
      expect(delta(li, 'baton_client_rejected_requests_total{code="INVALID_ARGUMENT"}')).toBe(1);
    } finally {
      a.close();
      b.close();
      f.close();
    }
  });
});
