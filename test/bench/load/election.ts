/**
 * Workload 4: candidates (own session and connection each) campaign on one election; the leader
 * resigns → the time until the next candidate's campaign() returns. The resigned candidate then
 * campaigns again, and the next round starts once it is queued (checked with describe, outside
 * the timing).
 */
import type { BatonClient, Leadership, Session } from '@baton/sdk';
import { waitFor } from '../../cluster/harness.js';
import { closeClients, connectClients, now, type RunContext, type WorkloadResult } from './context.js';
import { summarize } from './stats.js';

const ELECTION = 'load/election';
const ROUNDS_PER_TRIAL = 200;

export async function runElection(ctx: RunContext): Promise<WorkloadResult> {
  const candidates = Math.max(2, ctx.opts.workers > 0 ? ctx.opts.workers : 3);
  const clients = await connectClients(ctx, candidates);
  const sessions: Session[] = await Promise.all(clients.map((c) => c.session({ ttlMs: ctx.opts.ttlMs })));
  const pending = new Map<number, Promise<{ i: number; lead: Leadership }>>();
  const campaign = (i: number): void => {
    const p = sessions[i]!.campaign(ELECTION, `candidate-${i}`).then((lead) => ({ i, lead }));
    p.catch(() => {}); // the campaigns still queued at the end fail CLOSED: expected
    pending.set(i, p);
  };
  for (let i = 0; i < candidates; i++) campaign(i);
  let current = await Promise.race(pending.values());
  pending.delete(current.i);
  const rounds = ROUNDS_PER_TRIAL * Math.max(1, ctx.opts.trials);
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    await queued(clients[0]!, candidates - 1);
    const t0 = now();
    const resigned = current.lead.resign();
    const next = await Promise.race(pending.values());
    samples.push(now() - t0);
    pending.delete(next.i);
    await resigned;
    campaign(current.i);
    current = next;
  }
  await closeClients(clients);
  const s = summarize(samples.slice(Math.min(20, samples.length / 10)));
  ctx.progress(`resign → next campaign returns: p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms over ${s.n} rounds`);
  return {
    workload: 'election',
    candidates,
    rounds: s.n,
    handoffP50Ms: s.p50Ms,
    handoffP99Ms: s.p99Ms,
    handoffMaxMs: s.maxMs,
  };
}

/** Waits until `count` candidates wait behind the leader (so a resign always has a successor). */
function queued(client: BatonClient, count: number): Promise<true> {
  return waitFor(
    `${count} candidates queued`,
    async () => ((await client.describe(ELECTION)).waiters.length >= count ? true : null),
    10_000,
    1,
  );
}
