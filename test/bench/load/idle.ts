/**
 * Workloads 6 and 7: what holding state costs the cluster.
 *   sessions: N idle sessions kept alive by the SDK (64 per connection, the server's limit) →
 *             the nodes' CPU (% of one core, all three together) and RSS, against the idle cluster;
 *   memory:   N held locks (many names per session) → RSS per node.
 */
import { readdirSync, statSync } from 'node:fs';
import { LIMITS, type Session } from '@baton/sdk';
import { closeClients, connectClients, openWindow, type RunContext, sleep, type WorkloadResult } from './context.js';

/** Acquires in flight per connection while filling (below the server's per-connection limit). */
const FILL_CONCURRENCY = 200;
/** Sessions that hold the locks of the memory workload. */
const HOLDING_SESSIONS = 100;
/** The signal that makes a node write a heap snapshot (node --heapsnapshot-signal). */
export const HEAP_SNAPSHOT_SIGNAL = 'SIGUSR2';
/** Writing a heap snapshot of a few hundred MB takes a while on a busy machine. */
const HEAP_SNAPSHOT_WAIT_MS = 120_000;

/** Has every node write a heap snapshot into opts.heapSnapshotDir and waits until they are complete. */
async function heapSnapshots(ctx: RunContext): Promise<string[]> {
  const dir = ctx.opts.heapSnapshotDir;
  if (dir === null) return [];
  const done = (): string[] => readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot'));
  const before = done().length;
  const pids = ctx.cluster.nodes.map((n) => n.pid).filter((p): p is number => p !== null);
  for (const pid of pids) process.kill(pid, HEAP_SNAPSHOT_SIGNAL);
  // a node renames nothing: the file grows while it is written, so wait until the sizes settle
  const deadline = performance.now() + HEAP_SNAPSHOT_WAIT_MS;
  let last = '';
  while (performance.now() < deadline) {
    await sleep(2_000);
    const files = done();
    const sizes = files.map((f) => statSize(`${dir}/${f}`)).join(',');
    if (files.length - before >= pids.length && sizes === last) break;
    last = sizes;
  }
  const files = done();
  ctx.progress(`heap snapshots in ${dir}: ${files.join(', ')}`);
  return files;
}

function statSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return -1;
  }
}

export async function runSessions(ctx: RunContext): Promise<WorkloadResult> {
  const idle = openWindow(ctx.cluster);
  await sleep(ctx.opts.durationMs);
  const baseline = idle.end();
  ctx.progress(
    `idle cluster: ${baseline.clusterCpuPercent}% of one core, RSS ${JSON.stringify(baseline.nodeRssMiB)} MiB`,
  );
  const rows: Record<string, unknown>[] = [];
  for (const count of ctx.opts.sessions) {
    const perClient = LIMITS.maxSessionsPerConnection;
    const clients = await connectClients(ctx, Math.ceil(count / perClient), { requestTimeoutMs: 60_000 });
    // a failed open must not leave thousands of sessions alive (--same-cluster runs more workloads)
    try {
      const sessions: Session[] = [];
      await Promise.all(
        clients.map(async (c, ci) => {
          const mine = Math.min(perClient, count - ci * perClient);
          const opened = await Promise.all(Array.from({ length: mine }, () => c.session({ ttlMs: ctx.opts.ttlMs })));
          sessions.push(...opened);
        }),
      );
      ctx.progress(
        `${sessions.length} sessions open on ${clients.length} connections; warming up ${ctx.opts.warmupMs} ms`,
      );
      await sleep(ctx.opts.warmupMs);
      const w = openWindow(ctx.cluster);
      await sleep(ctx.opts.durationMs);
      const usage = w.end();
      const lost = sessions.filter((s) => s.state !== 'open').length;
      ctx.progress(
        `${count} sessions: cluster ${usage.clusterCpuPercent}% of one core (${JSON.stringify(usage.nodeCpuPercent)}), RSS ${JSON.stringify(usage.nodeRssMiB)} MiB, lost ${lost}`,
      );
      rows.push({ sessions: count, ...usage, lostSessions: lost });
      await heapSnapshots(ctx);
    } finally {
      await closeClients(clients);
    }
  }
  return { workload: 'sessions', ttlMs: ctx.opts.ttlMs, idle: baseline, rows };
}

export async function runMemory(ctx: RunContext): Promise<WorkloadResult> {
  const before = openWindow(ctx.cluster).end();
  const total = ctx.opts.locks;
  const clients = await connectClients(ctx, Math.ceil(HOLDING_SESSIONS / LIMITS.maxSessionsPerConnection), {
    requestTimeoutMs: 60_000,
  });
  const sessions: Session[] = await Promise.all(
    Array.from({ length: HOLDING_SESSIONS }, (_, i) => clients[i % clients.length]!.session({ ttlMs: 30_000 })),
  );
  const t0 = performance.now();
  let next = 0;
  let held = 0;
  const fillers = Array.from({ length: FILL_CONCURRENCY * clients.length }, async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const lock = await sessions[i % HOLDING_SESSIONS]!.tryAcquire(`load/mem/${i}`);
      if (lock !== null) held += 1;
      if (held % 10_000 === 0 && lock !== null) ctx.progress(`${held} locks held`);
    }
  });
  await Promise.all(fillers);
  const fillMs = performance.now() - t0;
  await ctx.cluster.waitCaughtUp();
  await sleep(ctx.opts.warmupMs);
  const after = openWindow(ctx.cluster).end();
  ctx.progress(
    `${held} locks held (filled in ${Math.round(fillMs)} ms); RSS ${JSON.stringify(after.nodeRssMiB)} MiB (before: ${JSON.stringify(before.nodeRssMiB)})`,
  );
  await heapSnapshots(ctx);
  await closeClients(clients);
  return {
    workload: 'memory',
    locksHeld: held,
    fillMs: Math.round(fillMs),
    rssBeforeMiB: before.nodeRssMiB,
    rssMiB: after.nodeRssMiB,
    rssMaxMiB: Math.max(...Object.values(after.nodeRssMiB)),
  };
}
