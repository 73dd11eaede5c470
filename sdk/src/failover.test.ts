/**
 * Failover against scripted fake servers: endpoints tried in turn, NOT_LEADER hints followed,
 * retries with the same (clientId, seq), UNAVAILABLE retried, the pending-request bounds.
 */
import { LIMITS } from '@baton/proto-schemas';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PRIORITY_RESERVED_SLOTS } from './channel.js';
import type { BatonClient } from './client.js';
import { BatonError } from './errors.js';
import { FakeServer } from './testing/fake-server.js';
import { connect } from './testing/helpers.js';

const servers: FakeServer[] = [];
const clients: BatonClient[] = [];

async function start(count: number): Promise<FakeServer[]> {
  const started = await Promise.all(Array.from({ length: count }, (_, i) => FakeServer.start(`n${i + 1}`)));
  servers.push(...started);
  return started;
}

async function client(list: readonly FakeServer[], options = {}): Promise<BatonClient> {
  const c = await connect(list, options);
  clients.push(c);
  return c;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  vi.useRealTimers();
});

/** Timers and performance.now() on a fake clock; sockets stay real. */
function fakeClock(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
}

describe('connecting', () => {
  it('skips an endpoint nobody listens on and connects to the next', async () => {
    const [dead, live] = await start(2);
    await dead!.stop();
    const c = await client([dead!, live!]);
    expect(c.connectedEndpoint).toBe(live!.clientUrl);
    const hello = await live!.takeType('hello');
    expect(hello.fields.clientId).toBe(c.clientId);
  });

  it('goes straight to the leader named in the hello', async () => {
    const [follower, leader] = await start(2);
    follower!.leaderHint = leader!.clientUrl;
    leader!.leaderHint = leader!.clientUrl;
    const c = await client([follower!]);
    expect(c.connectedEndpoint).toBe(leader!.clientUrl);
  });

  it('rejects UNAUTHENTICATED at once instead of retrying a bad token', async () => {
    const [s] = await start(1);
    s!.script = (r) => (r.type === 'hello' ? { error: 'UNAUTHENTICATED', message: 'bad token' } : undefined);
    await expect(connect([s!], { token: 'wrong' })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await s!.takeType('hello')).fields.token).toBe('wrong');
  });

  it('rejects UNAVAILABLE when no endpoint answers within requestTimeoutMs', async () => {
    const [s] = await start(1);
    await s!.stop();
    const err = await connect([s!], { requestTimeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BatonError);
    expect((err as BatonError).code).toBe('UNAVAILABLE');
  });

  it('refuses endpoints that are not ws:// or wss:// URLs', async () => {
    await expect(connect([], { endpoints: ['http://127.0.0.1:1'] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'endpoints',
    });
  });
});

describe('failover', () => {
  it('reconnects to the next endpoint when the connection drops and finishes the pending read there', async () => {
    const [a, b] = await start(2);
    a!.script = (r) => (r.type === 'lock.describe' ? 'hold' : undefined);
    const c = await client([a!, b!]);
    const described = c.describe('jobs/report');
    await a!.takeType('lock.describe');
    await a!.stop();
    const result = await described;
    expect(result.name).toBe('jobs/report');
    expect((await b!.takeType('lock.describe')).fields.name).toBe('jobs/report');
    expect(c.connectedEndpoint).toBe(b!.clientUrl);
  });

  it('follows a NOT_LEADER hint and retries the write there with the same seq', async () => {
    const [follower, leader] = await start(2);
    follower!.script = (r) =>
      r.type === 'session.open' ? { error: 'NOT_LEADER', leaderHint: leader!.clientUrl } : undefined;
    const c = await client([follower!]);
    const session = await c.session({ ttlMs: 10_000 });
    const refused = await follower!.takeType('session.open');
    const applied = await leader!.takeType('session.open');
    expect(applied.fields.seq).toBe(refused.fields.seq);
    expect(applied.conn.clientId).toBe(refused.conn.clientId);
    expect(session.id).toBe('1');
    expect(c.connectedEndpoint).toBe(leader!.clientUrl);
    expect(follower!.invalid).toEqual([]);
    expect(leader!.invalid).toEqual([]);
  });

  it('retries a write whose connection dropped with the same (clientId, seq), so it applies once', async () => {
    const [a, b] = await start(2);
    const c = await client([a!, b!]);
    const session = await c.session();
    const lock = await session.acquire('jobs/report');
    a!.script = (r) => (r.type === 'lock.release' ? 'drop' : undefined);
    const released = lock.release();
    const first = await a!.takeType('lock.release');
    const retried = await b!.takeType('lock.release');
    await released;
    expect(retried.fields.seq).toBe(first.fields.seq);
    expect(retried.conn.clientId).toBe(first.conn.clientId);
    expect(retried.fields.token).toBe(lock.token);
    // the session resumed on b: a keepalive for it went there
    expect((await b!.takeType('session.keepalive')).fields.sessionId).toBe(session.id);
  });

  it('does not follow hints to an endpoint that just went away: it waits on the node at hand for the new leader', async () => {
    const [gone, follower, next] = await start(3);
    // the old leader died; its follower keeps naming it until the election is over
    await gone!.stop();
    follower!.leaderHint = gone!.clientUrl;
    next!.leaderHint = next!.clientUrl;
    let refusals = 0;
    follower!.script = (r) => {
      if (r.type !== 'session.open') return undefined;
      refusals += 1;
      return { error: 'NOT_LEADER', leaderHint: refusals < 4 ? gone!.clientUrl : next!.clientUrl };
    };
    const c = await client([gone!, follower!, next!]);
    const session = await c.session();
    expect(session.id).toBe('1');
    expect(refusals).toBe(4);
    // one connection to the follower all along: no round trips to the dead node and back
    expect(follower!.all('hello')).toHaveLength(1);
    expect(c.connectedEndpoint).toBe(next!.clientUrl);
  });

  it('retries UNAVAILABLE answers with backoff on the same node, then moves on after a streak', async () => {
    const [a, b] = await start(2);
    let refusals = 0;
    a!.script = (r) => {
      if (r.type !== 'session.open') return undefined;
      refusals += 1;
      return { error: 'UNAVAILABLE', message: 'no leader yet' };
    };
    const c = await client([a!, b!]);
    const session = await c.session();
    expect(session.id).toBe('1');
    const seqs = [...a!.all('session.open'), ...b!.all('session.open')].map((r) => r.fields.seq);
    expect(new Set(seqs).size).toBe(1);
    expect(refusals).toBe(3);
    expect(b!.all('session.open')).toHaveLength(1);
  });

  it('stays on a node that answers UNAVAILABLE naming itself leader (a new leader before its lease)', async () => {
    const [a, b] = await start(2);
    let refusals = 0;
    a!.script = (r) => {
      if (r.type !== 'session.open') return undefined;
      refusals += 1;
      return refusals <= 5 ? { error: 'UNAVAILABLE', message: 'no lease yet', leaderHint: a!.clientUrl } : undefined;
    };
    const c = await client([a!, b!]);
    const session = await c.session();
    expect(session.id).toBe('1');
    // more refusals than a streak allows, yet no move to b and no reconnect
    expect(refusals).toBe(6);
    expect(a!.all('hello')).toHaveLength(1);
    expect(b!.all('hello')).toHaveLength(0);
    expect(c.connectedEndpoint).toBe(a!.clientUrl);
  });

  it('sends the calls waiting out an election retry at once on the next connection', async () => {
    fakeClock();
    const [gone, follower, leader] = await start(3);
    await gone!.stop();
    follower!.leaderHint = gone!.clientUrl;
    leader!.leaderHint = leader!.clientUrl;
    // the follower still names the dead leader: both opens wait out a retry delay
    follower!.script = (r) =>
      r.type === 'session.open' ? { error: 'NOT_LEADER', leaderHint: gone!.clientUrl } : undefined;
    const c = await client([gone!, follower!, leader!]);
    let opened = 0;
    for (const p of [c.session(), c.session()]) void p.then(() => opened++);
    await follower!.takeType('session.open');
    await follower!.takeType('session.open');
    // the follower goes too; the client moves to the leader. Fake time stands still, so no
    // retry timer fires: only the new connection can send the two opens again.
    const next = leader!.nextConnection();
    await follower!.stop();
    await next;
    for (let i = 0; i < 10_000 && opened < 2; i++) await new Promise((r) => setImmediate(r));
    expect(opened).toBe(2);
    expect(leader!.all('session.open')).toHaveLength(2);
  });

  it('fails a request UNAVAILABLE when nothing answers within requestTimeoutMs', async () => {
    const [a] = await start(1);
    a!.script = (r) => (r.type === 'status' ? 'hold' : undefined);
    const c = await client([a!], { requestTimeoutMs: 150 });
    await expect(c.status()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});

describe('stuck nodes', () => {
  it('replaces a connection whose node leaves a keepalive unanswered for one interval', async () => {
    fakeClock();
    const [a, b] = await start(2);
    a!.script = (r) => (r.type === 'session.keepalive' ? 'hold' : undefined);
    const c = await client([a!, b!]);
    const session = await c.session({ ttlMs: 3_000, safetyMarginMs: 300, keepaliveIntervalMs: 1_000 });
    await vi.advanceTimersByTimeAsync(1_000);
    await a!.takeType('session.keepalive');
    expect(b!.all('session.keepalive')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    const resumed = await b!.takeType('session.keepalive');
    expect(resumed.fields.sessionId).toBe(session.id);
    expect(session.signal.aborted).toBe(false);
    expect(c.connectedEndpoint).toBe(b!.clientUrl);
  });

  it('replaces a connection whose node answers no ping within the heartbeat interval', async () => {
    fakeClock();
    const silent = await FakeServer.start('n1', { autoPong: false });
    servers.push(silent);
    const [b] = await start(1);
    const c = await client([silent, b!], { heartbeatIntervalMs: 1_000 });
    expect(c.connectedEndpoint).toBe(silent.clientUrl);
    const next = b!.nextConnection();
    // one interval sends the ping, the next finds it unanswered
    await vi.advanceTimersByTimeAsync(2_000);
    await next;
    await b!.takeType('hello');
    expect((await c.status()).nodeId).toBe('n1');
    expect(c.connectedEndpoint).toBe(b!.clientUrl);
  });
});

describe('bounds', () => {
  it('keepalives are not refused when the application filled maxPendingRequests', async () => {
    fakeClock();
    const [a] = await start(1);
    a!.script = (r) => (r.type === 'lock.describe' ? 'hold' : undefined);
    const c = await client([a!], { maxPendingRequests: 2 });
    const session = await c.session({ ttlMs: 3_000, safetyMarginMs: 300, keepaliveIntervalMs: 1_000 });
    const held = [c.describe('x'), c.describe('y')];
    for (const p of held) p.catch(() => {});
    await expect(c.describe('z')).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await a!.takeType('session.keepalive')).fields.sessionId).toBe(session.id);
  });

  it('checks a request with the server parser before sending it (INVALID_ARGUMENT naming the field)', async () => {
    const [a] = await start(1);
    const c = await client([a!]);
    await expect(c.describe('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'name' });
    expect(a!.all('lock.describe')).toHaveLength(0);
  });

  it('keeps at most the server in-flight limit on the wire and queues the rest', async () => {
    const [a] = await start(1);
    a!.script = (r) => (r.type === 'lock.describe' ? 'hold' : undefined);
    const c = await client([a!]);
    const normalSlots = LIMITS.maxInflightRequestsPerConnection - PRIORITY_RESERVED_SLOTS;
    const reads = Array.from({ length: normalSlots + 10 }, (_, i) => c.describe(`n${i}`));
    for (const r of reads) r.catch(() => {});
    const seen = await Promise.all(Array.from({ length: normalSlots }, () => a!.takeType('lock.describe')));
    expect(a!.all('lock.describe')).toHaveLength(normalSlots);
    seen[0]!.respond(a!.defaultReply(seen[0]!));
    const next = await a!.takeType('lock.describe');
    expect(next.fields.name).toBe(`n${normalSlots}`);
    for (const r of [...seen.slice(1), next]) r.respond(a!.defaultReply(r));
    for (let i = 0; i < 9; i++) {
      const r = await a!.takeType('lock.describe');
      r.respond(a!.defaultReply(r));
    }
    await Promise.all(reads);
  });

  it('fails RESOURCE_EXHAUSTED at once beyond maxPendingRequests', async () => {
    const [a] = await start(1);
    a!.script = (r) => (r.type === 'lock.describe' ? 'hold' : undefined);
    const c = await client([a!], { maxPendingRequests: 2 });
    const held = [c.describe('x'), c.describe('y')];
    await expect(c.describe('z')).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    await c.close();
    for (const p of held) await expect(p).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
