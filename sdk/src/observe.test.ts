/** Election observation against a scripted fake server: changes, no-leader, overflow, reconnects. */
import { type ElectionLeader, event } from '@baton/proto-schemas';
import { afterEach, describe, expect, it } from 'vitest';
import type { BatonClient } from './client.js';
import type { ElectionChange } from './observe.js';
import { FakeServer } from './testing/fake-server.js';
import { connect, roundTrip } from './testing/helpers.js';

const servers: FakeServer[] = [];
const clients: BatonClient[] = [];

async function setup(count = 1): Promise<{ servers: FakeServer[]; client: BatonClient }> {
  const started = await Promise.all(Array.from({ length: count }, (_, i) => FakeServer.start(`n${i + 1}`)));
  servers.push(...started);
  const client = await connect(started);
  clients.push(client);
  return { servers: started, client };
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

const leaderA: ElectionLeader = { sessionId: '3', value: 'worker-a', term: 40 };
const leaderB: ElectionLeader = { sessionId: '5', value: 'worker-b', term: 52 };

describe('observe', () => {
  it('yields the current leader, then every change, including "no leader"', async () => {
    const {
      servers: [s],
      client,
    } = await setup();
    s!.script = (r) => (r.type === 'election.observe' ? { ok: { leader: leaderA } } : undefined);
    const it = client.observe('workers/primary')[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value).toEqual({ name: 'workers/primary', leader: leaderA, droppedChanges: 0 });
    const conn = (await s!.takeType('election.observe')).conn;
    conn.push(event('election', { name: 'workers/primary', leader: null }));
    conn.push(event('election', { name: 'other', leader: leaderB }));
    conn.push(event('election', { name: 'workers/primary', leader: leaderB }));
    expect((await it.next()).value).toMatchObject({ leader: null });
    expect((await it.next()).value).toMatchObject({ leader: leaderB });
    await it.return?.();
    expect((await s!.takeType('election.unobserve')).fields.name).toBe('workers/primary');
  });

  it('a slow consumer loses the oldest changes, and the next change says how many', async () => {
    const {
      servers: [s],
      client,
    } = await setup();
    const changes = client.observe('e', { maxBufferedChanges: 2 })[Symbol.asyncIterator]();
    expect((await changes.next()).value).toMatchObject({ leader: null, droppedChanges: 0 });
    const conn = (await s!.takeType('election.observe')).conn;
    for (let term = 1; term <= 5; term++) {
      conn.push(event('election', { name: 'e', leader: { sessionId: '1', value: `v${term}`, term } }));
    }
    await roundTrip(client);
    const a = (await changes.next()).value as ElectionChange;
    const b = (await changes.next()).value as ElectionChange;
    expect([a.leader?.term, a.droppedChanges]).toEqual([4, 3]);
    expect([b.leader?.term, b.droppedChanges]).toEqual([5, 0]);
    await changes.return?.();
  });

  it('observes again after a reconnect and yields the leader that changed meanwhile', async () => {
    const {
      servers: [a, b],
      client,
    } = await setup(2);
    a!.script = (r) => (r.type === 'election.observe' ? { ok: { leader: leaderA } } : undefined);
    b!.script = (r) => (r.type === 'election.observe' ? { ok: { leader: leaderB } } : undefined);
    const changes = client.observe('e')[Symbol.asyncIterator]();
    expect((await changes.next()).value).toMatchObject({ leader: leaderA });
    await a!.stop();
    expect((await changes.next()).value).toMatchObject({ leader: leaderB, droppedChanges: 0 });
    expect((await b!.takeType('election.observe')).fields.name).toBe('e');
    await changes.return?.();
  });

  it('ends without an error when the signal aborts, and when the client closes', async () => {
    const { client } = await setup();
    const controller = new AbortController();
    const seen: (ElectionLeader | null)[] = [];
    const loop = (async () => {
      for await (const change of client.observe('e', { signal: controller.signal })) {
        seen.push(change.leader);
        controller.abort();
      }
    })();
    await loop;
    expect(seen).toEqual([null]);
    const second = (async () => {
      let count = 0;
      for await (const _ of client.observe('e')) {
        count += 1;
        void client.close();
      }
      return count;
    })();
    expect(await second).toBe(1);
  });

  it('several iterators of one name share one server-side observe', async () => {
    const {
      servers: [s],
      client,
    } = await setup();
    const one = client.observe('e')[Symbol.asyncIterator]();
    const two = client.observe('e')[Symbol.asyncIterator]();
    await one.next();
    await two.next();
    expect(s!.all('election.observe')).toHaveLength(1);
    await one.return?.();
    await roundTrip(client);
    expect(s!.all('election.unobserve')).toHaveLength(0);
    await two.return?.();
    await s!.takeType('election.unobserve');
  });

  it('an invalid name fails the iteration with INVALID_ARGUMENT', async () => {
    const { client } = await setup();
    const changes = client.observe('')[Symbol.asyncIterator]();
    await expect(changes.next()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'name' });
  });
});
