/**
 * One benchmark run: find (or install) the peers, then for each system in turn start a fresh
 * cluster, run the selected workloads against it, stop it; finally build the rows, ratios and
 * targets, and write results.json and report.html. One system runs at a time, so an idle
 * cluster never takes CPU from the one being measured.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { SERVER_BIN } from '../../cluster/harness.js';
import { SYSTEM_LABELS, SYSTEM_NAMES, type SystemName } from './clients/lock-client.js';
import { ensurePeers, type PeerAvailability } from './peers/apt.js';
import { type BenchPlan, HEALTHY_TIMEOUT_MS, type Workload } from './plan.js';
import { installCleanupHandlers } from './proc/cleanup.js';
import { type CommitFloor, describeCommitFloors, measureCommitFloor } from './proc/commit-floor.js';
import { type DiskFloor, describeDiskFloor, measureDiskFloor } from './proc/disk-floor.js';
import { Progress } from './progress.js';
import { renderHtml } from './report/chart.js';
import { type BenchResult, RESULT_FORMAT_VERSION, type ResultRow, type SystemReport } from './report/result.js';
import { rowSpecs } from './report/rows.js';
import { type Bottleneck, bottleneckOf, CLIENT_BOUND_CPU_PCT, MACHINE_SATURATED } from './resources.js';
import { startBaton } from './systems/baton.js';
import { startEtcd } from './systems/etcd.js';
import { startRedis } from './systems/redis.js';
import type { RunningSystem } from './systems/system.js';
import { startZookeeper } from './systems/zookeeper.js';
import { planTasks, type Task } from './tasks.js';
import type { WorkloadContext, WorkloadOutput } from './workloads/context.js';
import { independentLocks } from './workloads/independent.js';

export interface RunOptions {
  readonly plan: BenchPlan;
  readonly systems: readonly SystemName[];
  readonly workloads: readonly Workload[];
  readonly outDir: string;
  readonly install: boolean;
  readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly holderCommand: WorkloadContext['holderCommand'];
}

type Peer = Exclude<SystemName, 'baton'>;

interface SystemRun {
  readonly metrics: Record<string, number>;
  /** Measured windows that the client process or a saturated machine, not the servers, paced. */
  readonly bottlenecks: { readonly kind: Bottleneck; readonly window: string }[];
  readonly errors: Partial<Record<Workload, string>>;
  readonly details: Record<string, unknown>;
}

/** Workers of the discarded warm-up run (the JITs of the JVM and of V8 warm up on it). */
const WARMUP_WORKERS = 32;

function start(system: SystemName, bin: string | null): Promise<RunningSystem> {
  switch (system) {
    case 'baton':
      return startBaton();
    case 'etcd':
      return startEtcd(bin as string);
    case 'zookeeper':
      return startZookeeper(bin as string);
    case 'redis':
      return startRedis(bin as string);
  }
}

/** The warm-up run precedes the throughput workloads only. */
function wantsWarmup(plan: BenchPlan, tasks: readonly Task[]): boolean {
  return plan.warmupRun && tasks.some((t) => t.workload === 'independent' || t.workload === 'contention');
}

function withBudget<T>(what: string, budgetMs: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not finish within ${Math.round(budgetMs / 1000)} s`)),
      budgetMs,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'error';
}

async function runSystem(
  system: RunningSystem,
  tasks: readonly Task[],
  options: RunOptions,
  progress: Progress,
  notes: string[],
): Promise<SystemRun> {
  const label = SYSTEM_LABELS[system.name];
  const run: SystemRun = { metrics: {}, bottlenecks: [], errors: {}, details: {} };
  const stamp = Date.now().toString(36);
  const ctxFor = (name: string): WorkloadContext => ({
    system,
    plan: options.plan,
    progress,
    namePrefix: `bench-${stamp}/${name}`,
    holderCommand: options.holderCommand,
  });
  const record = (out: WorkloadOutput): void => {
    Object.assign(run.metrics, out.metrics);
    Object.assign(run.details, out.details);
    for (const n of out.notes) notes.push(`${label}: ${n}`);
    for (const w of out.windows ?? []) {
      const kind = bottleneckOf(w.use);
      if (kind !== null) run.bottlenecks.push({ kind, window: w.label });
    }
  };

  if (wantsWarmup(options.plan, tasks)) {
    progress.begin(`${label}: warm-up run (${WARMUP_WORKERS} workers, discarded)`);
    try {
      await withBudget('the warm-up run', 180_000, independentLocks(ctxFor('warmup'), WARMUP_WORKERS));
    } catch (err) {
      notes.push(`${label}: the warm-up run failed: ${message(err)}`);
    }
  }

  let steadyTermBefore: number | null = null;
  let steadyTermAfter: number | null = null;
  let abandoned: string | null = null;
  for (const [i, task] of tasks.entries()) {
    progress.begin(`${label}: ${task.label}`);
    if (abandoned !== null) {
      run.errors[task.workload] ??= abandoned;
      continue;
    }
    if (!task.applies(system)) continue;
    if (task.steady && steadyTermBefore === null && system.replicated)
      steadyTermBefore = (await system.leader())?.term ?? null;
    try {
      record(await withBudget(task.label, task.budgetMs, task.run(ctxFor(`${task.workload}-${i}`))));
    } catch (err) {
      run.errors[task.workload] ??= message(err);
      notes.push(`${label}: ${task.label} failed: ${message(err)}`);
      // the servers' own account of the failure, for whoever reads results.json
      run.details[`serverLogs.${task.workload}`] = system.logs();
      if (message(err).includes('did not finish within')) abandoned = `abandoned after an earlier workload hung`;
      else {
        // a failure may have left the cluster unsettled: the next workload starts from a healthy one
        await system.waitHealthy(HEALTHY_TIMEOUT_MS).catch((e: unknown) => {
          abandoned = `the cluster did not recover: ${message(e)}`;
        });
      }
    }
    if (task.steady && system.replicated) steadyTermAfter = (await system.leader())?.term ?? null;
  }
  if (steadyTermBefore !== null && steadyTermAfter !== null) {
    run.metrics['steady.leaderChanges'] = steadyTermAfter - steadyTermBefore;
  }
  return run;
}

/** The windows that the client or a saturated machine paced, one note per kind. */
function bottleneckNotes(ran: ReadonlyMap<SystemName, SystemRun>): string[] {
  const listed = (kind: Bottleneck): string =>
    [...ran]
      .map(([s, r]) => {
        const windows = r.bottlenecks.filter((b) => b.kind === kind).map((b) => b.window);
        return windows.length === 0 ? '' : `${SYSTEM_LABELS[s]} (${windows.join(', ')})`;
      })
      .filter((x) => x !== '')
      .join('; ');
  const out: string[] = [];
  const clientBound = listed('client');
  if (clientBound !== '') {
    out.push(
      `client-bound windows: the client process used ≥${CLIENT_BOUND_CPU_PCT}% of a core, so the servers could have done more (the number is a floor): ${clientBound}`,
    );
  }
  const saturated = listed('machine');
  if (saturated !== '') {
    out.push(
      `windows with every core ≥${MACHINE_SATURATED * 100}% busy (servers, client and anything else running share ${cpus().length} cores): ${saturated}`,
    );
  }
  return out;
}

function buildRows(
  options: RunOptions,
  ran: ReadonlyMap<SystemName, SystemRun>,
  reports: Readonly<Record<SystemName, SystemReport>>,
): ResultRow[] {
  const batonTtl = ran.get('baton')?.metrics['takeover.ttlMs'] ?? null;
  const specs = rowSpecs(options.plan, batonTtl).filter((r) => options.workloads.includes(r.workload));
  return specs.map((spec) => {
    const values = {} as Record<SystemName, number | null>;
    const errors: Partial<Record<SystemName, string>> = {};
    for (const s of SYSTEM_NAMES) {
      const r = ran.get(s);
      const v = r?.metrics[spec.id];
      values[s] = v === undefined || !Number.isFinite(v) ? null : v;
      const err = r?.errors[spec.workload];
      if (err !== undefined && values[s] === null) errors[s] = err;
      else if (reports[s].state === 'failed' && !spec.notFor.includes(s)) errors[s] = reports[s].reason ?? 'failed';
    }
    const ratio = (p: Peer): number | null => {
      const b = values.baton;
      const v = values[p];
      return b === null || v === null || v === 0 ? null : b / v;
    };
    return {
      id: spec.id,
      workload: spec.workload,
      label: spec.label,
      unit: spec.unit,
      better: spec.better,
      values,
      ratios: { etcd: ratio('etcd'), zookeeper: ratio('zookeeper'), redis: ratio('redis') },
      notApplicable: spec.notFor,
      errors,
      ...(spec.target === undefined ? {} : { target: { text: spec.target.text, met: spec.target.check(values) } }),
      ...(spec.stretch === undefined ? {} : { stretch: { text: spec.stretch.text, met: spec.stretch.check(values) } }),
    };
  });
}

/** Rounds of the disk probe (each: two writes back to back, a pause, one write). */
const DISK_FLOOR_ROUNDS = 200;
const DISK_FLOOR_ROUNDS_QUICK = 20;
/** Rounds of the commit-floor probe before each system (the same shape, through three processes). */
const COMMIT_FLOOR_ROUNDS = 300;
const COMMIT_FLOOR_ROUNDS_QUICK = 20;
/** The pause before the floors' "after idle" samples: about the pause between two rounds of workload 4. */
const FLOOR_IDLE_MS = 10;

export async function runBench(options: RunOptions): Promise<{ result: BenchResult; ok: boolean }> {
  installCleanupHandlers();
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const notes: string[] = [];
  const log = (line: string): void => {
    options.out.write(`${line}\n`);
  };
  const reports = Object.fromEntries(SYSTEM_NAMES.map((s) => [s, { state: 'not selected' }])) as Record<
    SystemName,
    SystemReport
  >;

  const peers = options.systems.filter((s): s is Peer => s !== 'baton');
  const available = await ensurePeers(peers, { install: options.install, log });
  const bins = new Map<SystemName, string | null>();
  for (const s of options.systems) {
    if (s === 'baton') {
      if (existsSync(SERVER_BIN)) bins.set(s, SERVER_BIN);
      else reports.baton = { state: 'skipped', reason: `${SERVER_BIN} is not built (npm run build)` };
      continue;
    }
    const a = available.get(s) as PeerAvailability;
    if (a.bin === null) {
      reports[s] = { state: 'skipped', reason: a.reason ?? 'not available' };
      log(`skipping ${SYSTEM_LABELS[s]}: ${a.reason}`);
    } else bins.set(s, a.bin);
  }

  // before any system runs, so that nothing else uses the disk
  let disk: DiskFloor | null = null;
  try {
    disk = await measureDiskFloor(options.plan.quick ? DISK_FLOOR_ROUNDS_QUICK : DISK_FLOOR_ROUNDS, FLOOR_IDLE_MS);
    notes.push(describeDiskFloor(disk));
  } catch (err) {
    notes.push(`disk floor not measured: ${err instanceof Error ? err.message : String(err)}`);
  }

  const tasks = planTasks(options.plan, options.workloads);
  const order = SYSTEM_NAMES.filter((s) => bins.has(s));
  const progress = new Progress(
    order.length * (tasks.length + (wantsWarmup(options.plan, tasks) ? 2 : 1)),
    options.out,
  );
  const ran = new Map<SystemName, SystemRun>();
  // measured again right before each system: the machine drifts within a run, and each system's
  // latency rows are best read against the floor of the same minutes
  const commitFloors: Partial<Record<SystemName, CommitFloor>> = {};
  const floorErrors: string[] = [];
  const assemble = (complete: boolean): BenchResult => {
    const floorNote = describeCommitFloors(commitFloors, floorErrors);
    const allNotes = [...notes, ...(floorNote === null ? [] : [floorNote]), ...bottleneckNotes(ran)];
    if (options.plan.quick)
      allNotes.unshift('quick smoke run: short windows and small counts; the numbers are not meaningful');
    const details: Partial<Record<SystemName, Record<string, unknown>>> = {};
    for (const [s, r] of ran) {
      details[s] = { ...r.details, ...(Object.keys(r.errors).length > 0 ? { errors: r.errors } : {}) };
    }
    return {
      formatVersion: RESULT_FORMAT_VERSION,
      complete,
      quick: options.plan.quick,
      startedAt,
      durationMs: Math.round(performance.now() - t0),
      machine: {
        cores: cpus().length,
        node: process.version,
        platform: process.platform,
        loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
        disk,
        commitFloors,
      },
      plan: options.plan,
      workloads: options.workloads,
      systems: reports,
      rows: buildRows(options, ran, reports),
      notes: allNotes,
      details,
    };
  };
  const write = (result: BenchResult): void => {
    mkdirSync(options.outDir, { recursive: true });
    writeFileSync(join(options.outDir, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(options.outDir, 'report.html'), renderHtml(result));
  };
  for (const name of order) {
    const label = SYSTEM_LABELS[name];
    progress.begin(`${label}: starting`);
    try {
      commitFloors[name] = await measureCommitFloor(
        options.plan.quick ? COMMIT_FLOOR_ROUNDS_QUICK : COMMIT_FLOOR_ROUNDS,
        FLOOR_IDLE_MS,
      );
    } catch (err) {
      floorErrors.push(`before ${label}: ${message(err)}`);
    }
    const ts = performance.now(); // the system's own time, without the probe's
    let system: RunningSystem | null = null;
    try {
      system = await start(name, bins.get(name) ?? null);
      await system.waitHealthy(HEALTHY_TIMEOUT_MS);
      ran.set(name, await runSystem(system, tasks, options, progress, notes));
      reports[name] = {
        state: 'ran',
        version: system.version,
        installed: available.get(name as Peer)?.installed === true,
        durationMs: Math.round(performance.now() - ts),
      };
    } catch (err) {
      reports[name] = { state: 'failed', reason: message(err) };
      notes.push(`${label} failed: ${err instanceof Error ? err.message : String(err)}`.slice(0, 2_000));
    } finally {
      await system?.stop().catch(() => {});
      // give the kernel a moment to release the ports and page cache of the stopped cluster
      await delay(200);
    }
    // what is done so far survives a run that dies or is interrupted later
    write(assemble(false));
  }
  progress.finish();
  const result = assemble(true);
  write(result);
  const failedRuns = [...ran.values()].some((r) => Object.keys(r.errors).length > 0);
  const failedSystems = SYSTEM_NAMES.some((s) => reports[s].state === 'failed');
  return { result, ok: !failedRuns && !failedSystems && reports.baton.state !== 'skipped' };
}
