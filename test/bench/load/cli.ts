/**
 * `npm run bench:load -- [flags]`: Baton alone under the workloads of issue 8, on a real 3-node
 * cluster (fsync on, loopback, fresh data directories) driven by SDK clients in this process —
 * the load generator to profile and tune against. Each workload gets a fresh cluster, unless
 * --same-cluster runs them all on one (as `npm run bench` does: what W7 costs after W1..W6).
 *
 * Flags: USAGE below (also printed by --help and on a flag it does not know).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchCluster } from './cluster.js';
import type { LoadOptions, RunContext, WorkloadResult } from './context.js';
import { runCycles } from './cycles.js';
import { runElection } from './election.js';
import { runFailover, runSteady } from './failover.js';
import { HEAP_SNAPSHOT_SIGNAL, runMemory, runSessions } from './idle.js';
import { runTakeover } from './takeover.js';

const WORKLOADS = ['locks', 'contention', 'failover', 'steady', 'election', 'takeover', 'sessions', 'memory'] as const;
type Workload = (typeof WORKLOADS)[number];

const DEFAULT_WORKERS: Record<Workload, number> = {
  locks: 32,
  contention: 8,
  failover: 4,
  steady: 4,
  election: 3,
  takeover: 1,
  sessions: 0,
  memory: 0,
};

const USAGE = `usage: npm run bench:load -- [flags]
  --workload LIST   locks,contention,failover,steady,election,takeover,sessions,memory (or all)
  --workers N       workers / candidates / writers (default per workload: 32, 8, 4, 4, 3)
  --clients N       connections the workers share (default: one per worker)
  --duration S      measurement window, seconds (default 10; steady: 600)
  --warmup S        before measuring (default 3)
  --repeat N        measurement windows on the same cluster; medians reported (default 1)
  --trials N        failover kills / takeover kills / election rounds ×200 (default 3 / 5 / 1)
  --ttl MS          session TTL (default 10000; takeover: 1000)
  --sessions LIST   idle sessions for the sessions workload (default 1000,10000)
  --locks N         held locks for the memory workload (default 100000)
  --cycles N        locks/contention: stop after N cycles in all, no warmup or window (for valgrind
                    --tool=callgrind: two runs of different N give the instructions per cycle)
  --server-arg A    passed to every baton-server (repeatable: --server-arg=--tick-ms --server-arg=25)
  --profile DIR     run each node with --cpu-prof into DIR (stopped with SIGTERM so it is written)
  --node-arg A      passed to node for every baton-server (repeatable: --node-arg=--perf-basic-prof)
  --heap-snapshots DIR  sessions/memory: once the state is in place, every node writes a V8 heap
                    snapshot into DIR (node --heapsnapshot-signal; \`node --expose-gc\`-free: V8
                    collects garbage before it writes one)
  --in-process      run the three nodes inside this process (one thread: \`node --cpu-prof\` on the
                    load generator profiles the whole system; CPU is reported as client CPU)
  --logs DIR        keep every node's output in DIR/<workload>/<node>.log
  --server-bin JS   run this baton-server build instead of server/dist (before/after comparisons)
  --same-cluster    run every listed workload on one cluster, in order (no restart between them:
                    memory retained from earlier workloads shows in later ones; failover/takeover
                    kill nodes, so list them last or not at all)
  --json FILE       write every result as JSON
  --quick           short windows for a smoke run
  --help            this text
`;

function parseFlags() {
  return parseArgs({
    options: {
      workload: { type: 'string', default: 'locks' },
      workers: { type: 'string' },
      clients: { type: 'string', default: '0' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      repeat: { type: 'string', default: '1' },
      trials: { type: 'string' },
      ttl: { type: 'string' },
      sessions: { type: 'string', default: '1000,10000' },
      locks: { type: 'string', default: '100000' },
      cycles: { type: 'string', default: '0' },
      'server-arg': { type: 'string', multiple: true, default: [] },
      profile: { type: 'string' },
      'in-process': { type: 'boolean', default: false },
      logs: { type: 'string' },
      'server-bin': { type: 'string' },
      'node-arg': { type: 'string', multiple: true, default: [] },
      'heap-snapshots': { type: 'string' },
      json: { type: 'string' },
      'same-cluster': { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }).values;
}

function flagsOrExit(): ReturnType<typeof parseFlags> {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    process.exit(64);
  }
  if (parsed.help === true) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  return parsed;
}

const values = flagsOrExit();

function int(name: string, raw: string | undefined, fallback: number, min = 0): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${name}: expected a number >= ${min}, got ${raw}`);
  return n;
}

function optionsFor(w: Workload): LoadOptions {
  const quick = values.quick;
  const steady = w === 'steady';
  return {
    workers: int('workers', values.workers, DEFAULT_WORKERS[w], 1),
    clients: int('clients', values.clients, 0),
    durationMs: int('duration', values.duration, quick ? 2 : steady ? 600 : 10) * 1000,
    warmupMs: int('warmup', values.warmup, quick ? 1 : 3) * 1000,
    repeat: int('repeat', values.repeat, 1, 1),
    trials: int('trials', values.trials, w === 'takeover' ? 5 : w === 'failover' ? 3 : 1, 1),
    ttlMs: int('ttl', values.ttl, w === 'takeover' ? 1000 : 10_000, 1000),
    sessions: values.sessions.split(',').map((s) => int('sessions', s, 0, 1)),
    locks: int('locks', values.locks, 100_000, 1),
    cycles: int('cycles', values.cycles, 0),
    heapSnapshotDir: values['heap-snapshots'] === undefined ? null : resolve(values['heap-snapshots']),
  };
}

async function main(): Promise<void> {
  const list = values.workload === 'all' ? [...WORKLOADS] : values.workload.split(',');
  for (const w of list) if (!(WORKLOADS as readonly string[]).includes(w)) throw new Error(`--workload: unknown ${w}`);
  const profileDir = values.profile === undefined ? null : resolve(values.profile);
  const heapDir = values['heap-snapshots'] === undefined ? null : resolve(values['heap-snapshots']);
  const results: WorkloadResult[] = [];
  const startCluster = (w: string): Promise<BenchCluster> =>
    BenchCluster.start({
      size: 3,
      nodeArgs: [
        ...(profileDir === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]),
        ...(heapDir === null ? [] : [`--heapsnapshot-signal=${HEAP_SNAPSHOT_SIGNAL}`, `--diagnostic-dir=${heapDir}`]),
        ...values['node-arg'],
      ],
      serverArgs: values['server-arg'],
      inProcess: values['in-process'],
      logDir: values.logs === undefined ? null : resolve(values.logs, values['same-cluster'] ? 'same-cluster' : w),
      serverBin: values['server-bin'] === undefined ? null : resolve(values['server-bin']),
    });
  const shared = values['same-cluster'] ? await startCluster('same-cluster') : null;
  for (const w of list as Workload[]) {
    const cluster = shared ?? (await startCluster(w));
    const ctx: RunContext = {
      cluster,
      opts: optionsFor(w),
      progress: (line) => process.stderr.write(`[${w}] ${line}\n`),
    };
    try {
      const leader = await cluster.waitForLeader();
      ctx.progress(`nodes ${cluster.nodes.map((n) => `${n.name}=pid ${n.pid}`).join(', ')}; leader ${leader.name}`);
      const termBefore = (await leader.status())?.term ?? 0;
      const r = await dispatch(w, ctx);
      const termAfter = (await (await cluster.waitForLeader()).status())?.term ?? 0;
      // elections the workload did not cause itself (failover kills cause theirs)
      r.termsElapsed = termAfter - termBefore;
      results.push(r);
      const { windows: _w, ...brief } = r;
      process.stdout.write(`${JSON.stringify(brief)}\n`);
    } catch (err) {
      process.stderr.write(`[${w}] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.stderr.write(cluster.logs().slice(-5_000));
      process.exitCode = 1;
    } finally {
      if (shared === null) await cluster.stop(profileDir !== null);
    }
  }
  if (shared !== null) await shared.stop(profileDir !== null);
  if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
  if (profileDir !== null) process.stderr.write(`CPU profiles in ${profileDir} (open in Chrome DevTools)\n`);
}

function dispatch(w: Workload, ctx: RunContext): Promise<WorkloadResult> {
  switch (w) {
    case 'locks':
      return runCycles(ctx, false);
    case 'contention':
      return runCycles(ctx, true);
    case 'failover':
      return runFailover(ctx);
    case 'steady':
      return runSteady(ctx);
    case 'election':
      return runElection(ctx);
    case 'takeover':
      return runTakeover(ctx);
    case 'sessions':
      return runSessions(ctx);
    case 'memory':
      return runMemory(ctx);
  }
}

// a stray rejection must not leave the cluster running: report it and exit (the nodes are killed)
process.on('unhandledRejection', (err) => {
  process.stderr.write(`unhandled rejection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
