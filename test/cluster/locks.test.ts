/**
 * The coordination API on a real 3-process cluster, spoken with a plain `ws` client: sessions,
 * fenced locks, semaphores, elections, introspection; leader failover; a client that dies; and
 * a full restart from disk.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestCluster as Cluster, leaderClient, type Response, TestCluster, WsClient, waitFor } from './harness.js';

function ok(r: Response): Record<string, unknown> {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.error)}`);
  return r.result ?? {};
}

function errCode(r: Response): string {
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.result)}`);
  return r.error?.code ?? '';
}

async function openSession(c: WsClient, ttlMs = 5_000): Promise<string> {
  return ok(await c.request('session.open', { ttlMs })).sessionId as string;
}

/** Keeps a session alive every `everyMs` on the client's node; returns the stop function. */
function keepAlive(c: WsClient, sessionId: string, everyMs = 500): { stop: () => void; lastAckMs: () => number } {
  let last = Date.now();
  const timer = setInterval(() => {
    const sent = Date.now();
    c.request('session.keepalive', { sessionId }).then(
      (r) => {
        if (r.ok) last = Math.max(last, sent);
      },
      () => {},
    );
  }, everyMs);
  return { stop: () => clearInterval(timer), lastAckMs: () => last };
}

describe('coordination API on a 3-node cluster', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await TestCluster.start(3);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('locks: acquire, try on a held lock, FIFO handoff with a larger token, stale release', async () => {
    const a = await leaderClient(cluster);
    const b = await leaderClient(cluster);
    const c = await leaderClient(cluster);
    try {
      const sa = await openSession(a);
      const sb = await openSession(b);
      const sc = await openSession(c);
      const first = ok(await a.request('lock.acquire', { sessionId: sa, name: 'job', wait: true }));
      expect(first.acquired).toBe(true);
      const t1 = first.token as number;
      expect(ok(await b.request('lock.acquire', { sessionId: sb, name: 'job', wait: false }))).toEqual({
        acquired: false,
      });
      const bWaits = b.request('lock.acquire', { sessionId: sb, name: 'job', wait: true });
      // c queues after b: wait until b is visibly queued so the order is what this test says
      await waitFor('b queued', async () => {
        const d = ok(await a.request('lock.describe', { name: 'job' }));
        return (d.waiters as unknown[]).length === 1 ? true : null;
      });
      const cWaits = c.request('lock.acquire', { sessionId: sc, name: 'job', wait: true });
      await waitFor('c queued', async () => {
        const d = ok(await a.request('lock.describe', { name: 'job' }));
        return (d.waiters as unknown[]).length === 2 ? true : null;
      });
      const described = ok(await a.request('lock.describe', { name: 'job' }));
      expect(described.limit).toBe(1);
      expect((described.holders as { sessionId: string }[]).map((h) => h.sessionId)).toEqual([sa]);
      expect((described.waiters as { sessionId: string }[]).map((w) => w.sessionId)).toEqual([sb, sc]);

      ok(await a.request('lock.release', { sessionId: sa, name: 'job', token: t1 }));
      const gb = ok(await bWaits);
      expect(gb.acquired).toBe(true);
      const t2 = gb.token as number;
      expect(t2).toBeGreaterThan(t1);
      expect(gb.generation).toBe(2);
      // a retried release of the old token frees nothing
      expect(errCode(await a.request('lock.release', { sessionId: sa, name: 'job', token: t1 }))).toBe('NOT_HOLDER');
      expect(ok(await a.request('lock.fenceCheck', { name: 'job', token: t1 }))).toEqual({
        current: false,
        newestToken: t2,
      });
      expect(ok(await a.request('lock.fenceCheck', { name: 'job', token: t2 })).current).toBe(true);

      ok(await b.request('lock.release', { sessionId: sb, name: 'job', token: t2 }));
      const gc = ok(await cWaits);
      expect(gc.token as number).toBeGreaterThan(t2);
      expect(gc.generation).toBe(3);
    } finally {
      a.close();
      b.close();
      c.close();
    }
  });

  it('followers answer writes NOT_LEADER with the leader URL, and serve linearizable reads', async () => {
    const leader = await cluster.waitForLeader();
    const follower = cluster.nodes.find((n) => n !== leader && n.running);
    const c = await WsClient.connect(follower!.clientUrl);
    try {
      const r = await c.request('session.open', { ttlMs: 5_000 });
      expect(r.error).toMatchObject({ code: 'NOT_LEADER', leaderHint: leader.clientUrl });
      const l = await leaderClient(cluster);
      const s = await openSession(l);
      const held = ok(await l.request('lock.acquire', { sessionId: s, name: 'seen-by-followers', wait: false }));
      l.close();
      // a read on the follower reflects the write acknowledged just before (ReadIndex)
      expect(ok(await c.request('lock.fenceCheck', { name: 'seen-by-followers', token: held.token })).current).toBe(
        true,
      );
      expect(ok(await c.request('status')).leaderId).toBe(leader.name);
    } finally {
      c.close();
    }
  });

  it('a waiting acquire that times out or is cancelled leaves no waiter and no hold behind', async () => {
    const a = await leaderClient(cluster);
    const b = await leaderClient(cluster);
    try {
      const sa = await openSession(a);
      const sb = await openSession(b);
      const held = ok(await a.request('lock.acquire', { sessionId: sa, name: 'patience', wait: false }));
      expect(
        errCode(await b.request('lock.acquire', { sessionId: sb, name: 'patience', wait: true, timeoutMs: 300 })),
      ).toBe('TIMEOUT');
      let d = ok(await a.request('lock.describe', { name: 'patience' }));
      expect(d.waiters).toEqual([]);
      const waitId = b.peekNextId();
      const waiting = b.request('lock.acquire', { sessionId: sb, name: 'patience', wait: true });
      await waitFor('b queued', async () => {
        const x = ok(await a.request('lock.describe', { name: 'patience' }));
        return (x.waiters as unknown[]).length === 1 ? true : null;
      });
      expect(ok(await b.request('lock.cancel', { requestId: waitId }))).toEqual({ cancelled: true });
      expect(errCode(await waiting)).toBe('CANCELLED');
      ok(await a.request('lock.release', { sessionId: sa, name: 'patience', token: held.token }));
      d = ok(await a.request('lock.describe', { name: 'patience' }));
      expect(d.waiters).toEqual([]);
      expect(d.holders).toEqual([]);
      expect(ok(await b.request('lock.cancel', { requestId: 'no-such-request' }))).toEqual({ cancelled: false });
    } finally {
      a.close();
      b.close();
    }
  });

  it('semaphores: limit 3 admits three holders, the fourth waits for a release', async () => {
    const clients = await Promise.all([1, 2, 3, 4].map(() => leaderClient(cluster)));
    try {
      const sessions = await Promise.all(clients.map((c) => openSession(c)));
      const tokens: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = ok(
          await clients[i]!.request('lock.acquire', { sessionId: sessions[i], name: 'pool', limit: 3, wait: false }),
        );
        expect(r.acquired).toBe(true);
        tokens.push(r.token as number);
      }
      expect(
        ok(await clients[3]!.request('lock.acquire', { sessionId: sessions[3], name: 'pool', limit: 3, wait: false })),
      ).toEqual({ acquired: false });
      const fourth = clients[3]!.request('lock.acquire', {
        sessionId: sessions[3],
        name: 'pool',
        limit: 3,
        wait: true,
      });
      await waitFor('fourth queued', async () => {
        const d = ok(await clients[0]!.request('lock.describe', { name: 'pool' }));
        return (d.waiters as unknown[]).length === 1 ? d : null;
      });
      const d = ok(await clients[0]!.request('lock.describe', { name: 'pool' }));
      expect(d.kind).toBe('semaphore');
      expect((d.holders as unknown[]).length).toBe(3);
      ok(await clients[1]!.request('lock.release', { sessionId: sessions[1], name: 'pool', token: tokens[1] }));
      const g = ok(await fourth);
      expect(g.token as number).toBeGreaterThan(Math.max(...tokens));
      // a mismatched limit on a busy name is refused
      expect(
        errCode(
          await clients[0]!.request('lock.acquire', { sessionId: sessions[0], name: 'pool', limit: 2, wait: false }),
        ),
      ).toBe('INVALID_ARGUMENT');
    } finally {
      for (const c of clients) c.close();
    }
  });

  it('elections: campaign, observe (including no leader), proclaim, resign', async () => {
    const a = await leaderClient(cluster);
    const b = await leaderClient(cluster);
    const watcher = await leaderClient(cluster);
    try {
      const sa = await openSession(a);
      const sb = await openSession(b);
      expect(ok(await watcher.request('election.observe', { name: 'primary' }))).toEqual({ leader: null });
      const ta = ok(await a.request('election.campaign', { sessionId: sa, name: 'primary', value: 'worker-a' }))
        .term as number;
      let ev = await watcher.nextEvent((e) => e.event === 'election');
      expect(ev.leader).toEqual({ sessionId: sa, value: 'worker-a', term: ta });
      const bCampaign = b.request('election.campaign', { sessionId: sb, name: 'primary', value: 'worker-b' });
      ok(await a.request('election.proclaim', { sessionId: sa, name: 'primary', term: ta, value: 'worker-a2' }));
      ev = await watcher.nextEvent((e) => e.event === 'election');
      expect(ev.leader).toEqual({ sessionId: sa, value: 'worker-a2', term: ta });
      expect(ok(await b.request('election.leader', { name: 'primary' })).leader).toEqual({
        sessionId: sa,
        value: 'worker-a2',
        term: ta,
      });
      expect(
        errCode(await b.request('election.proclaim', { sessionId: sb, name: 'primary', term: ta, value: 'x' })),
      ).toBe('NOT_HOLDER');
      ok(await a.request('election.resign', { sessionId: sa, name: 'primary', term: ta }));
      const tb = ok(await bCampaign).term as number;
      expect(tb).toBeGreaterThan(ta);
      ev = await watcher.nextEvent(
        (e) => e.event === 'election' && (e.leader as { term?: number } | null)?.term === tb,
      );
      expect(ev.leader).toEqual({ sessionId: sb, value: 'worker-b', term: tb });
      ok(await b.request('election.resign', { sessionId: sb, name: 'primary', term: tb }));
      ev = await watcher.nextEvent((e) => e.event === 'election' && e.leader === null);
      expect(ev.leader).toBeNull();
    } finally {
      a.close();
      b.close();
      watcher.close();
    }
  });

  it('a client that stops keeping alive loses its lock to the next waiter only after its TTL and lock-delay', async () => {
    const ttlMs = 2_000;
    const lockDelayMs = 1_000;
    const dying = await leaderClient(cluster);
    const next = await leaderClient(cluster);
    const sd = await openSession(dying, ttlMs);
    const sn = await openSession(next, 10_000);
    const kaNext = keepAlive(next, sn);
    const kaDying = keepAlive(dying, sd, 300);
    try {
      const held = ok(await dying.request('lock.acquire', { sessionId: sd, name: 'cron', wait: true, lockDelayMs }));
      const waiting = next.request('lock.acquire', { sessionId: sn, name: 'cron', wait: true }, 30_000);
      await new Promise((r) => setTimeout(r, 1_000));
      // the client dies: no more keepalives, its socket vanishes without a close frame
      kaDying.stop();
      const lastAck = kaDying.lastAckMs();
      dying.ws.terminate();
      const granted = ok(await waiting);
      const grantedAt = Date.now();
      expect(granted.token as number).toBeGreaterThan(held.token as number);
      // never before the dead client's TTL (counted from its last acknowledged keepalive) + lock-delay
      expect(grantedAt - lastAck).toBeGreaterThanOrEqual(ttlMs + lockDelayMs);
    } finally {
      kaNext.stop();
      kaDying.stop();
      next.close();
    }
  });

  it('SIGKILL of the leader: a new leader serves, held locks and sessions survive', async () => {
    const a = await leaderClient(cluster);
    const sa = await openSession(a, 10_000);
    const held = ok(await a.request('lock.acquire', { sessionId: sa, name: 'survivor', wait: false }));
    a.close();
    const oldLeader = await cluster.waitForLeader();
    const killedAt = Date.now();
    await oldLeader.kill('SIGKILL');
    const newLeader = await cluster.waitForLeader();
    const c = await WsClient.connect(newLeader.clientUrl);
    try {
      // the session survived: the new leader renewed its TTL and accepts keepalives
      const ka = await waitFor('a keepalive the new leader accepts', async () => {
        const r = await c.request('session.keepalive', { sessionId: sa });
        return r.ok ? r : null;
      });
      const failoverMs = Date.now() - killedAt;
      console.log(`failover: new leader ${newLeader.name} serving keepalives ${failoverMs} ms after SIGKILL`);
      expect(ka.ok).toBe(true);
      const d = ok(await c.request('lock.describe', { name: 'survivor' }));
      expect(d.holders).toEqual([expect.objectContaining({ sessionId: sa, token: held.token })]);
    } finally {
      c.close();
      oldLeader.start();
      await cluster.waitForLeader();
    }
  });

  it('restarting the whole cluster brings the state back from disk', async () => {
    const a = await leaderClient(cluster);
    const sa = await openSession(a, 60_000);
    const held = ok(await a.request('lock.acquire', { sessionId: sa, name: 'durable', wait: false }));
    a.close();
    await Promise.all(cluster.nodes.map((n) => n.kill('SIGKILL')));
    for (const n of cluster.nodes) n.start();
    const leader = await cluster.waitForLeader();
    const c = await WsClient.connect(leader.clientUrl);
    try {
      const d = await waitFor('the lock back from disk', async () => {
        const r = await c.request('lock.describe', { name: 'durable' });
        return r.ok && (r.result?.holders as unknown[] | undefined)?.length === 1 ? r.result : null;
      });
      expect(d?.holders).toEqual([expect.objectContaining({ sessionId: sa, token: held.token })]);
      expect(ok(await c.request('lock.fenceCheck', { name: 'durable', token: held.token })).current).toBe(true);
    } finally {
      c.close();
    }
  });
});
