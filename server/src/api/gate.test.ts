import { EventEmitter } from 'node:events';
import { type ClientRequest, LIMITS, parseClientFrame } from '@baton/proto-schemas';
import { describe, expect, it } from 'vitest';
import { parseTokenFile } from '../auth/token-file.js';
import { TokenStore } from '../auth/token-store.js';
import { type ClientLimits, DEFAULT_CLIENT_LIMITS } from '../limits/client-limits.js';
import { ManualClock } from '../node/clock.js';
import { silentLogger } from '../node/logger.js';
import type { ClientConnection } from './connection.js';
import { ApiError } from './errors.js';
import { ClientGate } from './gate.js';

const JOBS = 'jobs-token-0123456789abcdef';
const OPS = 'ops-token-0123456789abcdef';

function tokens(): TokenStore {
  return new TokenStore(
    parseTokenFile(
      JSON.stringify({
        tokens: [
          { name: 'jobs', token: JOBS, permissions: { 'jobs/': ['lock'] } },
          { name: 'ops', token: OPS, permissions: { '': ['admin'] } },
        ],
      }),
    ),
  );
}

function fakeConnection(remote = '127.0.0.1:5000'): ClientConnection & { closedWith: number | null } {
  const conn = {
    remote,
    sessions: new Set<number>(),
    waits: new Map(),
    closedWith: null as number | null,
    close(code: number) {
      conn.closedWith = code;
    },
  };
  return conn as unknown as ClientConnection & { closedWith: number | null };
}

function request(fields: Record<string, unknown>): ClientRequest {
  const parsed = parseClientFrame(JSON.stringify({ v: 1, id: 'r', ...fields }));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
  return parsed.request;
}

function codeOf(fn: () => void): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    if (err instanceof ApiError) return err.code;
    throw err;
  }
}

function gate(limits: Partial<ClientLimits> = {}, store: TokenStore | null = tokens()) {
  const clock = new ManualClock();
  const g = new ClientGate({
    tokens: store,
    limits: { ...DEFAULT_CLIENT_LIMITS, ...limits },
    clock,
    logger: silentLogger(),
  });
  return { g, clock };
}

describe('ClientGate: authentication and permissions', () => {
  it('with auth on: no token and unknown tokens are UNAUTHENTICATED, requests before a good hello too', () => {
    const { g } = gate();
    const c = fakeConnection();
    g.opened(c);
    expect(codeOf(() => g.authenticate(c, undefined))).toBe('UNAUTHENTICATED');
    expect(codeOf(() => g.authenticate(c, 'wrong-token-0123456789abcdef'))).toBe('UNAUTHENTICATED');
    expect(codeOf(() => g.authorize(c, request({ type: 'status' })))).toBe('UNAUTHENTICATED');
    expect(codeOf(() => g.authenticate(c, JOBS))).toBeNull();
    expect(g.identity(c)?.name).toBe('jobs');
  });

  it('closes a connection after repeated failed hellos, once the last answer is out', async () => {
    const { g } = gate();
    const c = fakeConnection();
    g.opened(c);
    for (let i = 1; i < LIMITS.maxFailedHellosPerConnection; i++) {
      expect(codeOf(() => g.authenticate(c, `guess-${i}-0123456789abcdef`))).toBe('UNAUTHENTICATED');
    }
    await new Promise((r) => setImmediate(r));
    expect(c.closedWith).toBeNull();
    expect(codeOf(() => g.authenticate(c, 'last-guess-0123456789abcdef'))).toBe('UNAUTHENTICATED');
    expect(c.closedWith).toBeNull();
    await new Promise((r) => setImmediate(r));
    expect(c.closedWith).toBe(1008);
  });

  it('checks each request against the table and the request name', () => {
    const { g } = gate();
    const c = fakeConnection();
    g.opened(c);
    g.authenticate(c, JOBS);
    const acquire = (name: string) => request({ type: 'lock.acquire', seq: 1, sessionId: '1', name, wait: false });
    expect(codeOf(() => g.authorize(c, acquire('jobs/nightly')))).toBeNull();
    expect(codeOf(() => g.authorize(c, acquire('other/nightly')))).toBe('PERMISSION_DENIED');
    expect(codeOf(() => g.authorize(c, request({ type: 'lock.describe', name: 'jobs/x' })))).toBeNull();
    expect(
      codeOf(() =>
        g.authorize(c, request({ type: 'election.campaign', seq: 2, sessionId: '1', name: 'jobs/x', value: 'v' })),
      ),
    ).toBe('PERMISSION_DENIED');
    expect(codeOf(() => g.authorize(c, request({ type: 'session.open', seq: 3, ttlMs: 5_000 })))).toBeNull();
  });

  it('an admin token may do everything', () => {
    const { g } = gate();
    const c = fakeConnection();
    g.opened(c);
    g.authenticate(c, OPS);
    expect(
      codeOf(() =>
        g.authorize(c, request({ type: 'election.campaign', seq: 1, sessionId: '1', name: 'x', value: 'v' })),
      ),
    ).toBeNull();
    expect(codeOf(() => g.authorize(c, request({ type: 'status' })))).toBeNull();
  });

  it('a token removed by a reload is refused on the next request', () => {
    const store = tokens();
    const { g } = gate({}, store);
    const c = fakeConnection();
    g.opened(c);
    g.authenticate(c, JOBS);
    store.replace(parseTokenFile(JSON.stringify({ tokens: [] })));
    expect(codeOf(() => g.authorize(c, request({ type: 'lock.describe', name: 'jobs/x' })))).toBe('UNAUTHENTICATED');
  });

  it('with auth off everything passes and tokens are ignored', () => {
    const { g } = gate({}, null);
    const c = fakeConnection();
    g.opened(c);
    expect(codeOf(() => g.authenticate(c, undefined))).toBeNull();
    expect(
      codeOf(() => g.authorize(c, request({ type: 'lock.acquire', seq: 1, sessionId: '1', name: 'any', wait: false }))),
    ).toBeNull();
  });
});

describe('ClientGate: limits', () => {
  it('rate-limits each connection on its own, with a retry hint', () => {
    const { g, clock } = gate({ requestsPerSecondPerConnection: 10, requestsPerSecondPerIdentity: 0 }, null);
    const flood = fakeConnection();
    const calm = fakeConnection();
    g.opened(flood);
    g.opened(calm);
    let admitted = 0;
    let refusal = null;
    for (let i = 0; i < 100 && refusal === null; i++) {
      refusal = g.admitFrame(flood);
      if (refusal === null) admitted++;
    }
    expect(admitted).toBe(20);
    expect(refusal?.retryAfterMs).toBe(100);
    expect(g.admitFrame(calm)).toBeNull();
    clock.advance(100);
    expect(g.admitFrame(flood)).toBeNull();
  });

  it('rate-limits an identity across its connections, without spending the connection budget', () => {
    const { g } = gate({ requestsPerSecondPerConnection: 1_000, requestsPerSecondPerIdentity: 5 });
    const [a, b, other] = [fakeConnection(), fakeConnection(), fakeConnection()];
    for (const c of [a, b, other]) g.opened(c);
    g.authenticate(a, JOBS);
    g.authenticate(b, JOBS);
    g.authenticate(other, OPS);
    let admitted = 0;
    for (let i = 0; i < 10; i++) {
      if (g.admitFrame(i % 2 === 0 ? a : b) === null) admitted++;
    }
    expect(admitted).toBe(10); // burst: 2 s of 5/s
    expect(g.admitFrame(a)?.retryAfterMs).toBe(200);
    expect(g.admitFrame(other)).toBeNull();
  });

  it('an identity budget survives reconnecting', () => {
    const { g } = gate({ requestsPerSecondPerConnection: 0, requestsPerSecondPerIdentity: 1 });
    const first = fakeConnection();
    g.opened(first);
    g.authenticate(first, JOBS);
    while (g.admitFrame(first) === null) {}
    g.closed(first);
    const second = fakeConnection();
    g.opened(second);
    g.authenticate(second, JOBS);
    expect(g.admitFrame(second)).not.toBeNull();
  });

  it('limits connections per remote address until their sockets close', () => {
    const { g } = gate({ maxConnectionsPerAddress: 2 }, null);
    const sockets = [new EventEmitter(), new EventEmitter(), new EventEmitter()];
    expect(g.admitSocket('10.0.0.1', sockets[0]!)).toBe(true);
    expect(g.admitSocket('10.0.0.1', sockets[1]!)).toBe(true);
    expect(g.admitSocket('10.0.0.1', sockets[2]!)).toBe(false);
    expect(g.admitSocket('10.0.0.2', new EventEmitter())).toBe(true);
    sockets[0]!.emit('close');
    expect(g.admitSocket('10.0.0.1', sockets[2]!)).toBe(true);
  });

  it('limits sessions and pending waits per identity across its connections', () => {
    const { g } = gate({ maxSessionsPerIdentity: 3, maxWaitsPerIdentity: 2 });
    const [a, b] = [fakeConnection(), fakeConnection()];
    g.opened(a);
    g.opened(b);
    g.authenticate(a, JOBS);
    g.authenticate(b, JOBS);
    a.sessions.add(1);
    a.sessions.add(2);
    expect(codeOf(() => g.checkSessionQuota(b))).toBeNull();
    b.sessions.add(3);
    expect(codeOf(() => g.checkSessionQuota(b))).toBe('RESOURCE_EXHAUSTED');
    a.waits.set('w1', {} as never);
    expect(codeOf(() => g.checkWaitQuota(b))).toBeNull();
    b.waits.set('w2', {} as never);
    expect(codeOf(() => g.checkWaitQuota(a))).toBe('RESOURCE_EXHAUSTED');
  });
});
