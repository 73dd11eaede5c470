/**
 * Workload 3. Writers loop acquire + release on their own locks (every step a log entry) and
 * every successful write is time-stamped.
 *   failover: SIGKILL the leader, `trials` times → the longest gap between two successful writes
 *             around each kill (the killed node is restarted and caught up between trials);
 *   steady:   no faults for `duration` → leader changes seen by polling every node's status
 *             (target: none) and the longest gap between writes.
 */
import type { Session } from '@baton/sdk';
import {
  closeClients,
  connectClients,
  errorLogger,
  now,
  type RunContext,
  sleep,
  type WorkloadResult,
} from './context.js';
import { median, round } from './stats.js';

/** Writers keep the log busy without saturating the machine: the gap is what is measured. */
const DEFAULT_WRITERS = 4;
/** Writes after the first post-kill success that must land before a trial ends. */
const WRITES_AFTER_RECOVERY = 200;
const TRIAL_TIMEOUT_MS = 30_000;
/** How often the steady run asks every node who leads. */
const STATUS_POLL_MS = 100;

interface Writers {
  readonly stamps: number[];
  errors: number;
  stop(): Promise<void>;
}

async function startWriters(ctx: RunContext, count: number): Promise<Writers> {
  // a long request timeout: a write must outlive the failover, never fail inside the gap
  const clients = await connectClients(ctx, count, { requestTimeoutMs: 60_000 });
  const sessions: Session[] = await Promise.all(clients.map((c) => c.session({ ttlMs: ctx.opts.ttlMs })));
  const stamps: number[] = [];
  let stopping = false;
  const logError = errorLogger(ctx, 'writer error');
  const w: Writers = {
    stamps,
    errors: 0,
    async stop() {
      stopping = true;
      await Promise.all(loops);
      await closeClients(clients);
    },
  };
  const loops = sessions.map(async (first, i) => {
    let session = first;
    while (!stopping) {
      try {
        if (session.state !== 'open') session = await clients[i]!.session({ ttlMs: ctx.opts.ttlMs });
        const lock = await session.acquire(`load/writer-${i}`);
        stamps.push(now());
        await lock.release();
        stamps.push(now());
      } catch (err) {
        w.errors += 1;
        logError(err);
        await sleep(5);
      }
    }
  });
  return w;
}

/** The longest interval between consecutive stamps inside [fromMs, toMs]. */
function longestGap(stamps: readonly number[], fromMs: number, toMs: number): number {
  const s = stamps.filter((t) => t >= fromMs && t <= toMs).sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < s.length; i++) gap = Math.max(gap, (s[i] as number) - (s[i - 1] as number));
  return gap;
}

export async function runFailover(ctx: RunContext): Promise<WorkloadResult> {
  const writers = await startWriters(ctx, ctx.opts.workers > 0 ? ctx.opts.workers : DEFAULT_WRITERS);
  const gaps: number[] = [];
  const elected: number[] = [];
  try {
    await sleep(ctx.opts.warmupMs);
    for (let t = 0; t < ctx.opts.trials; t++) {
      const leader = await ctx.cluster.waitForLeader();
      await sleep(1_000);
      const killAt = now();
      const killWallMs = Date.now();
      await leader.stop('SIGKILL');
      const before = writers.stamps.length;
      // when the survivors agree on a new leader (polled every 10 ms): the rest of the gap is the clients'
      const electedMs = ctx.cluster.waitForLeader().then((n) => ({ name: n.name, ms: now() - killAt }));
      const deadline = killAt + TRIAL_TIMEOUT_MS;
      while (writers.stamps.length < before + WRITES_AFTER_RECOVERY && now() < deadline) await sleep(20);
      const gap = longestGap(writers.stamps, killAt - 1_000, now());
      gaps.push(round(gap, 1));
      const next = await electedMs;
      elected.push(round(next.ms, 1));
      // the writes on either side of the kill, relative to it: where the gap sits
      const lastBefore = writers.stamps
        .filter((s) => s <= killAt)
        .reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
      const firstAfter = writers.stamps
        .filter((s) => s > killAt)
        .reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
      ctx.progress(
        `trial ${t + 1}/${ctx.opts.trials}: killed ${leader.name} at ${killWallMs} (wall ms), ${next.name} leads after ${round(next.ms, 0)} ms; ` +
          `last write ${round(lastBefore - killAt, 1)} ms, first write +${round(firstAfter - killAt, 1)} ms; longest write gap ${round(gap, 1)} ms`,
      );
      leader.start();
      await ctx.cluster.waitCaughtUp();
    }
  } finally {
    await writers.stop();
  }
  return {
    workload: 'failover',
    trials: gaps.length,
    gapP50Ms: median(gaps),
    gapMaxMs: Math.max(...gaps),
    gapsMs: gaps,
    electedMs: elected,
    writerErrors: writers.errors,
  };
}

export async function runSteady(ctx: RunContext): Promise<WorkloadResult> {
  const writers = await startWriters(ctx, ctx.opts.workers > 0 ? ctx.opts.workers : DEFAULT_WRITERS);
  const changes: string[] = [];
  let last: { leader: string | null; term: number } | null = null;
  const startMs = now();
  try {
    await sleep(ctx.opts.warmupMs);
    const from = now();
    let nextReport = from + 10_000;
    while (now() - from < ctx.opts.durationMs) {
      const st = await Promise.all(ctx.cluster.nodes.map((n) => n.status()));
      for (const s of st) {
        if (s === null) continue;
        if (last === null) last = { leader: s.leader, term: s.term };
        else if (s.term > last.term || (s.term === last.term && s.leader !== null && s.leader !== last.leader)) {
          changes.push(`${round((now() - startMs) / 1000, 1)} s: ${s.name} says term ${s.term}, leader ${s.leader}`);
          ctx.progress(`leader change: ${changes.at(-1)}`);
          last = { leader: s.leader, term: s.term };
        }
      }
      if (now() >= nextReport) {
        ctx.progress(
          `${round((now() - from) / 1000, 0)} s: ${writers.stamps.length} writes, ${changes.length} leader changes`,
        );
        nextReport += 10_000;
      }
      await sleep(STATUS_POLL_MS);
    }
    const gap = longestGap(writers.stamps, from, now());
    return {
      workload: 'steady',
      durationS: round(ctx.opts.durationMs / 1000, 0),
      writesPerSec: round((writers.stamps.filter((t) => t >= from).length / (now() - from)) * 1000, 1),
      leaderChanges: changes.length,
      changes,
      longestGapMs: round(gap, 1),
      writerErrors: writers.errors,
    };
  } finally {
    await writers.stop();
  }
}
