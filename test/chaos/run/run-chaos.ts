/**
 * One chaos run, start to verdict: cluster + proxies, status poller, fenced store, client
 * workers and their lanes, the nemesis; then heal, stop the lanes, close every session, wait out
 * the TTL, read every name and register one last time, tear down, and check everything recorded.
 * Artifacts (seed, fault schedule, history, timeline, logs) are saved when a check fails (or
 * always, with keepArtifacts) under `<outDir>/<seed>-<nodes>n/`.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SimRng } from '../../sim/rng.js';
import { FINAL_CLIENT } from '../checks/end-state.js';
import type { RunData } from '../checks/run-data.js';
import { monotonicMs, runClock, sleep } from '../clock.js';
import { ChaosCluster } from '../cluster/chaos-cluster.js';
import { StatusPoller } from '../cluster/status-poller.js';
import { unsupportedFaults } from '../nemesis/fault-kinds.js';
import { MemberAdmin } from '../nemesis/member-ops.js';
import { Nemesis } from '../nemesis/nemesis.js';
import { Probe } from '../nemesis/probe.js';
import { ClientNet } from '../net/client-proxy.js';
import { saveArtifacts } from '../report/artifacts.js';
import { FencedStore } from '../workload/fenced-store.js';
import { ALL_NAMES, FENCED_LOCKS } from '../workload/tasks.js';
import { WorkerPool } from '../workload/worker-pool.js';
import { type CheckedRun, checkRun } from './check-run.js';
import { startLanes } from './lanes.js';
import {
  type ChaosOptions,
  COOLDOWN_MS,
  FIRST_LEADER_TIMEOUT_MS,
  LANES_STOP_TIMEOUT_MS,
  WARMUP_MS,
} from './options.js';
import { RunRecorder } from './recorder.js';

export interface ChaosResult extends CheckedRun {
  readonly data: RunData;
  /** Where the artifacts are, or null when a passing run's were removed. */
  readonly artifactsDir: string | null;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const originMs = monotonicMs();
  const now = runClock(originMs);
  const rng = new SimRng(options.seed);
  const clusterRng = rng.fork();
  const nemesisRng = rng.fork();
  const workloadRng = rng.fork();
  const runDir = join(options.outDir, `${options.seed}-${options.nodes}n`);
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });

  const rec = new RunRecorder();

  const cluster = await ChaosCluster.start({
    size: options.nodes,
    logDir: join(runDir, 'logs'),
    random: () => clusterRng.float(),
    tickMs: options.tickMs,
    electionTicks: options.electionTicks,
    logLevel: options.serverLogLevel,
    net: options.net,
    log: options.log,
  });
  const faultsLeftOut = unsupportedFaults(cluster);
  options.log(`network: ${cluster.net.description}`);
  for (const [kind, why] of faultsLeftOut) options.log(`fault ${kind} left out: ${why}`);
  const poller = new StatusPoller(cluster, now);
  const store = new FencedStore(now, rec.record);
  let pool: WorkerPool | null = null;
  const clientNets = new Map<number, ClientNet>();
  let probe: Probe | null = null;
  let memberAdmin: MemberAdmin | null = null;
  let faults: Nemesis['faults'] = [];
  const startedAtMs = now();
  try {
    poller.start();
    // each worker reaches the nodes through its own proxies, so it can be cut off alone
    for (let id = 1; id <= options.workers; id++) clientNets.set(id, await ClientNet.start(cluster.clientUrls));
    const nodeOf = (url: string | null): string | undefined => cluster.nameOfUrl(url);
    probe = await Probe.connect(cluster.clientUrls, poller, now, nodeOf, FIRST_LEADER_TIMEOUT_MS);
    if ((await probe.waitServing(FIRST_LEADER_TIMEOUT_MS)) === null)
      throw new Error('the cluster never elected a leader');
    options.log(
      `cluster of ${options.nodes} up; starting ${options.workers} workers × ${options.lanesPerWorker} lanes`,
    );
    pool = await WorkerPool.start(
      options.workerCommand,
      options.workers,
      (workerId) => {
        const urls = clientNets.get(workerId)?.urls ?? cluster.clientUrls;
        return {
          workerId,
          originMs,
          endpoints: urls,
          nodeNames: Object.fromEntries(urls.map((u, i) => [u, cluster.names[i]!])),
          lanes: options.lanesPerWorker,
          ttlMs: options.ttlMs,
          requestTimeoutMs: options.requestTimeoutMs,
        };
      },
      store,
      {
        record: rec.record,
        hold: (h) => rec.holds.push(h),
        session: (s) => rec.sessions.push(s),
        problem: (p) => rec.problems.push(p),
      },
      now,
    );
    const workers = pool;

    const lanes = startLanes(workers, options.lanesPerWorker, options.workload, workloadRng, rec, now);
    await sleep(WARMUP_MS);
    memberAdmin = await MemberAdmin.connect(cluster);
    const nemesis = new Nemesis(
      {
        cluster,
        pool: workers,
        leader: () => leaderSoon(poller),
        ttlMs: options.ttlMs,
        fencedHolder: () => rec.fencedHolder(workers),
        setClientBlocked: (id, blocked) => clientNets.get(id)?.setBlocked(blocked),
        members: memberAdmin,
      },
      probe,
      nemesisRng,
      {
        quietMinMs: options.quietMinMs,
        quietMaxMs: options.quietMaxMs,
        giveUpMs: options.giveUpMs,
        names: ALL_NAMES,
        leftOut: faultsLeftOut,
        log: options.log,
      },
      now,
      rec.record,
    );
    faults = nemesis.faults;
    const deadlineMs = now() + options.durationMs;
    if (options.faults === 'random') await nemesis.runRandom(deadlineMs);
    else await nemesis.runList(options.faults, deadlineMs);

    // the end: heal everything, let the lanes finish, close every session
    await cluster.healAll();
    workers.resumeAll();
    for (const net of clientNets.values()) net.setBlocked(false);
    await probe.waitServing(options.giveUpMs);
    await sleep(COOLDOWN_MS);
    await lanes.stop(LANES_STOP_TIMEOUT_MS);
    await workers.finishAll();
    // sessions whose close got no answer expire within the TTL; then nothing may be held
    await sleep(options.ttlMs + 2 * options.tickMs * options.electionTicks);
    await probe.waitServing(options.giveUpMs);
    await probe.readAll(ALL_NAMES, FINAL_CLIENT, rec.record);
    for (const name of FENCED_LOCKS) store.apply(FINAL_CLIENT, 0, 'read', name, 0, null);
  } finally {
    await memberAdmin?.close();
    await probe?.close();
    await poller.stop();
    await pool?.killAll();
    await Promise.all([...clientNets.values()].map((n) => n.stop()));
    await cluster.stop();
  }

  const data: RunData = {
    seed: options.seed,
    nodes: options.nodes,
    durationMs: now() - startedAtMs,
    ttlMs: options.ttlMs,
    recoveryBoundMs: options.recoveryBoundMs,
    network: cluster.net.description,
    networkFallback: cluster.netFallback,
    faultsLeftOut,
    history: rec.history,
    holds: rec.holds,
    sessions: rec.sessions,
    faults,
    statusSamples: poller.samples,
    leadersByTerm: poller.leadersByTerm,
    storeLog: store.log,
    finalValues: new Map(FENCED_LOCKS.map((n) => [n, store.valueOf(n)])),
    workerPauses: new Map((pool?.workers ?? []).map((w) => [w.id, w.pauses])),
    workerStalls: new Map((pool?.workers ?? []).map((w) => [w.id, w.stalls])),
    problems: rec.problems,
    serverExits: cluster.unexpectedExits,
    portWaits: cluster.portWaits,
    taskOutcomes: rec.taskOutcomes,
  };
  const checked = checkRun(data, options.checkBudgetMs);
  const failed = checked.violations.length > 0;
  let artifactsDir: string | null = runDir;
  if (failed || options.keepArtifacts) saveArtifacts(runDir, data, checked, options.replayCommand);
  else {
    rmSync(runDir, { recursive: true, force: true });
    artifactsDir = null;
  }
  return { ...checked, data, artifactsDir };
}

/** The leader, waiting up to a few seconds for one to be agreed on. */
async function leaderSoon(poller: StatusPoller): Promise<string | null> {
  for (let i = 0; i < 30; i++) {
    const leader = await poller.agreedLeader();
    if (leader !== null) return leader;
    await sleep(100);
  }
  return poller.latestLeader();
}
