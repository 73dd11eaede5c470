/** The status page's data: members and lag from probes, cluster state from the replica, idle names left out. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MemberProbe } from './member-probe.js';
import type { NodeStatusView } from './node-status.js';
import { buildOverview } from './overview.js';
import { RecentEvents } from './recent-events.js';
import { FAKE_TIMERS, type SingleNode, startSingleNode } from './single-node.testing.js';

function status(name: string, role: string, term: number, commitIndex: number, appliedIndex: number): NodeStatusView {
  return {
    name,
    role,
    leader: 'n2',
    leaderClientUrl: null,
    term,
    commitIndex,
    appliedIndex,
    lastIndex: commitIndex,
    members: [],
  };
}

describe('buildOverview', () => {
  let n: SingleNode;
  beforeEach(async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    n = await startSingleNode();
  });
  afterEach(async () => {
    await n.stop();
    vi.useRealTimers();
  });

  it('shows the leader, each member with its lag, holders with tokens, waiters, elections and recent events', async () => {
    const recent = new RecentEvents(n.clock);
    n.coordinator.onEvent((e, index) => recent.record(e, index));
    const a = (await n.submit('a', 1, { op: 'openSession', ttlMs: 60_000, label: 'worker-a' })).sessionId as number;
    const b = (await n.submit('b', 1, { op: 'openSession', ttlMs: 60_000 })).sessionId as number;
    const lock = { op: 'acquire', name: 'jobs/report', limit: 1, wait: true, lockDelayMs: 0 } as const;
    const granted = await n.submit('a', 2, { ...lock, sessionId: a, metadata: { host: 'h1' } });
    await n.submit('b', 2, { ...lock, sessionId: b });
    await n.submit('b', 3, { op: 'campaign', sessionId: b, name: 'primary', value: 'worker-b' });
    // a name that was used and is idle again is not shown
    await n.submit('a', 3, { op: 'acquire', sessionId: a, name: 'idle', limit: 1, wait: false, lockDelayMs: 0 });
    const idle = n.coordinator.fsm.describe('idle', 0).holders[0]?.token as number;
    await n.submit('a', 4, { op: 'release', sessionId: a, name: 'idle', token: idle });

    const probes: MemberProbe[] = [
      { name: 'n1', reachable: true, status: status('n1', 'follower', 3, 20, 17) },
      { name: 'n2', reachable: true, status: status('n2', 'leader', 3, 25, 25) },
      { name: 'n3', reachable: false, error: 'ECONNREFUSED' },
    ];
    const o = buildOverview({
      servedBy: 'n1',
      nowMs: n.clock.wallMs(),
      fsm: n.coordinator.fsm,
      appliedIndex: 17,
      probes,
      membership: () => 'voter',
      clientUrl: (name) => `ws://${name}/v1/client`,
      recent: recent.list(),
    });
    expect(o.leader).toEqual({ name: 'n2', term: 3 });
    expect(o.members.map((m) => [m.name, m.role, m.lag, m.reachable])).toEqual([
      ['n1', 'follower', 8, true],
      ['n2', 'leader', 0, true],
      ['n3', null, null, false],
    ]);
    expect(o.members[2]?.error).toBe('ECONNREFUSED');
    expect(o.sessions.total).toBe(2);
    expect(o.sessions.list.find((s) => s.id === String(a))?.label).toBe('worker-a');
    expect(o.names.total).toBe(2);
    const job = o.names.list.find((x) => x.name === 'jobs/report');
    expect(job).toMatchObject({ kind: 'lock', limit: 1, holdersTotal: 1, waitersTotal: 1 });
    expect(job?.holders[0]).toMatchObject({ sessionId: String(a), token: granted.token, metadata: { host: 'h1' } });
    expect(job?.waiters[0]?.sessionId).toBe(String(b));
    const primary = o.names.list.find((x) => x.name === 'primary');
    expect(primary).toMatchObject({ kind: 'election', holders: [{ value: 'worker-b', sessionId: String(b) }] });
    expect(o.names.list.some((x) => x.name === 'idle')).toBe(false);
    // newest first: the idle lock's grant came after the job's
    const grants = o.recent.filter((e) => e.kind === 'granted').map((e) => (e as { name: string }).name);
    expect(grants).toEqual(['idle', 'primary', 'jobs/report']);
    expect(o.recent.some((e) => e.kind === 'electionChanged')).toBe(true);
  });

  it('has no leader when no reachable member says it leads', () => {
    const o = buildOverview({
      servedBy: 'n1',
      nowMs: 0,
      fsm: n.coordinator.fsm,
      appliedIndex: 0,
      probes: [
        { name: 'n1', reachable: true, status: status('n1', 'preCandidate', 3, 20, 20) },
        { name: 'n2', reachable: false, error: 'no answer within 1000 ms' },
      ],
      membership: () => 'voter',
      clientUrl: () => '',
      recent: [],
    });
    expect(o.leader).toBeNull();
    expect(o.members[0]?.lag).toBeNull();
  });
});
