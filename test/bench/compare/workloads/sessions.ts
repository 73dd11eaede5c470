/**
 * Workload 6: idle sessions. N sessions are opened and kept alive by their clients (keepalive
 * every TTL / 3 in every client used here) with nothing else happening; the servers' CPU over a
 * window and their memory at its end are what N idle sessions cost. For ZooKeeper each session
 * is its own connection; the others share a connection among sessionsPerClient sessions.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { ResourceMeter } from '../resources.js';
import { round } from '../stats.js';
import { serverPids, type WorkloadContext, type WorkloadOutput } from './context.js';
import { SessionPool } from './pool.js';

export async function idleSessions(ctx: WorkloadContext, count: number): Promise<WorkloadOutput> {
  const { plan, system } = ctx;
  const perClient = system.name === 'zookeeper' ? 1 : plan.sessionsPerClient;
  ctx.progress.update(`opening ${count} sessions`);
  let opened = 0;
  const t0 = performance.now();
  const openMeter = new ResourceMeter(serverPids(system));
  let pool: SessionPool;
  try {
    pool = await SessionPool.open(
      system.connectSpec,
      count,
      perClient,
      plan.idleSessionTtlMs,
      plan.setupConcurrency,
      (n) => {
        opened = n;
        if (n % 100 === 0) ctx.progress.update(`${n}/${count} sessions open`);
      },
    );
  } catch (err) {
    // say how far it got and who was busy: the servers, or this client process
    const use = openMeter.finish();
    const cpu = (v: number | null): string => (v === null ? '?' : `${Math.round(v)}%`);
    throw new Error(
      `${(err as Error).message} — after ${opened} of ${count} sessions opened in ${Math.round((performance.now() - t0) / 1000)} s; meanwhile servers ${cpu(use.serverCpuPct)} of a core (all nodes), this client process ${cpu(use.clientCpuPct)}, machine ${cpu(use.machineBusy === null ? null : use.machineBusy * 100)} busy`,
    );
  }
  try {
    const openUse = openMeter.finish();
    const openSeconds = round((performance.now() - t0) / 1000);
    // one full keepalive round before measuring, so the opening burst is not counted
    ctx.progress.update(`${count} sessions open, settling`);
    await delay(plan.idleSessionTtlMs / 3);
    ctx.progress.update(`${count} idle sessions: measuring CPU for ${plan.idleMeasureMs / 1000} s`);
    const meter = new ResourceMeter(serverPids(system));
    await delay(plan.idleMeasureMs);
    const use = meter.finish();
    const rss = use.serverRssMb.reduce<number>((a, b) => a + (b ?? Number.NaN), 0);
    return {
      metrics: {
        [`sessions.${count}.cpuPct`]: round(use.serverCpuPct ?? Number.NaN),
        [`sessions.${count}.rssMb`]: round(rss),
      },
      details: {
        [`sessions.${count}`]: {
          connections: pool.clients.length,
          openSeconds,
          openResources: openUse,
          resources: use,
        },
      },
      notes: [],
      windows: [{ label: `${count} idle sessions`, use }],
    };
  } finally {
    ctx.progress.update(`closing ${count} sessions`);
    await pool.close();
  }
}
