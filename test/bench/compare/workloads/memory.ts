/**
 * Workload 7: memory. heldLocks locks are taken (each its own name, spread over
 * heldLockSessions sessions) and held; each server's RSS is read once they all are. The result
 * is the largest node's RSS; the JSON also has every node's and the RSS before.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { HeldLock } from '../clients/lock-client.js';
import { sampleProcess } from '../proc/proc-stats.js';
import { round } from '../stats.js';
import type { WorkloadContext, WorkloadOutput } from './context.js';
import { mapLimited, SessionPool } from './pool.js';

/** Time for the servers to finish applying before RSS is read. */
const SETTLE_MS = 1_000;

function rssMb(ctx: WorkloadContext): (number | null)[] {
  return ctx.system.nodes.map((n) => {
    const s = n.pid === null ? null : sampleProcess(n.pid);
    return s === null ? null : round(s.rssBytes / 2 ** 20);
  });
}

export async function heldLocks(ctx: WorkloadContext): Promise<WorkloadOutput> {
  const { plan, system } = ctx;
  const before = rssMb(ctx);
  const sessions = plan.heldLockSessions;
  const perClient = system.name === 'zookeeper' ? 1 : plan.sessionsPerClient;
  // long enough that Redis keys (which have no session to keep them) outlive the workload
  const ttlMs = Math.max(plan.workTtlMs, 60_000);
  const pool = await SessionPool.open(system.connectSpec, sessions, perClient, ttlMs, plan.setupConcurrency);
  const held: HeldLock[] = [];
  try {
    const t0 = performance.now();
    await mapLimited(plan.heldLocks, plan.setupConcurrency, async (i) => {
      held.push(await pool.session(i % sessions).acquire(`${ctx.namePrefix}/${i}`));
      if (held.length % 1_000 === 0) ctx.progress.update(`${held.length}/${plan.heldLocks} locks held`);
    });
    const acquireMs = performance.now() - t0;
    await delay(SETTLE_MS);
    const after = rssMb(ctx);
    const largest = Math.max(...after.map((v) => v ?? Number.NaN));
    return {
      metrics: { 'memory.rssMbPerNode': round(largest) },
      details: {
        memory: {
          locks: held.length,
          sessions,
          rssMbBefore: before,
          rssMbAfter: after,
          acquiresPerSec: round((held.length * 1000) / acquireMs),
        },
      },
      notes: [],
    };
  } finally {
    ctx.progress.update('closing the sessions (releasing every lock)');
    await pool.close();
  }
}
