/**
 * Baton's metric families on a real (single-voter, in-memory) node: counters move by exactly what
 * was applied, gauges read the node at scrape time, and the text format has every family.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FAKE_TIMERS, type SingleNode, startSingleNode } from '../http/single-node.testing.js';
import type { TransportStats } from '../transport/types.js';
import { apiObserver, bindNodeMetrics } from './bind.js';
import { NodeMetrics } from './node-metrics.js';

const STATS: TransportStats = {
  peers: [
    {
      id: 2,
      name: 'n2',
      connected: true,
      inboundLinks: 1,
      queuedMessages: 4,
      queuedBytes: 400,
      sentMessages: 10,
      sentFrames: 5,
      sentBytes: 1234,
      receivedMessages: 9,
      receivedFrames: 5,
      receivedBytes: 999,
      droppedQueueFull: 2,
      droppedOversize: 0,
      droppedInFlight: 1,
      badFrames: 0,
      droppedMisaddressed: 0,
      connects: 1,
      connectFailures: 3,
    },
  ],
  droppedLocal: 0,
  droppedSelf: 0,
  droppedUnknownPeer: 0,
  droppedInvalid: 0,
  droppedNoHandler: 0,
  refusedHandshakes: {
    unsupportedProtocol: 0,
    badHandshake: 0,
    wrongCluster: 0,
    wrongTarget: 0,
    unknownPeer: 0,
    unauthenticated: 0,
    handshakeTimeout: 0,
    overloaded: 0,
  },
};

type Values = Map<string, number>;

/** `family{label="v",...}` → value, labels sorted, the node label left out. */
async function scrape(metrics: NodeMetrics): Promise<Values> {
  const out: Values = new Map();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    for (const v of m.values) {
      const labels = Object.entries(v.labels)
        .filter(([k]) => k !== 'node')
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => `${k}="${x}"`)
        .join(',');
      const name = (v as { metricName?: string }).metricName ?? m.name;
      out.set(labels === '' ? name : `${name}{${labels}}`, v.value);
    }
  }
  return out;
}

describe('NodeMetrics on a node', () => {
  let n: SingleNode;
  let metrics: NodeMetrics;

  beforeEach(async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    n = await startSingleNode();
    metrics = new NodeMetrics({ nodeName: 'n1' });
    bindNodeMetrics(metrics, {
      coordinator: n.coordinator,
      transport: { stats: () => STATS },
      clientConnections: () => 3,
    });
  });
  afterEach(async () => {
    await n.stop();
    vi.useRealTimers();
  });

  it('counts grants, expiries, lock-delays and proposals exactly, and reads the state when scraped', async () => {
    const s1 = (await n.submit('a', 1, { op: 'openSession', ttlMs: 300_000 })).sessionId as number;
    const s2 = (await n.submit('b', 1, { op: 'openSession', ttlMs: 300_000 })).sessionId as number;
    const lock = { op: 'acquire', name: 'job', limit: 1, lockDelayMs: 5_000 } as const;
    expect(await n.submit('a', 2, { ...lock, sessionId: s1, wait: true })).toMatchObject({ acquired: true });
    expect(await n.submit('b', 2, { ...lock, sessionId: s2, wait: true })).toMatchObject({ waiting: true });
    await n.submit('b', 3, { op: 'acquire', sessionId: s2, name: 'pool', limit: 3, wait: false, lockDelayMs: 0 });
    await n.submit('b', 4, { op: 'campaign', sessionId: s2, name: 'primary', value: 'b' });

    let v = await scrape(metrics);
    expect(v.get('baton_grants_total{kind="lock"}')).toBe(1);
    expect(v.get('baton_grants_total{kind="semaphore"}')).toBe(1);
    expect(v.get('baton_grants_total{kind="election"}')).toBe(1);
    expect(v.get('baton_locks_held{kind="lock"}')).toBe(1);
    expect(v.get('baton_lock_waiters{kind="lock"}')).toBe(1);
    expect(v.get('baton_sessions')).toBe(2);

    // s1 expires holding `job` with a lock-delay: the slot stays reserved, s2 keeps waiting
    await n.submit('', 0, { op: 'expireSession', sessionId: s1 });
    v = await scrape(metrics);
    expect(v.get('baton_sessions_ended_total{reason="expired"}')).toBe(1);
    expect(v.get('baton_holds_lost_total{reason="expired"}')).toBe(1);
    expect(v.get('baton_lock_delays_total')).toBe(1);
    expect(v.get('baton_lock_delays_pending')).toBe(1);
    expect(v.get('baton_grants_total{kind="lock"}')).toBe(1);

    await n.submit('', 0, { op: 'endLockDelay', name: 'job' });
    v = await scrape(metrics);
    expect(v.get('baton_grants_total{kind="lock"}')).toBe(2);
    expect(v.get('baton_lock_delays_pending')).toBe(0);
    expect(v.get('baton_lock_waiters{kind="lock"}')).toBe(0);
    expect(v.get('baton_sessions')).toBe(1);
    // 8 submits, all applied; each one's latency observed
    expect(v.get('baton_raft_proposals_total{result="applied"}')).toBe(8);
    expect(v.get('baton_raft_proposal_duration_seconds_count')).toBe(8);

    const st = n.coordinator.node.status();
    expect(v.get('baton_raft_role{role="leader"}')).toBe(1);
    expect(v.get('baton_raft_role{role="follower"}')).toBe(0);
    expect(v.get('baton_raft_term')).toBe(st.hardState.term);
    expect(v.get('baton_raft_commit_index')).toBe(st.hardState.commit);
    expect(v.get('baton_raft_applied_index')).toBe(st.appliedIndex);
    expect(v.get('baton_raft_leader_known')).toBe(1);
    expect(v.get('baton_client_connections')).toBe(3);
    expect(v.get('baton_peer_connected{peer="n2"}')).toBe(1);
    expect(v.get('baton_peer_queued_messages{peer="n2"}')).toBe(4);
    expect(v.get('baton_peer_sent_bytes_total{peer="n2"}')).toBe(1234);
    expect(v.get('baton_peer_dropped_messages_total{peer="n2",reason="queueFull"}')).toBe(2);
    expect(v.get('baton_peer_connect_failures_total{peer="n2"}')).toBe(3);
  });

  it('records API rejections by code and wait times, and renders the text format with default metrics', async () => {
    const observer = apiObserver(metrics);
    observer.rejected('NOT_LEADER');
    observer.rejected('NOT_LEADER');
    observer.rejected('INVALID_ARGUMENT');
    observer.waitGranted(1_500, false);
    metrics.fsyncDone(2, 4096);
    const v = await scrape(metrics);
    expect(v.get('baton_client_rejected_requests_total{code="NOT_LEADER"}')).toBe(2);
    expect(v.get('baton_client_rejected_requests_total{code="INVALID_ARGUMENT"}')).toBe(1);
    expect(v.get('baton_lock_acquire_wait_seconds_count{kind="lock"}')).toBe(1);
    expect(v.get('baton_lock_acquire_wait_seconds_bucket{kind="lock",le="1"}')).toBe(0);
    expect(v.get('baton_lock_acquire_wait_seconds_bucket{kind="lock",le="5"}')).toBe(1);
    expect(v.get('baton_wal_fsync_duration_seconds_bucket{le="0.0025"}')).toBe(1);
    expect(v.get('baton_wal_written_bytes_total')).toBe(4096);
    const text = await metrics.render();
    expect(metrics.contentType()).toContain('text/plain');
    expect(text).toContain('# TYPE baton_raft_proposal_duration_seconds histogram');
    expect(text).toContain('process_cpu_seconds_total{node="n1"}');
    expect(text).toContain('nodejs_eventloop_lag_seconds{node="n1"}');
  });
});
