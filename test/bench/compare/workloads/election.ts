/**
 * Workload 4: election handoff. Two candidates on their own connections; the leader resigns and
 * the time runs until the other candidate's campaign call returns. The resigned one campaigns
 * again (and is seen queued) before the next handoff.
 */

import type { HeldLeadership } from '../clients/lock-client.js';
import { percentile, round } from '../stats.js';
import type { WorkloadContext, WorkloadOutput } from './context.js';
import { waitParticipants } from './participants.js';
import { SessionPool } from './pool.js';

export async function electionHandoff(ctx: WorkloadContext): Promise<WorkloadOutput> {
  const { plan, system } = ctx;
  const pool = await SessionPool.open(system.connectSpec, 2, 1, plan.workTtlMs, 2);
  try {
    const name = `${ctx.namePrefix}/leader`;
    const samples: number[] = [];
    let leaderIdx = 0;
    let leader: HeldLeadership = await pool.session(0).campaign(name, 'c0');
    let electedAt = 0;
    let pending = pool
      .session(1)
      .campaign(name, 'c1')
      .then((l) => {
        electedAt = performance.now();
        return l;
      });
    await waitParticipants(pool.admin, name, 'election', 2);
    for (let k = 0; k < plan.electionHandoffs; k++) {
      ctx.progress.update(`handoff ${k + 1}/${plan.electionHandoffs}`);
      const t0 = performance.now();
      await leader.resign();
      leader = await pending;
      samples.push(electedAt - t0);
      const resigned = leaderIdx;
      leaderIdx = 1 - leaderIdx;
      pending = pool
        .session(resigned)
        .campaign(name, `c${resigned}`)
        .then((l) => {
          electedAt = performance.now();
          return l;
        });
      await waitParticipants(pool.admin, name, 'election', 2);
    }
    await leader.resign();
    await (await pending).resign();
    return {
      metrics: {
        'election.handoffP50Ms': round(percentile(samples, 50)),
        'election.handoffP99Ms': round(percentile(samples, 99)),
      },
      details: { election: { handoffs: samples.length, samplesMs: samples.map(round) } },
      notes: [],
    };
  } finally {
    await pool.close();
  }
}
