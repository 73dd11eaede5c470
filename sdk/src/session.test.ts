/**
 * Sessions against a scripted fake server: local loss detection on a fake monotonic clock (the
 * signal fires exactly ttlMs − safetyMarginMs after the SEND time of the last acknowledged
 * keepalive), server-side expiry and loss events, resumption after a reconnect, close.
 */
import { event } from '@baton/proto-schemas';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BatonClient } from './client.js';
import { BatonError } from './errors.js';
import { FakeServer } from './testing/fake-server.js';
import { connect, roundTrip } from './testing/helpers.js';

const servers: FakeServer[] = [];
const clients: BatonClient[] = [];

async function setup(options = {}): Promise<{ server: FakeServer; client: BatonClient }> {
  const server = await FakeServer.start('n1');
  servers.push(server);
  const client = await connect([server], options);
  clients.push(client);
  return { server, client };
}

afterEach(async () => {
  // closing needs no timer (answers come over the sockets), so it works before real timers return
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  vi.useRealTimers();
});

/** Timers and performance.now() on a fake clock; sockets stay real. */
function fakeClock(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
}

function reasonCode(signal: AbortSignal): string | undefined {
  return signal.reason instanceof BatonError ? signal.reason.code : undefined;
}

describe('local loss detection', () => {
  it('aborts the session, its locks and its waits exactly ttlMs − safetyMarginMs after the open was sent', async () => {
    fakeClock();
    const { server, client } = await setup();
    server.script = (r) =>
      r.type === 'session.keepalive' || (r.type === 'lock.acquire' && r.fields.name === 'b') ? 'hold' : undefined;
    const openSentAtMs = performance.now();
    // interval 2 s: the unanswered keepalive's own timeout (one interval) comes after the deadline
    const session = await client.session({ ttlMs: 3_000, safetyMarginMs: 300, keepaliveIntervalMs: 2_000 });
    const lock = await session.acquire('a');
    const waiting = session.acquire('b');
    waiting.catch(() => {});
    await server.take((r) => r.type === 'lock.acquire' && r.fields.name === 'b');

    await vi.advanceTimersByTimeAsync(openSentAtMs + 2_700 - 1 - performance.now());
    expect(server.all('session.keepalive')).toHaveLength(1);
    expect(session.signal.aborted).toBe(false);
    expect(lock.signal.aborted).toBe(false);
    expect(session.safeForMs).toBe(1);

    await vi.advanceTimersByTimeAsync(1);
    expect(session.signal.aborted).toBe(true);
    expect(reasonCode(session.signal)).toBe('SESSION_EXPIRED');
    expect(lock.signal.aborted).toBe(true);
    expect(lock.signal.reason).toBe(session.signal.reason);
    expect(session.state).toBe('lost');
    await expect(waiting).rejects.toMatchObject({ code: 'SESSION_EXPIRED' });
    // and the server is told to drop it rather than keep the holds until its own expiry
    expect((await server.takeType('session.close')).fields.sessionId).toBe(session.id);
  });

  it('counts from the SEND time of the acknowledged keepalive, not from when the answer came', async () => {
    fakeClock();
    const { server, client } = await setup();
    server.script = (r) => (r.type === 'session.keepalive' ? 'hold' : undefined);
    const session = await client.session({ ttlMs: 3_000, safetyMarginMs: 300, keepaliveIntervalMs: 1_000 });
    await vi.advanceTimersByTimeAsync(1_000);
    const keepalive = await server.takeType('session.keepalive');
    const sentAtMs = performance.now();
    await vi.advanceTimersByTimeAsync(500);
    keepalive.respond({ ok: { ttlMs: 3_000, remainingMs: 3_000 } });
    await roundTrip(client);
    expect(session.safeForMs).toBe(sentAtMs + 2_700 - performance.now());

    await vi.advanceTimersByTimeAsync(sentAtMs + 2_700 - 1 - performance.now());
    expect(session.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(reasonCode(session.signal)).toBe('SESSION_EXPIRED');
  });

  it('never trusts more than the leader says remains', async () => {
    fakeClock();
    const { server, client } = await setup();
    server.script = (r) => (r.type === 'session.keepalive' ? 'hold' : undefined);
    const session = await client.session({ ttlMs: 3_000, safetyMarginMs: 300, keepaliveIntervalMs: 1_000 });
    await vi.advanceTimersByTimeAsync(1_000);
    const keepalive = await server.takeType('session.keepalive');
    const sentAtMs = performance.now();
    keepalive.respond({ ok: { ttlMs: 3_000, remainingMs: 2_000 } });
    await roundTrip(client);
    expect(session.safeForMs).toBe(sentAtMs + 1_700 - performance.now());
    await vi.advanceTimersByTimeAsync(1_700);
    expect(reasonCode(session.signal)).toBe('SESSION_EXPIRED');
  });

  it('keeps the session while keepalives are acknowledged', async () => {
    fakeClock();
    const { server, client } = await setup();
    const session = await client.session({ ttlMs: 3_000, safetyMarginMs: 300, keepaliveIntervalMs: 1_000 });
    for (let i = 1; i <= 10; i++) {
      await vi.advanceTimersByTimeAsync(1_000);
      await roundTrip(client);
      expect(session.safeForMs).toBe(2_700);
    }
    expect(session.signal.aborted).toBe(false);
    expect(server.all('session.keepalive').length).toBe(10);
  });
});

describe('server-side endings', () => {
  it('a sessionExpired event aborts the session and its locks at once', async () => {
    const { server, client } = await setup();
    const session = await client.session();
    const lock = await session.acquire('a');
    const open = await server.takeType('session.open');
    open.conn.push(event('sessionExpired', { sessionId: session.id }));
    await roundTrip(client);
    expect(session.signal.aborted).toBe(true);
    expect(reasonCode(session.signal)).toBe('SESSION_EXPIRED');
    expect(lock.signal.aborted).toBe(true);
  });

  it('a lost event aborts only that lock', async () => {
    const { server, client } = await setup();
    const session = await client.session();
    const a = await session.acquire('a');
    const b = await session.acquire('b');
    (await server.takeType('session.open')).conn.push(
      event('lost', { sessionId: session.id, name: 'a', token: a.token, reason: 'revoked' }),
    );
    await roundTrip(client);
    expect(a.signal.aborted).toBe(true);
    expect(reasonCode(a.signal)).toBe('NOT_HOLDER');
    expect(b.held).toBe(true);
    expect(session.signal.aborted).toBe(false);
    await a.release();
    expect(server.all('lock.release')).toHaveLength(0);
  });

  it('a keepalive answered SESSION_EXPIRED loses the session', async () => {
    fakeClock();
    const { server, client } = await setup();
    server.script = (r) => (r.type === 'session.keepalive' ? { error: 'SESSION_EXPIRED' } : undefined);
    const session = await client.session({ ttlMs: 3_000, safetyMarginMs: 300, keepaliveIntervalMs: 1_000 });
    await vi.advanceTimersByTimeAsync(1_000);
    await roundTrip(client);
    expect(session.signal.aborted).toBe(true);
    expect(session.state).toBe('lost');
  });
});

describe('resumption and close', () => {
  it('resumes the same session on the new connection after a drop, keeping its locks', async () => {
    const { server, client } = await setup();
    const session = await client.session();
    const lock = await session.acquire('a');
    const first = (await server.takeType('session.open')).conn;
    first.drop();
    const resumed = await server.take((r) => r.type === 'session.keepalive' && r.conn !== first);
    expect(resumed.fields.sessionId).toBe(session.id);
    expect(session.signal.aborted).toBe(false);
    expect(lock.held).toBe(true);
  });

  it('close aborts every signal with CLOSED, rejects waits, and closes the session on the server', async () => {
    const { server, client } = await setup();
    server.script = (r) => (r.type === 'lock.acquire' && r.fields.name === 'b' ? 'hold' : undefined);
    const session = await client.session();
    const lock = await session.acquire('a');
    const waiting = session.acquire('b');
    waiting.catch(() => {});
    await server.take((r) => r.type === 'lock.acquire' && r.fields.name === 'b');
    await session.close();
    expect(reasonCode(session.signal)).toBe('CLOSED');
    expect(reasonCode(lock.signal)).toBe('CLOSED');
    await expect(waiting).rejects.toMatchObject({ code: 'CLOSED' });
    expect((await server.takeType('session.close')).fields.sessionId).toBe(session.id);
    await expect(session.acquire('c')).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('refuses a second hold or wait on the same name in one session', async () => {
    const { client } = await setup();
    const session = await client.session();
    await session.acquire('a');
    await expect(session.acquire('a')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'name' });
    await expect(session.tryAcquire('a')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('client.acquire uses a default session and opens a new one once it is lost', async () => {
    const { server, client } = await setup();
    const first = await client.acquire('a');
    (await server.takeType('session.open')).conn.push(event('sessionExpired', { sessionId: first.sessionId }));
    await roundTrip(client);
    expect(first.signal.aborted).toBe(true);
    const second = await client.acquire('a');
    expect(second.sessionId).not.toBe(first.sessionId);
    expect(server.all('session.open')).toHaveLength(2);
  });
});
