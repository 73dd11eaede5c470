/**
 * The SDK's two promises under failure, on a real 3-process cluster:
 * - the leader is SIGKILLed while a lock is held: the session resumes on the new leader, the
 *   lock survives and its signal never fires;
 * - a client is cut off (its keepalives stop arriving): its lock's signal fires BEFORE the
 *   next holder is granted the lock.
 */
import { BatonClient, isBatonError, type Session } from '@baton/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, waitFor } from '../cluster/harness.js';
import { type PartitionProxy, proxyAll } from './partition-proxy.js';

let cluster: TestCluster;
const clients: BatonClient[] = [];
const proxies: PartitionProxy[] = [];

/** Starting three processes on a loaded 2-core machine can take longer than vitest's 10 s hook default. */
const CLUSTER_HOOK_TIMEOUT_MS = 60_000;

beforeAll(async () => {
  cluster = await TestCluster.start(3);
}, CLUSTER_HOOK_TIMEOUT_MS);

afterAll(async () => {
  for (const p of proxies) p.blocked = false;
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(proxies.splice(0).map((p) => p.stop()));
  await cluster?.stop();
}, CLUSTER_HOOK_TIMEOUT_MS);

async function connect(endpoints: string[]): Promise<BatonClient> {
  const c = await BatonClient.connect({ endpoints, connectTimeoutMs: 1_000 });
  clients.push(c);
  return c;
}

const direct = (): string[] => cluster.nodes.map((n) => `ws://127.0.0.1:${n.port}`);

/** The send time of the newest acknowledged keepalive, as far as `safeForMs` reveals it (a lower bound). */
function lastAckedSendAtLeastMs(session: Session): number {
  return performance.now() + session.safeForMs - (session.ttlMs - session.safetyMarginMs);
}

describe('failover', () => {
  it('survives a leader SIGKILL while a lock is held: same session, lock kept, signal never fired', async () => {
    const c = await connect(direct());
    const session = await c.session({ ttlMs: 10_000 });
    const lock = await session.acquire('survivor');
    const leader = await cluster.waitForLeader();
    const killedAtMs = performance.now();
    await leader.kill('SIGKILL');
    try {
      await cluster.waitForLeader();
      // resumed: a keepalive sent after the kill was acknowledged (by the new leader)
      await waitFor('a keepalive acknowledged after the kill', () =>
        lastAckedSendAtLeastMs(session) > killedAtMs ? true : null,
      );
      expect(c.connectedEndpoint).not.toBe(leader.clientUrl);
      expect(session.signal.aborted).toBe(false);
      expect(lock.signal.aborted).toBe(false);
      expect(await c.checkFence('survivor', lock.token)).toBe(true);
      const described = await c.describe('survivor');
      expect(described.holders.map((h) => [h.sessionId, h.token])).toEqual([[session.id, lock.token]]);
      await lock.release();
      expect((await c.describe('survivor')).holders).toEqual([]);
      expect(session.signal.aborted).toBe(false);
    } finally {
      leader.start();
      await cluster.waitForLeader();
    }
  });

  it('a client cut off past its TTL sees its lock lost before the next holder is granted', async () => {
    proxies.push(...(await proxyAll(cluster.nodes.map((n) => n.clientUrl))));
    const cutOff = await connect(proxies.map((p) => p.url));
    // the leader's hints are rewritten: the client stays behind the proxies
    expect(proxies.map((p) => p.clientUrl)).toContain(cutOff.connectedEndpoint);
    const other = await connect(direct());

    const pausedSession = await cutOff.session({ ttlMs: 3_000 });
    const lock = await pausedSession.acquire('handover');
    let lostAtMs: number | null = null;
    lock.signal.addEventListener('abort', () => {
      lostAtMs = performance.now();
    });
    const nextSession = await other.session({ ttlMs: 10_000 });
    const next = nextSession.acquire('handover').then((granted) => ({ granted, grantedAtMs: performance.now() }));
    await waitFor('the next holder queued', async () =>
      (await other.describe('handover')).waiters.length === 1 ? true : null,
    );

    for (const p of proxies) p.blocked = true;
    const { granted, grantedAtMs } = await next;

    expect(lostAtMs).not.toBeNull();
    expect(lostAtMs!).toBeLessThan(grantedAtMs);
    expect(isBatonError(lock.signal.reason, 'SESSION_EXPIRED')).toBe(true);
    expect(pausedSession.state).toBe('lost');
    expect(granted.token).toBeGreaterThan(lock.token);
    expect(await other.checkFence('handover', lock.token)).toBe(false);
    expect(await other.checkFence('handover', granted.token)).toBe(true);
    for (const p of proxies) p.blocked = false;
  });
});
