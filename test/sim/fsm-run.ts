/**
 * The state machine simulation: the same cluster, network, crashes and nemesis as the Raft-only
 * safety mode (run.ts), with a CoordinationFsm on every node and simulated coordination clients
 * instead of opaque proposals. Every invariant FsmSimApp checks runs after every applied entry,
 * on top of the Raft invariants the cluster checks after every event.
 */
import { Violation } from './checks.js';
import { Cluster } from './cluster.js';
import { FsmSimApp } from './fsm-app.js';
import { FsmClients } from './fsm-clients.js';
import { SimRng } from './rng.js';
import { Nemesis } from './run.js';

export interface FsmRunOptions {
  readonly seed: number;
  readonly nodes: number;
  /** Simulated milliseconds of faults and client load. */
  readonly durationMs: number;
  /** Upper bound on events, so that no run can go on forever. */
  readonly maxSteps: number;
  readonly clients?: number;
  /** Trace lines to return on success too (a failure always returns its last steps). */
  readonly traceLines?: number;
}

export interface FsmRunResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly violation?: string;
  readonly trace: string[];
  readonly stats: Record<string, number>;
}

export const FSM_DEFAULT_CLIENTS = 5;

/** The one-line command that replays a run (fsm.test.ts reads these variables). */
export function fsmReplayCommand(o: FsmRunOptions): string {
  return `cd test && FSM_SIM_SEED=${o.seed} FSM_SIM_NODES=${o.nodes} FSM_SIM_DURATION_MS=${o.durationMs} npx vitest run sim/fsm.test.ts`;
}

export function runFsmSeed(o: FsmRunOptions): FsmRunResult {
  const rng = new SimRng(o.seed);
  const c = new Cluster(rng.fork(), {
    nodes: o.nodes,
    readOnlyOption: rng.chance(0.5) ? 'lease' : 'safe',
    maxSizePerMsgBytes: rng.pick([1, 128, 512, 4096]),
    maxInflightMsgs: rng.pick([1, 4, 16]),
  });
  const app = new FsmSimApp(c);
  const nemesis = new Nemesis(c, rng.fork(), o.nodes);
  const clients = new FsmClients(c, app, rng.fork(), o.clients ?? FSM_DEFAULT_CLIENTS);
  const stats = (): Record<string, number> => ({
    ...c.stats,
    events: c.events,
    simulatedMs: Math.round(c.now),
    committed: c.checker.maxCommitted,
    ...app.stats,
    grants: app.history.grants,
    ...clients.stats,
  });
  try {
    let nextNemesis = 500 + rng.float() * 2000;
    let nextClient = 0;
    while (c.now < o.durationMs) {
      if (c.events > o.maxSteps) break;
      c.runUntil(Math.min(nextNemesis, nextClient, o.durationMs));
      if (c.now >= nextClient) {
        clients.tick();
        nextClient = c.now + 5 + rng.float() * 30;
      }
      if (c.now >= nextNemesis) {
        nemesis.act();
        nextNemesis = c.now + 200 + rng.float() * 2800;
      }
    }
    return { seed: o.seed, ok: true, trace: c.lastTrace(o.traceLines ?? 0), stats: stats() };
  } catch (err) {
    const violation =
      err instanceof Violation ? err.message : `threw: ${(err as Error).stack ?? (err as Error).message}`;
    return { seed: o.seed, ok: false, violation, trace: c.lastTrace(Math.max(60, o.traceLines ?? 0)), stats: stats() };
  }
}
