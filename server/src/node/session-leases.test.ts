import { describe, expect, it } from 'vitest';
import type { Command } from '../fsm/index.js';
import { ManualClock } from './clock.js';
import { silentLogger } from './logger.js';
import { LEADER_COMMAND_RETRY_MS, SessionLeases } from './session-leases.js';

function setup(sessions: { id: number; ttlMs: number }[] = []) {
  const clock = new ManualClock();
  const proposed: Command[] = [];
  const state = {
    leader: true,
    leaseMs: 1000,
    sessions,
    delays: [] as { name: string; lockDelayMs: number; sinceIndex: number }[],
  };
  const leases = new SessionLeases({
    clock,
    logger: silentLogger(),
    isLeader: () => state.leader,
    leaseRemainingMs: () => state.leaseMs,
    proposeLeaderCommand: async (cmd) => {
      proposed.push(cmd);
    },
    sessions: () => state.sessions,
    hasSession: (id) => state.sessions.some((s) => s.id === id),
    pendingLockDelays: () => state.delays,
  });
  return { clock, proposed, state, leases };
}

describe('SessionLeases', () => {
  it('a new leader gives every session a full TTL before expiring anything', () => {
    const { clock, proposed, leases } = setup([{ id: 5, ttlMs: 3000 }]);
    clock.advance(10_000); // long after any deadline an old leader kept
    leases.becameLeader();
    clock.advance(2999);
    leases.tick();
    expect(proposed).toEqual([]);
    clock.advance(1);
    leases.tick();
    expect(proposed).toEqual([{ op: 'expireSession', sessionId: 5 }]);
  });

  it('keepalives push the deadline out, only while the lease is valid', () => {
    const { clock, proposed, state, leases } = setup([{ id: 5, ttlMs: 3000 }]);
    leases.becameLeader();
    clock.advance(2000);
    expect(leases.keepalive(5)).toEqual({ ok: true, ttlMs: 3000, remainingMs: 3000 });
    clock.advance(2999);
    leases.tick();
    expect(proposed).toEqual([]);
    state.leaseMs = 0;
    expect(leases.keepalive(5)).toMatchObject({ ok: false, code: 'UNAVAILABLE' });
    clock.advance(1);
    leases.tick();
    expect(proposed).toHaveLength(1);
  });

  it('never revives a session whose deadline passed, and retries the expiry only after a pause', () => {
    const { clock, proposed, leases } = setup([{ id: 7, ttlMs: 1000 }]);
    leases.becameLeader();
    clock.advance(1000);
    expect(leases.keepalive(7)).toMatchObject({ ok: false, code: 'SESSION_EXPIRED' });
    leases.tick();
    leases.tick();
    expect(proposed).toHaveLength(1);
    clock.advance(LEADER_COMMAND_RETRY_MS);
    leases.tick();
    expect(proposed).toHaveLength(2);
    leases.sessionEnded(7);
    clock.advance(LEADER_COMMAND_RETRY_MS);
    leases.tick();
    expect(proposed).toHaveLength(2);
  });

  it('followers answer NOT_LEADER and keep no deadlines', () => {
    const { clock, proposed, state, leases } = setup([{ id: 1, ttlMs: 1000 }]);
    state.leader = false;
    leases.sessionOpened(1, 1000);
    expect(leases.keepalive(1)).toMatchObject({ ok: false, code: 'NOT_LEADER' });
    clock.advance(5000);
    leases.tick();
    expect(proposed).toEqual([]);
  });

  it('unknown sessions are expired, not created', () => {
    const { leases } = setup();
    leases.becameLeader();
    expect(leases.keepalive(99)).toMatchObject({ ok: false, code: 'SESSION_EXPIRED' });
  });

  it('lock-delays end after their delay, one proposal per held-back slot; a new leader restarts them in full', async () => {
    const { clock, proposed, state, leases } = setup();
    leases.becameLeader();
    // two holders of one semaphore expired with a lock-delay: two slots held back
    state.delays = [
      { name: 'pool', lockDelayMs: 500, sinceIndex: 7 },
      { name: 'pool', lockDelayMs: 500, sinceIndex: 9 },
    ];
    leases.syncLockDelays();
    clock.advance(499);
    leases.tick();
    expect(proposed).toEqual([]);
    clock.advance(1);
    leases.tick();
    expect(proposed).toEqual([
      { op: 'endLockDelay', name: 'pool', sinceIndex: 7 },
      { op: 'endLockDelay', name: 'pool', sinceIndex: 9 },
    ]);
    // one ended: it is dropped; the other is retried only after the pause
    state.delays = [{ name: 'pool', lockDelayMs: 500, sinceIndex: 9 }];
    leases.syncLockDelays();
    clock.advance(LEADER_COMMAND_RETRY_MS);
    leases.tick();
    expect(proposed.slice(2)).toEqual([{ op: 'endLockDelay', name: 'pool', sinceIndex: 9 }]);
    state.delays = [{ name: 'other', lockDelayMs: 800, sinceIndex: 12 }];
    leases.steppedDown();
    leases.becameLeader();
    clock.advance(799);
    leases.tick();
    expect(proposed).toHaveLength(3);
    clock.advance(1);
    leases.tick();
    expect(proposed[3]).toEqual({ op: 'endLockDelay', name: 'other', sinceIndex: 12 });
  });

  it('ticks between scans still expire every session on time: keepalives, a shorter TTL opened later, retries', () => {
    const { clock, proposed, state, leases } = setup([
      { id: 1, ttlMs: 10_000 },
      { id: 2, ttlMs: 10_000 },
    ]);
    leases.becameLeader();
    const tickFor = (ms: number): void => {
      for (let t = 0; t < ms; t += 50) {
        clock.advance(50);
        leases.tick();
      }
    };
    tickFor(3_000);
    expect(leases.keepalive(1).ok).toBe(true); // 1: due at 13,000; 2: due at 10,000
    // a session opened after the last scan, due before every deadline that scan saw
    state.sessions = [...state.sessions, { id: 3, ttlMs: 1_000 }];
    leases.sessionOpened(3, 1_000); // due at 4,000
    tickFor(950);
    expect(proposed).toEqual([]);
    tickFor(50);
    expect(proposed).toEqual([{ op: 'expireSession', sessionId: 3 }]);
    tickFor(5_950); // 9,950
    expect(proposed).toHaveLength(1 + Math.floor(5_950 / LEADER_COMMAND_RETRY_MS)); // 3 retried, still unapplied
    leases.sessionEnded(3);
    proposed.length = 0;
    tickFor(50); // 10,000
    expect(proposed).toEqual([{ op: 'expireSession', sessionId: 2 }]);
    proposed.length = 0;
    leases.sessionEnded(2);
    tickFor(2_950);
    expect(proposed).toEqual([]);
    tickFor(50); // 13,000
    expect(proposed).toEqual([{ op: 'expireSession', sessionId: 1 }]);
  });
});
