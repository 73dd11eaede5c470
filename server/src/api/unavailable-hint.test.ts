/**
 * UNAVAILABLE from the leader itself names it in leaderHint, so that the SDK keeps waiting on it
 * (a new leader answers keepalives only once its lease is valid) instead of leaving for a
 * follower that would only send it back. UNAVAILABLE from a node that is not the leader names
 * nobody: the SDK may move on after a streak of them.
 */
import { describe, expect, it } from 'vitest';
import type { Coordinator } from '../node/coordinator.js';
import { silentLogger } from '../node/logger.js';
import type { Member } from '../node/members.js';
import { NodeError } from '../node/raft-node.js';
import type { KeepaliveAnswer } from '../node/session-leases.js';
import { ClientApi } from './client-api.js';
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

/** A ClientApi over a coordinator stub: leader or not, and what keepalives and writes answer. */
function api(opts: { leader: boolean; keepalive?: KeepaliveAnswer; submitError?: NodeError }): ClientApi {
  const coordinator = {
    node: { isLeader: opts.leader },
    leaderId: opts.leader ? SELF.id : 0,
    leases: { keepalive: () => opts.keepalive },
    fsm: { sessionOwner: () => null },
    submit: () => Promise.reject(opts.submitError),
    onEvent: () => {},
  } as unknown as Coordinator;
  return new ClientApi({
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
      api({ leader: false }).handle(conn, {
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
