/**
 * Each chaos check flags the failure it exists for, on hand-made data — and stays quiet on the
 * good version of the same data (a check that cannot fail is a defect).
 */
import { describe, expect, it } from 'vitest';
import type { FaultRecord } from '../nemesis/nemesis.js';
import type { HistoryRecord, HoldReport, SessionReport } from '../worker/protocol.js';
import type { StoreLogEntry } from '../workload/fenced-store.js';
import { checkElectionSafety, checkRecovery } from './cluster.js';
import { checkEndState, FINAL_CLIENT } from './end-state.js';
import { checkHandover } from './handover.js';
import { checkLinearizability } from './linearizability.js';
import { checkSessions } from './sessions.js';
import { checkStore } from './store.js';
import { checkTokens } from './tokens.js';

function grant(client: string, session: string, token: number, at: [number, number], name = 'L'): HistoryRecord {
  return {
    client,
    invokeMs: at[0],
    returnMs: at[1],
    op: 'acquire',
    name,
    args: { session, limit: 1, wait: true },
    result: { acquired: true, token, generation: 1 },
  };
}

function release(client: string, session: string, token: number, at: [number, number], name = 'L'): HistoryRecord {
  return { client, invokeMs: at[0], returnMs: at[1], op: 'release', name, args: { session, token }, result: {} };
}

function hold(
  client: string,
  session: string,
  token: number,
  grantedMs: number,
  endedMs: number,
  reason: string,
): HoldReport {
  return { client, session, name: 'L', kind: 'lock', limit: 1, token, grantedMs, endedMs, endReason: reason };
}

function session(over: Partial<SessionReport>): SessionReport {
  return {
    client: 'w1.0',
    session: '10',
    ttlMs: 2_000,
    openedMs: 0,
    expiryBoundMs: 5_000,
    expiryBoundAtServerExpiryMs: null,
    endedMs: null,
    endReason: null,
    closeSentMs: null,
    closedOk: false,
    serverExpiredMs: null,
    expiryEvidence: 'answer',
    ...over,
  };
}

describe('tokens', () => {
  const good = [grant('w1.0', '1', 5, [0, 1]), release('w1.0', '1', 5, [2, 3]), grant('w2.0', '2', 9, [4, 5])];

  it('accepts increasing, unique tokens', () => {
    expect(checkTokens(good).violations).toEqual([]);
  });

  it('flags a token granted to two sessions', () => {
    const bad = [...good.slice(0, 2), grant('w2.0', '2', 5, [4, 5])];
    expect(checkTokens(bad).violations.map((v) => v.check)).toContain('tokens');
  });

  it('flags a token going backwards after an acknowledged grant', () => {
    const bad = [...good.slice(0, 2), grant('w2.0', '2', 4, [4, 5])];
    expect(checkTokens(bad).violations).toHaveLength(1);
  });
});

describe('handover', () => {
  const noPauses = new Map();

  it('measures the closest approach of a lost hold and accepts it when positive', () => {
    const r = checkHandover(
      [hold('w1.0', '1', 5, 0, 1_000, 'SESSION_EXPIRED'), hold('w2.0', '2', 9, 1_400, 2_000, 'CLOSED')],
      [],
      noPauses,
      ['L'],
    );
    expect(r.violations).toEqual([]);
    expect(r.closestLost?.ms).toBe(400);
  });

  it('flags a grant while the previous holder ran and still trusted its hold', () => {
    const r = checkHandover(
      [hold('w1.0', '1', 5, 0, 1_500, 'SESSION_EXPIRED'), hold('w2.0', '2', 9, 1_400, 2_000, 'CLOSED')],
      [],
      noPauses,
      ['L'],
    );
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]?.message).toContain('still trusted');
  });

  it('excuses a paused holder, but not a grant before its session could expire', () => {
    const pauses = new Map([[1, [{ startMs: 100, endMs: 3_000 }]]]);
    const holds = [hold('w1.0', '1', 5, 0, 3_100, 'SESSION_EXPIRED'), hold('w2.0', '2', 9, 2_600, 2_700, 'CLOSED')];
    const safe = checkHandover(holds, [session({ session: '1', expiryBoundMs: 2_500 })], pauses, ['L']);
    expect(safe.violations).toEqual([]);
    expect(safe.pausedHandovers).toBe(1);
    const early = checkHandover(holds, [session({ session: '1', expiryBoundMs: 2_800 })], pauses, ['L']);
    expect(early.violations).toHaveLength(1);
    expect(early.violations[0]?.message).toContain('before its session could have expired');
  });
});

describe('sessions', () => {
  it('flags a session the server called expired before its bound, unless its owner closed it', () => {
    expect(checkSessions([session({ serverExpiredMs: 4_000 })]).violations).toHaveLength(1);
    expect(checkSessions([session({ serverExpiredMs: 6_000 })]).violations).toEqual([]);
    expect(checkSessions([session({ serverExpiredMs: 4_000, closeSentMs: 3_900 })]).violations).toEqual([]);
    // an expiry event is an expiry, close or not
    const byEvent = session({ serverExpiredMs: 4_000, closeSentMs: 3_900, expiryEvidence: 'event' });
    expect(checkSessions([byEvent]).violations).toHaveLength(1);
  });
});

describe('store', () => {
  function entry(
    op: StoreLogEntry['op'],
    token: number,
    accepted: boolean,
    highestBefore: number,
    added: string[],
  ): StoreLogEntry {
    return { atMs: 0, client: 'w1.0', name: 'set/a', op, token, accepted, highestBefore, digest: null, added };
  }

  it('finds lost updates and stale accepted writes', () => {
    const log = [entry('write', 5, true, 0, ['a']), entry('write', 7, true, 5, ['b'])];
    const lost = checkStore(log, new Map([['set/a', '["b"]']]));
    expect(lost.lost).toBe(1);
    expect(lost.violations.map((v) => v.check)).toEqual(['lost-updates']);
    const stale = checkStore([entry('write', 3, true, 5, ['a'])], new Map([['set/a', '["a"]']]));
    expect(stale.violations.map((v) => v.check)).toEqual(['store']);
  });

  it('counts refused writes and passes a clean log', () => {
    const log = [entry('write', 5, true, 0, ['a']), entry('write', 4, false, 5, []), entry('write', 7, true, 5, ['b'])];
    const r = checkStore(log, new Map([['set/a', '["a","b"]']]));
    expect(r.violations).toEqual([]);
    expect(r.refused).toBe(1);
  });
});

describe('linearizability', () => {
  it('flags two overlapping holders, accepts a clean handover', () => {
    const clean = [grant('w1.0', '1', 5, [0, 1]), release('w1.0', '1', 5, [2, 3]), grant('w2.0', '2', 9, [4, 5])];
    expect(checkLinearizability(clean, 10_000).verdict).toBe('ok');
    const overlap = [grant('w1.0', '1', 5, [0, 1]), grant('w2.0', '2', 9, [2, 3]), release('w1.0', '1', 5, [4, 5])];
    expect(checkLinearizability(overlap, 10_000).verdict).toBe('illegal');
  });
});

describe('end state, recovery, election safety', () => {
  it('flags a holder left after every session ended', () => {
    const final: HistoryRecord = {
      client: FINAL_CLIENT,
      invokeMs: 0,
      returnMs: 1,
      op: 'describe',
      name: 'L',
      args: {},
      result: { holders: [{ session: '4', token: 8 }] },
    };
    expect(checkEndState([final], ['L'])).toHaveLength(1);
    expect(checkEndState([{ ...final, result: { holders: [] } }], ['L'])).toEqual([]);
  });

  it('flags a slow or missing recovery and two leaders in a term', () => {
    const fault = (recoveryMs: number | null, bootMs: number | null = null): FaultRecord => ({
      index: 1,
      kind: 'kill-all',
      seed: 1,
      plannedMs: 100,
      detail: 'x',
      targets: [],
      startMs: 0,
      healMs: 100,
      recoveryMs,
      convergedMs: recoveryMs === null ? null : recoveryMs + 100,
      bootMs,
      error: null,
    });
    expect(checkRecovery([fault(500)], 10_000).violations).toEqual([]);
    // a membership change the cluster refused (the nemesis could not put the member back)
    expect(checkRecovery([{ ...fault(500), error: 'heal: UNAVAILABLE: no leader' }], 10_000).violations).toHaveLength(
      1,
    );
    expect(checkRecovery([fault(12_000)], 10_000).violations).toHaveLength(1);
    expect(checkRecovery([fault(null)], 10_000).violations).toHaveLength(1);
    // the bound starts once the restarted processes booted, and still holds after it
    expect(checkRecovery([fault(12_000, 6_000)], 10_000).violations).toEqual([]);
    expect(checkRecovery([fault(17_000, 6_000)], 10_000).violations).toHaveLength(1);
    expect(checkElectionSafety(new Map([[3, new Set(['n1', 'n2'])]]))).toHaveLength(1);
    expect(checkElectionSafety(new Map([[3, new Set(['n1'])]]))).toEqual([]);
  });
});
