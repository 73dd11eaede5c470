/**
 * The SDK against a real 3-process cluster: FIFO contention with increasing fencing tokens,
 * semaphores, elections with observe, and aborts that leave nothing behind on the server.
 */
import { BatonClient, type Session } from '@baton/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, waitFor } from '../cluster/harness.js';

let cluster: TestCluster;
const clients: BatonClient[] = [];

/** Starting three processes on a loaded 2-core machine can take longer than vitest's 10 s hook default. */
const CLUSTER_HOOK_TIMEOUT_MS = 60_000;

beforeAll(async () => {
  cluster = await TestCluster.start(3);
}, CLUSTER_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await cluster?.stop();
}, CLUSTER_HOOK_TIMEOUT_MS);

/** Each client starts at the FIRST endpoint, a follower or the leader: the SDK finds the leader. */
async function client(): Promise<BatonClient> {
  const c = await BatonClient.connect({ endpoints: cluster.nodes.map((n) => `ws://127.0.0.1:${n.port}`) });
  clients.push(c);
  return c;
}

async function sessions(count: number): Promise<{ client: BatonClient; session: Session }[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const c = await client();
      return { client: c, session: await c.session({ ttlMs: 10_000 }) };
    }),
  );
}

async function waiterCount(c: BatonClient, name: string, count: number): Promise<void> {
  await waitFor(`${count} waiters on ${name}`, async () =>
    (await c.describe(name)).waiters.length === count ? true : null,
  );
}

describe('locks on a real cluster', () => {
  it('hands the lock over in FIFO order with strictly increasing tokens', async () => {
    const [a, b, c] = await sessions(3);
    const lockA = await a!.session.acquire('fifo', { metadata: { owner: 'a' } });
    const waitB = b!.session.acquire('fifo');
    await waiterCount(a!.client, 'fifo', 1);
    const waitC = c!.session.acquire('fifo');
    await waiterCount(a!.client, 'fifo', 2);

    const described = await c!.client.describe('fifo');
    expect(described.holders.map((h) => [h.sessionId, h.token, h.metadata])).toEqual([
      [a!.session.id, lockA.token, { owner: 'a' }],
    ]);
    expect(described.waiters.map((w) => w.sessionId)).toEqual([b!.session.id, c!.session.id]);
    expect(await b!.client.checkFence('fifo', lockA.token)).toBe(true);

    await lockA.release();
    const lockB = await waitB;
    expect(lockB.token).toBeGreaterThan(lockA.token);
    expect(lockB.generation).toBe(lockA.generation + 1);
    expect(await a!.client.checkFence('fifo', lockA.token)).toBe(false);
    expect(lockA.signal.aborted).toBe(true);
    expect(lockB.held).toBe(true);

    await lockB.release();
    const lockC = await waitC;
    expect(lockC.token).toBeGreaterThan(lockB.token);
    expect(lockC.generation).toBe(lockB.generation + 1);
    await lockC.release();
    expect((await a!.client.describe('fifo')).holders).toEqual([]);
  });

  it('a semaphore admits `limit` holders and queues the next', async () => {
    const [a, b, c] = await sessions(3);
    const one = await a!.session.acquire('pool', { limit: 2 });
    const two = await b!.session.acquire('pool', { limit: 2 });
    expect(await c!.session.tryAcquire('pool', { limit: 2 })).toBeNull();
    const three = c!.session.acquire('pool', { limit: 2 });
    await waiterCount(a!.client, 'pool', 1);
    await one.release();
    expect((await three).token).toBeGreaterThan(two.token);
  });

  it('withLock and the default session', async () => {
    const c = await client();
    const token = await c.withLock('with', async (lock) => {
      expect(await c.checkFence('with', lock.token)).toBe(true);
      return lock.token;
    });
    expect(await c.checkFence('with', token)).toBe(false);
    const status = await c.status();
    expect(status.members).toHaveLength(3);
  });
});

describe('aborts leave nothing behind', () => {
  it('an aborted waiter is removed on the server; the next release grants nobody', async () => {
    const [a, b] = await sessions(2);
    const held = await a!.session.acquire('abort');
    const controller = new AbortController();
    const waiting = b!.session.acquire('abort', { signal: controller.signal });
    await waiterCount(a!.client, 'abort', 1);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
    await waiterCount(a!.client, 'abort', 0);
    await held.release();
    const after = await a!.client.describe('abort');
    expect(after.holders).toEqual([]);
    expect(after.waiters).toEqual([]);
    expect(b!.session.signal.aborted).toBe(false);
  });

  it('a timed-out waiter is removed on the server', async () => {
    const [a, b] = await sessions(2);
    const held = await a!.session.acquire('timeout');
    await expect(b!.session.acquire('timeout', { timeoutMs: 300 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    await waiterCount(a!.client, 'timeout', 0);
    await held.release();
    expect((await a!.client.describe('timeout')).holders).toEqual([]);
  });

  it('an abort racing the grant leaves no holder (the SDK gives a raced grant back)', async () => {
    const [a, b] = await sessions(2);
    for (let round = 0; round < 5; round++) {
      const name = `race-${round}`;
      const held = await a!.session.acquire(name);
      const controller = new AbortController();
      const waiting = b!.session.acquire(name, { signal: controller.signal });
      waiting.catch(() => {});
      await waiterCount(a!.client, name, 1);
      // the release (which grants b) and the abort leave in the same tick
      const released = held.release();
      controller.abort();
      await released;
      await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
      await waitFor(`${name} free`, async () => {
        const d = await a!.client.describe(name);
        return d.holders.length === 0 && d.waiters.length === 0 ? true : null;
      });
    }
  });
});

describe('elections on a real cluster', () => {
  it('campaign, observe (with no-leader), proclaim, resign hands over', async () => {
    const [a, b] = await sessions(2);
    const watcher = await client();
    const controller = new AbortController();
    const seen: (string | null)[] = [];
    const watching = (async () => {
      for await (const change of watcher.observe('primary', { signal: controller.signal })) {
        seen.push(change.leader?.value ?? null);
        if (seen.length === 5) controller.abort();
      }
    })();
    await waitFor('observer saw no leader', () => (seen.length >= 1 ? true : null));
    const leadA = await a!.session.campaign('primary', 'worker-a');
    const waitB = b!.session.campaign('primary', 'worker-b');
    await waiterCount(a!.client, 'primary', 1);
    await leadA.proclaim('worker-a:v2');
    expect(await watcher.leader('primary')).toEqual({
      sessionId: a!.session.id,
      value: 'worker-a:v2',
      term: leadA.term,
    });
    await leadA.resign();
    const leadB = await waitB;
    expect(leadB.term).toBeGreaterThan(leadA.term);
    await leadB.resign();
    await watching;
    expect(seen).toEqual([null, 'worker-a', 'worker-a:v2', 'worker-b', null]);
  });
});
