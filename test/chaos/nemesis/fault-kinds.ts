/**
 * The faults the nemesis injects, each as inject → (hold for the planned time) → heal. Targets
 * that depend on the cluster (the leader) are resolved when the fault starts; random choices come
 * from the fault's own seeded generator, so a seed replays the same plan.
 */
import type { SimRng } from '../../sim/rng.js';
import type { ChaosCluster } from '../cluster/chaos-cluster.js';
import type { WorkerPool } from '../workload/worker-pool.js';

/** What a removed member exits with once it noticed (server/src/admin/removal.ts). */
const EXIT_REMOVED = 5;
/** Its grace (3 s) plus the time to notice, on a busy machine. */
const REMOVED_EXIT_WAIT_MS = 15_000;

export const FAULT_KINDS = [
  'partition-halves',
  'partition-bridge',
  'isolate-leader',
  'one-way-leader',
  'slow-network',
  'kill-one',
  'kill-leader',
  'kill-all',
  'pause-node',
  'pause-leader',
  'pause-client',
  'partition-client',
  'transfer-leader',
  'slow-disk',
  'remove-add-member',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultContext {
  readonly cluster: ChaosCluster;
  readonly pool: WorkerPool;
  /** The current leader (waits a little for one), or null. */
  readonly leader: () => Promise<string | null>;
  readonly ttlMs: number;
  /**
   * A worker one of whose lanes holds a fenced lock right now (waits a little for one), or null:
   * pausing a holder mid-task is Jepsen's lock-set scenario.
   */
  readonly fencedHolder: () => Promise<number | null>;
  /** Cuts a worker off from every node (its traffic goes through its own proxies), or heals it. */
  readonly setClientBlocked: (workerId: number, blocked: boolean) => void;
  /** Membership changes through the admin API (retried until done or a deadline; throws then). */
  readonly members: MemberOps;
}

export interface MemberOps {
  /** Removes `name` from the configuration; resolves once the removal committed. */
  readonly remove: (name: string) => Promise<void>;
  /** Adds `name` as a learner, waits for it to catch up, promotes it to voter. */
  readonly add: (name: string) => Promise<void>;
}

/** Kinds this cluster cannot inject, with the reason: the nemesis leaves them out of its plan. */
export function unsupportedFaults(cluster: ChaosCluster): ReadonlyMap<FaultKind, string> {
  const out = new Map<FaultKind, string>();
  if (cluster.net.delayUnsupported !== null) out.set('slow-network', cluster.net.delayUnsupported);
  return out;
}

/** A fault in effect: what it did (for the timeline) and how to undo it. */
export interface ActiveFault {
  readonly detail: string;
  /** Nodes or workers it acts on (timeline rows). */
  readonly targets: readonly string[];
  readonly heal: () => Promise<void>;
  /** Something the fault saw go wrong on the way (a check of its own); the checks report it. */
  readonly error?: string;
}

export async function injectFault(kind: FaultKind, ctx: FaultContext, rng: SimRng): Promise<ActiveFault> {
  const { cluster } = ctx;
  const names = cluster.names;
  const mode = rng.chance(0.5) ? ('drop' as const) : ('cut' as const);
  const { net } = cluster;
  const healLinks = (): Promise<void> => net.healAll();
  switch (kind) {
    case 'partition-halves': {
      const shuffled = rng.shuffle(names);
      const minority = shuffled.slice(0, Math.floor((names.length - 1) / 2));
      const majority = shuffled.slice(minority.length);
      await net.partition([minority, majority], mode);
      return { detail: `${mode} [${minority}] | [${majority}]`, targets: minority, heal: healLinks };
    }
    case 'partition-bridge': {
      // two sides that reach each other only through the bridge node
      const [bridge, ...rest] = rng.shuffle(names);
      const half = Math.ceil(rest.length / 2);
      const left = rest.slice(0, half);
      const right = rest.slice(half);
      await net.oneWay(left, right, mode);
      await net.oneWay(right, left, mode);
      return { detail: `${mode} [${left}] | [${right}] bridged by ${bridge}`, targets: [bridge!], heal: healLinks };
    }
    case 'isolate-leader': {
      const leader = (await ctx.leader()) ?? rng.pick(names);
      await net.partition([[leader], names.filter((n) => n !== leader)], mode);
      return { detail: `${mode} leader ${leader} from all`, targets: [leader], heal: healLinks };
    }
    case 'one-way-leader': {
      const leader = (await ctx.leader()) ?? rng.pick(names);
      const others = names.filter((n) => n !== leader);
      const outbound = rng.chance(0.5);
      if (outbound) await net.oneWay([leader], others, mode);
      else await net.oneWay(others, [leader], mode);
      return {
        detail: `${mode} ${outbound ? `${leader} -> others` : `others -> ${leader}`} (one way)`,
        targets: [leader],
        heal: healLinks,
      };
    }
    case 'slow-network': {
      const delayMs = rng.nextInt(30, 151);
      const jitterMs = rng.nextInt(0, 51);
      await net.delayAll({ delayMs, jitterMs });
      return { detail: `+${delayMs}ms ±${jitterMs}ms on every link`, targets: names, heal: healLinks };
    }
    case 'kill-one':
    case 'kill-leader': {
      const target = kind === 'kill-leader' ? ((await ctx.leader()) ?? rng.pick(names)) : rng.pick(names);
      await cluster.kill(target, 'SIGKILL');
      return {
        detail: `SIGKILL ${target}${kind === 'kill-leader' ? ' (leader)' : ''}`,
        targets: [target],
        heal: async () => cluster.restart(target),
      };
    }
    case 'kill-all': {
      await Promise.all(names.map((n) => cluster.kill(n, 'SIGKILL')));
      return {
        detail: 'SIGKILL every node',
        targets: names,
        heal: async () => {
          for (const n of names) cluster.restart(n);
        },
      };
    }
    case 'pause-node':
    case 'pause-leader': {
      const target = kind === 'pause-leader' ? ((await ctx.leader()) ?? rng.pick(names)) : rng.pick(names);
      cluster.pause(target);
      return {
        detail: `SIGSTOP ${target}${kind === 'pause-leader' ? ' (leader)' : ''}`,
        targets: [target],
        heal: async () => cluster.resume(target),
      };
    }
    case 'pause-client': {
      const fallback = rng.pick(ctx.pool.workers);
      const holder = await ctx.fencedHolder();
      const worker = holder === null ? fallback : ctx.pool.get(holder);
      worker.pause();
      return {
        detail: `SIGSTOP client worker w${worker.id}${holder === null ? '' : ' (holding a fenced lock)'}`,
        targets: [`w${worker.id}`],
        heal: async () => worker.resume(),
      };
    }
    case 'partition-client': {
      // the client keeps running but hears nothing: its SDK must give the lock up in time
      const fallback = rng.pick(ctx.pool.workers);
      const holder = await ctx.fencedHolder();
      const worker = holder === null ? fallback : ctx.pool.get(holder);
      ctx.setClientBlocked(worker.id, true);
      return {
        detail: `blackhole client worker w${worker.id} from every node${holder === null ? '' : ' (holding a fenced lock)'}`,
        targets: [`w${worker.id}`],
        heal: async () => ctx.setClientBlocked(worker.id, false),
      };
    }
    case 'slow-disk': {
      // a node's disk turns slow (the server's fsync-delay test hook): its persists, and with
      // them its votes and acknowledgements, come late; the leader's holds back the whole log
      const anyNode = rng.pick(names);
      const delayMs = rng.nextInt(50, 801);
      const leader = rng.chance(0.5) ? await ctx.leader() : null;
      const target = leader ?? anyNode;
      cluster.setDiskDelay(target, delayMs);
      return {
        detail: `every sync of ${target}${leader === null ? '' : ' (leader)'} waits ${delayMs} ms`,
        targets: [target],
        heal: async () => cluster.setDiskDelay(target, 0),
      };
    }
    case 'remove-add-member': {
      // an operator replacing a member (README "Adding, replacing and removing a member"):
      // remove it (the leader itself now and then: it hands over first), stop it, delete its
      // data; at the heal start it empty as a joiner and add it back — learner, catch up, voter
      const leader = await ctx.leader();
      const target = leader !== null && rng.chance(0.3) ? leader : rng.pick(names.filter((n) => n !== leader));
      cluster.expectExit(target);
      await ctx.members.remove(target);
      // half the time let it find out: a removed member stops itself and exits EXIT_REMOVED
      const waitsForExit = rng.chance(0.5);
      let error: string | undefined;
      if (waitsForExit) {
        const exit = await cluster.waitExit(target, REMOVED_EXIT_WAIT_MS);
        if (exit?.code !== EXIT_REMOVED) {
          // reported, and the fault goes on (stop it, put it back) so the run stays whole
          error = `removed member ${target} ${exit === null ? `still ran ${REMOVED_EXIT_WAIT_MS} ms later` : `exited with code ${exit.code} signal ${exit.signal}`}, not with ${EXIT_REMOVED}`;
        }
      }
      await cluster.kill(target, 'SIGKILL');
      cluster.wipe(target);
      return {
        detail: `remove ${target}${target === leader ? ' (leader)' : ''}${waitsForExit ? ', it exits by itself' : ', SIGKILL it'}, delete its data, add it back empty`,
        targets: [target],
        heal: async () => {
          cluster.restart(target);
          await ctx.members.add(target);
        },
        ...(error === undefined ? {} : { error }),
      };
    }
    case 'transfer-leader': {
      // no API triggers a transfer: a graceful SIGTERM hands leadership off first (DESIGN §7)
      const leader = (await ctx.leader()) ?? rng.pick(names);
      await cluster.kill(leader, 'SIGTERM');
      return {
        detail: `SIGTERM leader ${leader} (graceful: transfers leadership), then restart`,
        targets: [leader],
        heal: async () => cluster.restart(leader),
      };
    }
  }
}

/** How long a fault stays in effect before it is healed. */
export function faultDurationMs(kind: FaultKind, rng: SimRng, ttlMs: number): number {
  switch (kind) {
    case 'pause-client':
    case 'partition-client':
      // longer than the session TTL: the lock moves on while the holder sleeps (Jepsen's pause)
      // or while it runs cut off (its SDK must have given the lock up first)
      return ttlMs + rng.nextInt(500, 3_001);
    case 'kill-one':
    case 'kill-leader':
      return rng.nextInt(500, 3_001);
    case 'kill-all':
      return rng.nextInt(500, 2_001);
    case 'transfer-leader':
      return rng.nextInt(0, 1_001);
    case 'remove-add-member':
      return rng.nextInt(500, 4_001);
    case 'pause-node':
    case 'pause-leader':
      return rng.nextInt(1_500, ttlMs + 3_001);
    default:
      return rng.nextInt(2_000, ttlMs + 3_001);
  }
}
