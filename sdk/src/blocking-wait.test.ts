/**
 * Blocking acquire/campaign against a scripted fake server: abort and timeout remove the waiter
 * (lock.cancel), a grant that raced the abort is given back, a wait interrupted by a reconnect is
 * re-attached, and nothing is left held.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BatonClient } from './client.js';
import { FakeServer, type Received } from './testing/fake-server.js';
import { connect, roundTrip } from './testing/helpers.js';

const servers: FakeServer[] = [];
const clients: BatonClient[] = [];

async function setup(count = 1): Promise<{ server: FakeServer; servers: FakeServer[]; client: BatonClient }> {
  const started = await Promise.all(Array.from({ length: count }, (_, i) => FakeServer.start(`n${i + 1}`)));
  servers.push(...started);
  const client = await connect(started);
  clients.push(client);
  return { server: started[0]!, servers: started, client };
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  vi.useRealTimers();
});

const isWait = (name: string) => (r: Received) =>
  (r.type === 'lock.acquire' || r.type === 'election.campaign') && r.fields.name === name;

/** Holds waits on `name`; a cancel answers the wait CANCELLED (or with `racedGrant`) like the server. */
function scriptWaits(server: FakeServer, name: string, racedGrant?: Record<string, unknown>): void {
  server.script = (r) => {
    if (isWait(name)(r) && r.fields.timeoutMs !== 0) return 'hold';
    if (r.type === 'lock.cancel') {
      const wait = server.requests.find((w) => w.conn === r.conn && w.request.id === r.fields.requestId && !w.answered);
      if (wait === undefined) return { ok: { cancelled: false } };
      if (racedGrant !== undefined) {
        wait.respond({ ok: racedGrant });
        return { ok: { cancelled: false } };
      }
      wait.respond({ error: 'CANCELLED' });
      return { ok: { cancelled: true } };
    }
    return undefined;
  };
}

describe('abort and timeout', () => {
  it('an abort rejects at once and sends lock.cancel for that very request; nothing is released', async () => {
    const { server, client } = await setup();
    scriptWaits(server, 'jobs');
    const session = await client.session();
    const controller = new AbortController();
    const waiting = session.acquire('jobs', { signal: controller.signal });
    const acquire = await server.take(isWait('jobs'));
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
    const cancel = await server.takeType('lock.cancel');
    expect(cancel.fields.requestId).toBe(acquire.request.id);
    expect(cancel.conn).toBe(acquire.conn);
    await roundTrip(client);
    await roundTrip(client);
    expect(server.all('lock.release')).toHaveLength(0);
    // the name is free for this session again
    server.script = () => undefined;
    expect((await session.acquire('jobs')).held).toBe(true);
  });

  it('a grant that raced the abort is released', async () => {
    const { server, client } = await setup();
    scriptWaits(server, 'jobs', { acquired: true, token: 555, generation: 7 });
    const session = await client.session();
    const controller = new AbortController();
    const waiting = session.acquire('jobs', { signal: controller.signal });
    await server.take(isWait('jobs'));
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
    const release = await server.takeType('lock.release');
    expect(release.fields).toMatchObject({ name: 'jobs', token: 555, sessionId: session.id });
  });

  it('timeoutMs goes to the server and rejects TIMEOUT locally when it passes, cancelling the waiter', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
    const { server, client } = await setup();
    scriptWaits(server, 'jobs');
    const session = await client.session();
    const waiting = session.acquire('jobs', { timeoutMs: 1_500 });
    waiting.catch(() => {});
    const acquire = await server.take(isWait('jobs'));
    expect(acquire.fields.timeoutMs).toBe(1_500);
    await vi.advanceTimersByTimeAsync(1_499);
    await roundTrip(client);
    expect(server.all('lock.cancel')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await expect(waiting).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect((await server.takeType('lock.cancel')).fields.requestId).toBe(acquire.request.id);
  });

  it('an AbortSignal.timeout-style reason rejects TIMEOUT; an already aborted signal sends nothing', async () => {
    const { server, client } = await setup();
    const session = await client.session();
    const reason = new DOMException('too slow', 'TimeoutError');
    await expect(session.acquire('jobs', { signal: AbortSignal.abort(reason) })).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
    await expect(session.campaign('primary', 'a', { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    await roundTrip(client);
    expect(server.all('lock.acquire')).toHaveLength(0);
    expect(server.all('election.campaign')).toHaveLength(0);
  });

  it('aborted while the connection is lost: the re-sent wait carries timeoutMs 0 and its grant is released', async () => {
    const { server, client } = await setup();
    scriptWaits(server, 'jobs');
    const session = await client.session();
    const controller = new AbortController();
    const waiting = session.acquire('jobs', { signal: controller.signal });
    const first = await server.take(isWait('jobs'));
    // the cancel never arrives: its connection dies under it
    server.script = (r) => {
      if (r.type === 'lock.cancel') return 'drop';
      if (isWait('jobs')(r)) return { ok: { acquired: true, token: 777, generation: 3 } };
      return undefined;
    };
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
    const resent = await server.take((r) => isWait('jobs')(r) && r !== first);
    expect(resent.conn).not.toBe(first.conn);
    expect(resent.fields.timeoutMs).toBe(0);
    expect(resent.fields.seq).toBeGreaterThan(first.fields.seq as number);
    const release = await server.takeType('lock.release');
    expect(release.fields.token).toBe(777);
  });
});

describe('reconnect during a wait', () => {
  it('re-attaches the wait on the new connection with a fresh seq and the remaining timeout', async () => {
    const {
      servers: [a, b],
      client,
    } = await setup(2);
    scriptWaits(a!, 'jobs');
    const session = await client.session();
    const waiting = session.acquire('jobs', { timeoutMs: 60_000 });
    const first = await a!.take(isWait('jobs'));
    b!.script = (r) => (isWait('jobs')(r) ? { ok: { acquired: true, token: 901, generation: 4 } } : undefined);
    await a!.stop();
    const lock = await waiting;
    const again = await b!.take(isWait('jobs'));
    expect(again.fields.seq).toBeGreaterThan(first.fields.seq as number);
    expect(again.fields.sessionId).toBe(session.id);
    expect(again.fields.timeoutMs).toBeGreaterThan(0);
    expect(again.fields.timeoutMs).toBeLessThanOrEqual(60_000);
    expect(lock.token).toBe(901);
    expect(lock.held).toBe(true);
  });
});

describe('elections', () => {
  it('campaign → leadership with its term; proclaim and resign carry the term', async () => {
    const { server, client } = await setup();
    const session = await client.session();
    const lead = await session.campaign('primary', 'worker-a');
    expect(lead.value).toBe('worker-a');
    await lead.proclaim('worker-a:v2');
    expect(lead.value).toBe('worker-a:v2');
    expect((await server.takeType('election.proclaim')).fields).toMatchObject({
      term: lead.term,
      value: 'worker-a:v2',
    });
    await lead.resign();
    expect(lead.signal.aborted).toBe(true);
    expect((await server.takeType('election.resign')).fields).toMatchObject({ name: 'primary', term: lead.term });
    await lead.resign();
    expect(server.all('election.resign')).toHaveLength(1);
  });

  it('an aborted campaign is cancelled, and a raced win is resigned', async () => {
    const { server, client } = await setup();
    scriptWaits(server, 'primary', { term: 444 });
    const session = await client.session();
    const controller = new AbortController();
    const waiting = session.campaign('primary', 'worker-b', { signal: controller.signal });
    await server.take(isWait('primary'));
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
    expect((await server.takeType('election.resign')).fields).toMatchObject({ name: 'primary', term: 444 });
  });
});

describe('helpers', () => {
  it('tryAcquire answers null when the name is full', async () => {
    const { server, client } = await setup();
    server.script = (r) => (r.type === 'lock.acquire' ? { ok: { acquired: false } } : undefined);
    const session = await client.session();
    expect(await session.tryAcquire('jobs')).toBeNull();
    expect((await server.takeType('lock.acquire')).fields.wait).toBe(false);
  });

  it('a tryAcquire that timed out gives back a grant that is answered late', async () => {
    const { server } = await setup();
    const lateClient = await connect([server], { requestTimeoutMs: 300 });
    clients.push(lateClient);
    server.script = (r) => (r.type === 'lock.acquire' && r.fields.wait === false ? 'hold' : undefined);
    const session = await lateClient.session();
    const trying = session.tryAcquire('jobs');
    const acquire = await server.take(isWait('jobs'));
    await expect(trying).rejects.toMatchObject({ code: 'TIMEOUT' });
    acquire.respond({ ok: { acquired: true, token: 91, generation: 3 } });
    const release = await server.takeType('lock.release');
    expect(release.fields).toMatchObject({ name: 'jobs', token: 91, sessionId: session.id });
    // the name is this session's to try again
    server.script = () => undefined;
    expect((await session.tryAcquire('jobs'))?.held).toBe(true);
  });

  it('a tryAcquire that timed out and is answered "not acquired" late releases nothing', async () => {
    const { server } = await setup();
    const lateClient = await connect([server], { requestTimeoutMs: 300 });
    clients.push(lateClient);
    server.script = (r) => (r.type === 'lock.acquire' && r.fields.wait === false ? 'hold' : undefined);
    const session = await lateClient.session();
    const trying = session.tryAcquire('jobs');
    const acquire = await server.take(isWait('jobs'));
    await expect(trying).rejects.toMatchObject({ code: 'TIMEOUT' });
    acquire.respond({ ok: { acquired: false } });
    await roundTrip(lateClient);
    await roundTrip(lateClient);
    expect(server.all('lock.release')).toHaveLength(0);
  });

  it('withLock releases after the function, also when it throws (its error wins)', async () => {
    const { server, client } = await setup();
    const session = await client.session();
    const result = await session.withLock('jobs', (lock) => {
      expect(lock.held).toBe(true);
      return lock.token;
    });
    expect((await server.takeType('lock.release')).fields.token).toBe(result);
    const boom = new Error('boom');
    await expect(
      session.withLock('jobs', () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    await server.takeType('lock.release');
  });

  it('await using releases the lock when the block ends', async () => {
    const { server, client } = await setup();
    const session = await client.session();
    let token = 0;
    {
      await using lock = await session.acquire('jobs', { limit: 3, metadata: { owner: 'test' } });
      token = lock.token;
      expect(lock.limit).toBe(3);
    }
    expect((await server.takeType('lock.release')).fields.token).toBe(token);
    const acquire = await server.takeType('lock.acquire');
    expect(acquire.fields).toMatchObject({ limit: 3, metadata: { owner: 'test' }, wait: true });
  });
});
