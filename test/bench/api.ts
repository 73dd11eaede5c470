/**
 * `npm run bench:api`: a real 3-node cluster on loopback (fresh data directories, fsync on), one
 * plain `ws` client on the leader. Measures, in one run:
 *   - uncontended acquire + release round trips (each a log entry, fsynced on a quorum);
 *   - a contended handoff: release by one client → grant event at the waiting client;
 *   - failover: SIGKILL the leader → a new leader accepts a keepalive for a surviving session.
 * Medians and p99 of the run; the machine is shared and noisy, so compare runs, not absolutes.
 *
 * BATON_BENCH_QUICK=1 shrinks the counts for a smoke run.
 */
import { performance } from 'node:perf_hooks';
import { leaderClient, type Response, TestCluster, WsClient, waitFor } from '../cluster/harness.js';

const QUICK = process.env.BATON_BENCH_QUICK === '1';
const ACQUIRES = QUICK ? 100 : 1_000;
const HANDOFFS = QUICK ? 50 : 300;
const FAILOVERS = QUICK ? 2 : 5;

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function summary(name: string, samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  return `${name.padEnd(40)} n=${String(s.length).padStart(5)}  p50 ${pct(s, 50).toFixed(2).padStart(8)} ms  p99 ${pct(s, 99).toFixed(2).padStart(8)} ms  max ${(s[s.length - 1] ?? 0).toFixed(2).padStart(8)} ms`;
}

function ok(r: Response): Record<string, unknown> {
  if (!r.ok) throw new Error(`request failed: ${JSON.stringify(r.error)}`);
  return r.result ?? {};
}

async function main(): Promise<void> {
  const cluster = await TestCluster.start(3);
  try {
    const a = await leaderClient(cluster);
    const b = await leaderClient(cluster);
    const sa = ok(await a.request('session.open', { ttlMs: 60_000 })).sessionId;
    const sb = ok(await b.request('session.open', { ttlMs: 60_000 })).sessionId;

    const acquire: number[] = [];
    const release: number[] = [];
    for (let i = 0; i < ACQUIRES; i++) {
      const t0 = performance.now();
      const g = ok(await a.request('lock.acquire', { sessionId: sa, name: 'bench', wait: false }));
      const t1 = performance.now();
      ok(await a.request('lock.release', { sessionId: sa, name: 'bench', token: g.token }));
      const t2 = performance.now();
      acquire.push(t1 - t0);
      release.push(t2 - t1);
    }

    const handoff: number[] = [];
    let holder = {
      c: a,
      s: sa,
      token: ok(await a.request('lock.acquire', { sessionId: sa, name: 'hand', wait: false })).token,
    };
    let waiter = { c: b, s: sb };
    for (let i = 0; i < HANDOFFS; i++) {
      const granted = waiter.c.request('lock.acquire', { sessionId: waiter.s, name: 'hand', wait: true });
      await waitFor('waiter queued', async () => {
        const d = ok(await holder.c.request('lock.describe', { name: 'hand' }));
        return (d.waiters as unknown[]).length === 1 ? true : null;
      });
      const t0 = performance.now();
      await holder.c.request('lock.release', { sessionId: holder.s, name: 'hand', token: holder.token });
      const g = ok(await granted);
      handoff.push(performance.now() - t0);
      const next = { c: waiter.c, s: waiter.s, token: g.token };
      waiter = { c: holder.c, s: holder.s };
      holder = next;
    }
    a.close();
    b.close();

    const failover: number[] = [];
    for (let i = 0; i < FAILOVERS; i++) {
      const c = await leaderClient(cluster);
      const s = ok(await c.request('session.open', { ttlMs: 30_000 })).sessionId;
      c.close();
      const leader = await cluster.waitForLeader();
      const t0 = performance.now();
      await leader.kill('SIGKILL');
      const next = await cluster.waitForLeader();
      const c2 = await WsClient.connect(next.clientUrl);
      await waitFor(
        'a keepalive the new leader accepts',
        async () => ((await c2.request('session.keepalive', { sessionId: s })).ok ? true : null),
        30_000,
        10,
      );
      failover.push(performance.now() - t0);
      c2.close();
      leader.start();
      await cluster.waitForLeader();
    }

    console.log('Baton API benchmark: 3 nodes on loopback, fsync on, one client per role');
    console.log(summary('acquire (uncontended, try)', acquire));
    console.log(summary('release', release));
    console.log(summary('handoff: release → waiter granted', handoff));
    console.log(summary('failover: SIGKILL leader → keepalive ok', failover));
  } finally {
    await cluster.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
