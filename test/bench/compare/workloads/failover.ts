/**
 * Workload 3: failover. Workers on their own connections write steadily (lock cycles on their
 * own locks: every acquire and every release is a replicated write); the leader is SIGKILLed,
 * and the longest gap between two successful writes around the kill is the unavailability a
 * client saw. The node is restarted and the cluster settles before the next trial.
 *
 * A worker whose call fails moves on to a new lock name (whatever the failed call left behind
 * cannot block it) and opens a new session after repeated failures (it may have been lost).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { LockSession } from '../clients/lock-client.js';
import { HEALTHY_TIMEOUT_MS } from '../plan.js';
import { max, percentile, round } from '../stats.js';
import { pollUntil } from '../systems/system.js';
import type { WorkloadContext, WorkloadOutput } from './context.js';
import { SessionPool } from './pool.js';

/** A kill whose writes do not resume within this is reported as not recovered. */
const RECOVERY_TIMEOUT_MS = 30_000;
/** Workers still inside a call this long after being told to stop are left behind. */
const DRAIN_TIMEOUT_MS = 30_000;
/** After a failed call, a worker pauses this long (no hot loop against a dead node). */
const ERROR_PAUSE_MS = 10;
/** Failures in a row after which a worker opens a new session. */
const FAILURES_BEFORE_NEW_SESSION = 3;

interface TrialResult {
  readonly gapMs: number;
  readonly recovered: boolean;
  readonly errors: number;
  readonly writes: number;
  readonly killedNode: string;
}

async function trial(ctx: WorkloadContext, index: number): Promise<TrialResult> {
  const { plan, system } = ctx;
  await system.waitHealthy(HEALTHY_TIMEOUT_MS);
  const pool = await SessionPool.open(
    system.connectSpec,
    plan.failoverWorkers,
    1,
    plan.workTtlMs,
    plan.failoverWorkers,
  );
  const successes: number[] = [];
  let errors = 0;
  let stop = false;
  const loops = Array.from({ length: plan.failoverWorkers }, async (_, i) => {
    let session: LockSession = pool.session(i);
    let attempt = 0;
    let failuresInRow = 0;
    while (!stop) {
      const name = `${ctx.namePrefix}/t${index}/w${i}/a${attempt}`;
      try {
        const lock = await session.acquire(name);
        successes.push(performance.now());
        await lock.release();
        successes.push(performance.now());
        failuresInRow = 0;
      } catch {
        errors++;
        attempt++;
        if (++failuresInRow >= FAILURES_BEFORE_NEW_SESSION) {
          failuresInRow = 0;
          const client = pool.clients[i];
          const fresh = await client?.openSession(plan.workTtlMs).catch(() => null);
          if (fresh != null) {
            void session.close().catch(() => {});
            session = fresh;
          }
        }
        await delay(ERROR_PAUSE_MS);
      }
    }
  });
  let killedIndex = -1;
  try {
    await delay(plan.failoverBeforeMs);
    const leader = await pollUntil(`a ${system.name} leader`, HEALTHY_TIMEOUT_MS, () => system.leader());
    killedIndex = leader.index;
    const killedAt = performance.now();
    await system.killNode(leader.index);
    const fromMs = killedAt - plan.failoverBeforeMs / 2;
    const gapOf = (until: number): { gap: number; end: number } => {
      let prev = Number.NaN;
      let gap = 0;
      let end = killedAt;
      for (const t of successes) {
        if (t < fromMs) continue;
        if (!Number.isNaN(prev) && t - prev > gap) {
          gap = t - prev;
          end = t;
        }
        prev = t;
      }
      // a gap still open at `until` counts too
      if (!Number.isNaN(prev) && until - prev > gap) return { gap: until - prev, end: Number.POSITIVE_INFINITY };
      return { gap, end };
    };
    for (;;) {
      const now = performance.now();
      const { gap, end } = gapOf(now);
      ctx.progress.update(
        `trial ${index + 1}: ${system.nodes[leader.index]?.name} killed, longest gap ${Math.round(gap)} ms`,
      );
      const resumedLongEnough = end !== Number.POSITIVE_INFINITY && now - end >= plan.failoverAfterMs;
      if (resumedLongEnough) {
        stop = true;
        return {
          gapMs: gap,
          recovered: true,
          errors,
          writes: successes.length,
          killedNode: system.nodes[leader.index]?.name ?? '?',
        };
      }
      if (now - killedAt > RECOVERY_TIMEOUT_MS) {
        stop = true;
        return {
          gapMs: gap,
          recovered: false,
          errors,
          writes: successes.length,
          killedNode: system.nodes[leader.index]?.name ?? '?',
        };
      }
      await delay(20);
    }
  } finally {
    stop = true;
    await Promise.race([Promise.all(loops), delay(DRAIN_TIMEOUT_MS)]);
    await pool.close();
    if (killedIndex >= 0) await system.restartNode(killedIndex);
    await system.waitHealthy(HEALTHY_TIMEOUT_MS);
  }
}

export async function failover(ctx: WorkloadContext): Promise<WorkloadOutput> {
  const trials: TrialResult[] = [];
  for (let i = 0; i < ctx.plan.failoverTrials; i++) trials.push(await trial(ctx, i));
  const gaps = trials.map((t) => t.gapMs);
  const notes = trials.some((t) => !t.recovered)
    ? [`failover: writes did not resume within ${RECOVERY_TIMEOUT_MS / 1000} s of a leader kill (gap is a lower bound)`]
    : [];
  return {
    metrics: { 'failover.gapP50Ms': round(percentile(gaps, 50)), 'failover.gapMaxMs': round(max(gaps)) },
    details: { failover: { trials: trials.map((t) => ({ ...t, gapMs: round(t.gapMs) })) } },
    notes,
  };
}
