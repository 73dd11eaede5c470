/**
 * A write arriving during an election round waits for its outcome (leaderWaitMs) instead of
 * being answered UNAVAILABLE at once. UNAVAILABLE from the leader itself names it in leaderHint, so that the SDK keeps waiting on it
 * (a new leader answers keepalives only once its lease is valid) instead of leaving for a
 * follower that would only send it back. UNAVAILABLE from a node that is not the leader names
 * nobody: the SDK may move on after a streak of them.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Coordinator } from '../node/coordinator.js';
import { silentLogger } from '../node/logger.js';
import type { Member } from '../node/members.js';
import { NodeError } from '../node/raft-node.js';
import type { KeepaliveAnswer } from '../node/session-leases.js';
import { ClientApi, DEFAULT_LEADER_WAIT_MS } from './client-api.js';
import type { ClientConnection } from './connection.js';
import { ApiError } from './errors.js';

const SELF: Member = {
  name: 'n1',
  id: 1,
  peerUrl: 'http://127.0.0.1:7001',
  clientUrl: 'ws://127.0.0.1:7001/v1/client',
};
const OTHER: Member = {
  name: 'n2',
  id: 2,
  peerUrl: 'http://127.0.0.1:7002',
  clientUrl: 'ws://127.0.0.1:7002/v1/client',
};

interface StubState {
  leader: boolean;
  leaderId: number;
  keepalive?: KeepaliveAnswer;
  submitError?: NodeError;
}

/** A coordinator stub whose leadership the test changes (then calls `changed`). */
function stub(state: StubState): { coordinator: Coordinator; changed(): void } {
  const listeners: (() => void)[] = [];
  const coordinator = {
    node: {
      get isLeader() {
        return state.leader;
      },
    },
    get leaderId() {
      return state.leaderId;
    },
    leases: { keepalive: () => state.keepalive },
    fsm: { sessionOwner: () => null },
    submit: () => Promise.reject(state.submitError),
    onEvent: () => {},
    onLeaderChange: (l: () => void) => listeners.push(l),
  } as unknown as Coordinator;
  return {
    coordinator,
    changed: () => {
      for (const l of listeners) l();
    },
  };
}

/** A ClientApi over a coordinator stub: leader or not, and what keepalives and writes answer. */
function api(opts: { leader: boolean; keepalive?: KeepaliveAnswer; submitError?: NodeError }): ClientApi {
  return apiOver(stub({ ...opts, leaderId: opts.leader ? SELF.id : 0 }).coordinator);
}

function apiOver(coordinator: Coordinator, leaderWaitMs?: number): ClientApi {
  return new ClientApi({
    leaderWaitMs,
    coordinator,
    members: () => [SELF, OTHER],
    admin: { handle: () => Promise.reject(new Error('unused')) },
    self: SELF,
    serverVersion: 'test',
    clock: { monotonicMs: () => 0, wallMs: () => 0 },
    logger: silentLogger(),
  });
}

const conn = {
  clientId: 'c1',
  sessions: new Set(),
  observes: new Set(),
  waits: new Map(),
} as unknown as ClientConnection;
const noLease: KeepaliveAnswer = { ok: false, code: 'UNAVAILABLE', message: 'the leader lease is not valid right now' };

async function errorOf(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe('UNAVAILABLE answers', () => {
  it('name the leader itself when it is the leader without a lease yet', async () => {
    const err = await errorOf(
      api({ leader: true, keepalive: noLease }).handle(conn, {
        v: 1,
        id: '1',
        type: 'session.keepalive',
        sessionId: '5',
      } as never),
    );
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.extras.leaderHint).toBe(SELF.clientUrl);
  });

  it('name the leader itself when its write could not be applied', async () => {
    const submitError = new NodeError('UNAVAILABLE', 'the proposal was overwritten by a new leader; retry');
    const err = await errorOf(
      api({ leader: true, submitError }).handle(conn, {
        v: 1,
        id: '2',
        type: 'lock.release',
        seq: 1,
        sessionId: '5',
        name: 'a',
        token: 7,
      } as never),
    );
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.extras.leaderHint).toBe(SELF.clientUrl);
  });

  it('name nobody from a node that knows no leader', async () => {
    const err = await errorOf(
      apiOver(stub({ leader: false, leaderId: 0 }).coordinator, 0).handle(conn, {
        v: 1,
        id: '3',
        type: 'lock.release',
        seq: 1,
        sessionId: '5',
        name: 'a',
        token: 7,
      } as never),
    );
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.extras.leaderHint).toBeUndefined();
  });
});

describe('a write during an election round', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const release = { v: 1, id: '4', type: 'lock.release', seq: 1, sessionId: '5', name: 'a', token: 7 } as never;

  it('waits for the outcome and is sent on to the new leader at once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const state: StubState = { leader: false, leaderId: 0 };
    const { coordinator, changed } = stub(state);
    let settled: ApiError | null = null;
    const answer = errorOf(apiOver(coordinator).handle(conn, release)).then((e) => {
      settled = e;
      return e;
    });
    await vi.advanceTimersByTimeAsync(DEFAULT_LEADER_WAIT_MS / 2);
    expect(settled).toBeNull();
    state.leaderId = OTHER.id;
    changed();
    const err = await answer;
    expect(err.code).toBe('NOT_LEADER');
    expect(err.extras.leaderHint).toBe(OTHER.clientUrl);
  });

  it('is answered UNAVAILABLE once the wait runs out without a leader', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { coordinator, changed } = stub({ leader: false, leaderId: 0 });
    let settled: ApiError | null = null;
    const answer = errorOf(apiOver(coordinator).handle(conn, release)).then((e) => {
      settled = e;
      return e;
    });
    changed(); // a change that names no leader yet (a new term began) keeps it waiting
    await vi.advanceTimersByTimeAsync(DEFAULT_LEADER_WAIT_MS - 1);
    expect(settled).toBeNull();
    await vi.advanceTimersByTimeAsync(1);
    expect((await answer).code).toBe('UNAVAILABLE');
  });
});
