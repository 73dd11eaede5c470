/**
 * Workloads 1 and 2: workers each looping acquire + release through the SDK.
 *   locks:      one lock per worker (independent)      → lock cycles/s, acquire p50/p99
 *   contention: every worker on one lock (FIFO queue)  → handoffs/s, acquire p50/p99, fairness
 * Each worker has its own session; workers share `clients` connections (default one each).
 * The measurement window is repeated `repeat` times on the same cluster; the median is reported.
 */
import type { Session } from '@baton/sdk';
import {
  closeClients,
  connectClients,
  errorLogger,
  now,
  openWindow,
  type RunContext,
  sleep,
  type WindowUsage,
  type WorkloadResult,
} from './context.js';
import { jainIndex, median, round, summarize } from './stats.js';

interface Window {
  cyclesPerSec: number;
  /** CPU of all three nodes per cycle: the efficiency measure that noise disturbs least. */
  clusterCpuUsPerCycle: number;
  /** The nodes' and the clients' CPU per cycle (with --in-process: this one process, all of it). */
  totalCpuUsPerCycle: number;
  acquire: ReturnType<typeof summarize>;
  release: ReturnType<typeof summarize>;
  fairness: number;
  usage: WindowUsage;
}

export async function runCycles(ctx: RunContext, contended: boolean): Promise<WorkloadResult> {
  const { workers, durationMs, warmupMs, repeat } = ctx.opts;
  const clientCount = ctx.opts.clients > 0 ? Math.min(ctx.opts.clients, workers) : workers;
  const clients = await connectClients(ctx, clientCount);
  const sessions: Session[] = await Promise.all(
    Array.from({ length: workers }, (_, i) => clients[i % clientCount]!.session({ ttlMs: ctx.opts.ttlMs })),
  );
  let measuring = false;
  let stopping = false;
  let acquire: number[] = [];
  let release: number[] = [];
  let counts = new Array<number>(workers).fill(0);
  let errors = 0;
  const logError = errorLogger(ctx, 'worker error');
  // --cycles: a fixed amount of work, however long it takes (for instruction counts under valgrind)
  let cyclesLeft = ctx.opts.cycles;
  let allDone: () => void = () => {};
  const cyclesDone = new Promise<void>((r) => {
    allDone = r;
  });
  const loops = sessions.map(async (session, i) => {
    const name = contended ? 'load/hot' : `load/lock-${i}`;
    while (!stopping) {
      try {
        const t0 = now();
        const lock = await session.acquire(name);
        const t1 = now();
        await lock.release();
        const t2 = now();
        if (measuring) {
          acquire.push(t1 - t0);
          release.push(t2 - t1);
          counts[i] = (counts[i] ?? 0) + 1;
        }
        if (cyclesLeft > 0 && --cyclesLeft === 0) {
          stopping = true;
          allDone();
        }
      } catch (err) {
        errors += 1;
        logError(err);
        await sleep(10);
      }
    }
  });

  if (ctx.opts.cycles > 0) {
    const t0 = now();
    measuring = true;
    await cyclesDone;
    await Promise.all(loops);
    await closeClients(clients);
    const ms = now() - t0;
    ctx.progress(`${ctx.opts.cycles} cycles in ${Math.round(ms)} ms`);
    return {
      workload: contended ? 'contention' : 'locks',
      workers,
      cycles: ctx.opts.cycles,
      ms: Math.round(ms),
      errors,
    };
  }
  ctx.progress(`${workers} workers on ${clientCount} clients: warming up ${warmupMs} ms`);
  await sleep(warmupMs);
  const windows: Window[] = [];
  for (let r = 0; r < repeat; r++) {
    acquire = [];
    release = [];
    counts = new Array<number>(workers).fill(0);
    const w = openWindow(ctx.cluster);
    measuring = true;
    await sleep(durationMs);
    measuring = false;
    const usage = w.end();
    const total = counts.reduce((a, b) => a + b, 0);
    const win: Window = {
      cyclesPerSec: round((total / usage.wallMs) * 1000, 1),
      clusterCpuUsPerCycle: round(((usage.clusterCpuPercent / 100) * usage.wallMs * 1000) / Math.max(1, total), 0),
      totalCpuUsPerCycle: round(
        (((usage.clusterCpuPercent + usage.clientCpuPercent) / 100) * usage.wallMs * 1000) / Math.max(1, total),
        0,
      ),
      acquire: summarize(acquire),
      release: summarize(release),
      fairness: jainIndex(counts),
      usage,
    };
    windows.push(win);
    ctx.progress(
      `window ${r + 1}/${repeat}: ${win.cyclesPerSec} ${contended ? 'handoffs' : 'cycles'}/s, acquire p50 ${win.acquire.p50Ms} ms p99 ${win.acquire.p99Ms} ms, cluster CPU ${usage.clusterCpuPercent}% (${win.clusterCpuUsPerCycle} µs/cycle), client CPU ${usage.clientCpuPercent}% (all: ${win.totalCpuUsPerCycle} µs/cycle)`,
    );
  }
  stopping = true;
  await Promise.all(loops);
  await closeClients(clients);
  const best = windows.map((w) => w.cyclesPerSec);
  return {
    workload: contended ? 'contention' : 'locks',
    workers,
    clients: clientCount,
    [contended ? 'handoffsPerSec' : 'cyclesPerSec']: median(best),
    acquireP50Ms: median(windows.map((w) => w.acquire.p50Ms)),
    acquireP99Ms: median(windows.map((w) => w.acquire.p99Ms)),
    releaseP50Ms: median(windows.map((w) => w.release.p50Ms)),
    ...(contended ? { fairnessJain: median(windows.map((w) => w.fairness)) } : {}),
    clusterCpuPercent: median(windows.map((w) => w.usage.clusterCpuPercent)),
    clusterCpuUsPerCycle: median(windows.map((w) => w.clusterCpuUsPerCycle)),
    totalCpuUsPerCycle: median(windows.map((w) => w.totalCpuUsPerCycle)),
    clientCpuPercent: median(windows.map((w) => w.usage.clientCpuPercent)),
    errors,
    windows,
  };
}
