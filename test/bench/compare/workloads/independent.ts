/**
 * Workload 1: independent locks, one per worker. Each worker acquires its own lock and releases
 * it, in a closed loop: cycles/s is the cluster's rate of uncontended grant + release writes,
 * and the acquire latency is one replicated write seen from the client.
 */

import { percentile, round } from '../stats.js';
import { serverPids, type WorkloadContext, type WorkloadOutput } from './context.js';
import { SessionPool } from './pool.js';
import { runWindow } from './window.js';

export async function independentLocks(ctx: WorkloadContext, workers: number): Promise<WorkloadOutput> {
  const { plan, system } = ctx;
  const pool = await SessionPool.open(
    system.connectSpec,
    workers,
    plan.workersPerClient,
    plan.workTtlMs,
    plan.setupConcurrency,
  );
  try {
    const latencies: number[] = [];
    let cycles = 0;
    let all = 0;
    const { window, use } = await runWindow({
      workers,
      warmupMs: plan.warmupMs,
      measureMs: plan.measureMs,
      pids: serverPids(system),
      progress: ctx.progress,
      describe: () => `${all} cycles`,
      enough: () => cycles >= plan.minSamples && latencies.length >= plan.minSamples,
      loop: async (i, w) => {
        const session = pool.session(i);
        const name = `${ctx.namePrefix}/w${i}`;
        while (!w.stopped) {
          const t0 = performance.now();
          const lock = await session.acquire(name);
          const t1 = performance.now();
          await lock.release();
          const t2 = performance.now();
          all++;
          if (w.inside(t0)) latencies.push(t1 - t0);
          if (w.inside(t2)) cycles++;
        }
      },
    });
    const key = `independent.${workers}`;
    return {
      metrics: {
        [`${key}.cyclesPerSec`]: round((cycles * 1000) / window.lengthMs),
        [`${key}.acquireP50Ms`]: round(percentile(latencies, 50)),
        [`${key}.acquireP99Ms`]: round(percentile(latencies, 99)),
      },
      details: { [key]: { cycles, windowMs: round(window.lengthMs), acquires: latencies.length, resources: use } },
      notes: [],
      windows: [{ label: `${workers} independent worker${workers === 1 ? '' : 's'}`, use }],
    };
  } finally {
    await pool.close();
  }
}
