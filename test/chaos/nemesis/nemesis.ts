/**
 * The nemesis loop: one fault at a time — inject, hold it for its planned time, heal, then
 * measure how long the cluster takes to serve again (agreed leader + a write round trip), read
 * every name back after crashes, rest a moment, next. Every fault goes into the run's timeline.
 *
 * The plan is either a fixed list (the short CI run: every kind once, in a seeded order) or
 * weighted random draws until a deadline (the long run). A fault's own choices (which node,
 * drop or cut, how long) come from a generator forked per fault, so the plan of fault k does not
 * depend on what happened before it.
 */
import { SimRng } from '../../sim/rng.js';
import { monotonicMs, sleep } from '../clock.js';
import type { HistoryRecord } from '../worker/protocol.js';
import { type ActiveFault, type FaultContext, type FaultKind, faultDurationMs, injectFault } from './fault-kinds.js';
import type { Probe } from './probe.js';

export interface FaultRecord {
  readonly index: number;
  readonly kind: FaultKind;
  readonly seed: number;
  readonly plannedMs: number;
  detail: string;
  targets: readonly string[];
  startMs: number;
  healMs: number | null;
  /** From heal to serving again (a write succeeded); null: never within the give-up time. */
  recoveryMs: number | null;
  /** From heal to every running node naming the same leader; null: never within the give-up time. */
  convergedMs: number | null;
  /**
   * For faults that restart nodes: from heal until the last restarted process said it started
   * (process boot + storage recovery, which a starved machine stretches); null for other faults or
   * when a node never said so. The recovery bound applies to the time after it.
   */
  bootMs: number | null;
  /**
   * Why the nemesis could not inject or heal this fault (a membership change the cluster kept
   * refusing), or null. The checks count it as a violation: a healthy cluster must take it.
   */
  error: string | null;
}

export interface NemesisOptions {
  /** Rest between a recovery and the next fault. */
  readonly quietMinMs: number;
  readonly quietMaxMs: number;
  /** Past this the run stops waiting for recovery, records it, and heals everything by force. */
  readonly giveUpMs: number;
  /** Names read back after a crash or restart. */
  readonly names: readonly string[];
  /** Kinds left out of the plan (the cluster cannot inject them), with the reason. */
  readonly leftOut: ReadonlyMap<FaultKind, string>;
  readonly log: (line: string) => void;
}

/** Faults after which the cluster's state is read back (a restart must not lose acknowledged state). */
const READ_BACK_AFTER: ReadonlySet<FaultKind> = new Set([
  'kill-one',
  'kill-leader',
  'kill-all',
  'transfer-leader',
  'remove-add-member',
]);

/** How often the long run adds a second fault on top of the first. */
const COMPOSE_CHANCE = 0.2;
/** Faults another may join (a full crash or a restart already disturbs everything). */
const COMPOSABLE_FIRST: ReadonlySet<FaultKind> = new Set([
  'partition-halves',
  'partition-bridge',
  'isolate-leader',
  'one-way-leader',
  'slow-network',
  'kill-one',
  'kill-leader',
  'pause-node',
  'pause-leader',
  'pause-client',
  'partition-client',
  'slow-disk',
]);
/** Faults that may join another. */
const COMPOSABLE_SECOND: readonly FaultKind[] = [
  'pause-client',
  'partition-client',
  'kill-one',
  'pause-node',
  'partition-halves',
  'one-way-leader',
  'slow-disk',
];
/** Faults that set peer links: two of them would overwrite each other's links. */
const MESH_FAULTS: ReadonlySet<FaultKind> = new Set([
  'partition-halves',
  'partition-bridge',
  'isolate-leader',
  'one-way-leader',
  'slow-network',
]);

/** Long-run weights: every kind often, the cheap partitions a little more. */
const LONG_RUN_WEIGHTS: Readonly<Record<FaultKind, number>> = {
  'partition-halves': 3,
  'partition-bridge': 2,
  'isolate-leader': 3,
  'one-way-leader': 2,
  'slow-network': 1,
  'kill-one': 2,
  'kill-leader': 2,
  'kill-all': 1,
  'pause-node': 2,
  'pause-leader': 2,
  'pause-client': 3,
  'partition-client': 2,
  'transfer-leader': 2,
  'slow-disk': 2,
  'remove-add-member': 2,
};

export class Nemesis {
  readonly faults: FaultRecord[] = [];

  constructor(
    private readonly ctx: FaultContext,
    private readonly probe: Probe,
    private readonly rng: SimRng,
    private readonly options: NemesisOptions,
    private readonly now: () => number,
    private readonly record: (rec: HistoryRecord) => void,
  ) {}

  /** Every kind in `kinds` once, in a seeded order (stops early at `deadlineMs`). */
  async runList(kinds: readonly FaultKind[], deadlineMs: number): Promise<void> {
    for (const kind of this.rng.shuffle(kinds)) {
      if (this.now() >= deadlineMs) return;
      if (this.options.leftOut.has(kind)) continue;
      await this.one(kind);
    }
  }

  /**
   * Weighted random faults until `deadlineMs`; now and then two at once (a client fault, a crash
   * or a pause on top of another fault), as Jepsen composes its nemeses.
   */
  async runRandom(deadlineMs: number): Promise<void> {
    const table = (Object.entries(LONG_RUN_WEIGHTS) as [FaultKind, number][]).filter(
      ([k]) => !this.options.leftOut.has(k),
    );
    const total = table.reduce((s, [, w]) => s + w, 0);
    while (this.now() < deadlineMs) {
      let x = this.rng.nextInt(0, total);
      let kind = table[0]![0];
      for (const [k, w] of table) {
        if (x < w) {
          kind = k;
          break;
        }
        x -= w;
      }
      const kinds: FaultKind[] = [kind];
      if (COMPOSABLE_FIRST.has(kind) && this.rng.chance(COMPOSE_CHANCE)) {
        const second = COMPOSABLE_SECOND.filter(
          (k) => k !== kind && !this.options.leftOut.has(k) && !(MESH_FAULTS.has(k) && MESH_FAULTS.has(kind)),
        );
        if (second.length > 0) kinds.push(this.rng.pick(second));
      }
      await this.run(kinds);
    }
  }

  private one(kind: FaultKind): Promise<void> {
    return this.run([kind]);
  }

  /** Injects `kinds` together, holds them for the longest planned time, heals them all, measures. */
  private async run(kinds: readonly FaultKind[]): Promise<void> {
    const started: { rec: FaultRecord; heal: () => Promise<void> }[] = [];
    let holdMs = 0;
    for (const kind of kinds) {
      const seed = this.rng.nextInt(0, 0x7fffffff);
      const faultRng = new SimRng(seed);
      const plannedMs = faultDurationMs(kind, faultRng, this.ctx.ttlMs);
      holdMs = Math.max(holdMs, plannedMs);
      const rec: FaultRecord = {
        index: this.faults.length + 1,
        kind,
        seed,
        plannedMs,
        detail: '',
        targets: [],
        startMs: this.now(),
        healMs: null,
        recoveryMs: null,
        convergedMs: null,
        bootMs: null,
        error: null,
      };
      this.faults.push(rec);
      let active: ActiveFault;
      try {
        active = await injectFault(kind, this.ctx, faultRng);
      } catch (err) {
        rec.error = `inject: ${errorText(err)}`;
        active = { detail: `could not inject: ${errorText(err)}`, targets: [], heal: async () => {} };
      }
      rec.detail =
        kinds.length > 1 ? `${active.detail} (together with ${kinds.filter((k) => k !== kind)})` : active.detail;
      rec.targets = active.targets;
      if (active.error !== undefined) rec.error = active.error;
      started.push({ rec, heal: active.heal });
    }
    await sleep(holdMs);
    for (const { rec, heal } of [...started].reverse()) {
      try {
        await heal();
      } catch (err) {
        rec.error = `heal: ${errorText(err)}`;
      }
    }
    const healMs = this.now();
    const healMonoMs = monotonicMs();
    const { servingMs: recoveryMs, convergedMs } = await this.probe.waitRecovered(this.options.giveUpMs);
    const bootMs = this.bootTime(
      started.map((s) => s.rec),
      healMonoMs,
    );
    for (const { rec } of started) {
      rec.healMs = healMs;
      rec.recoveryMs = recoveryMs;
      rec.convergedMs = convergedMs;
      rec.bootMs = bootMs;
    }
    if (convergedMs === null) {
      // stuck: heal everything by force so the run can go on (the check reports it)
      await this.ctx.cluster.healAll();
      this.ctx.pool.resumeAll();
      for (const w of this.ctx.pool.workers) this.ctx.setClientBlocked(w.id, false);
      await this.probe.waitServing(this.options.giveUpMs);
    }
    for (const { rec } of started) {
      this.options.log(
        `${(rec.startMs / 1000).toFixed(1)}s fault #${rec.index} ${rec.kind}: ${rec.detail}, ${rec.plannedMs} ms; after the heal ${bootMs === null ? '' : `nodes booted in ${ms(bootMs)}, `}serving again in ${ms(recoveryMs)}, all nodes agree on the leader in ${ms(convergedMs)}${rec.error === null ? '' : `; FAILED (${rec.error})`}`,
      );
    }
    if (kinds.some((k) => READ_BACK_AFTER.has(k))) await this.probe.readAll(this.options.names, 'probe', this.record);
    await sleep(this.rng.nextInt(this.options.quietMinMs, this.options.quietMaxMs + 1));
  }

  /** Heal → the last node this fault restarted said it started; null if it restarted none (or one never did). */
  private bootTime(recs: readonly FaultRecord[], healMonoMs: number): number | null {
    const restarted = recs.filter((r) => READ_BACK_AFTER.has(r.kind)).flatMap((r) => r.targets);
    if (restarted.length === 0) return null;
    let lastMs = healMonoMs;
    for (const name of restarted) {
      const at = this.ctx.cluster.bootedAtMs(name);
      if (at === null) return null;
      lastMs = Math.max(lastMs, at);
    }
    return lastMs - healMonoMs;
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) return 'code' in err ? `${String(err.code)}: ${err.message}` : err.message;
  return String(err);
}

function ms(v: number | null): string {
  return v === null ? 'NEVER' : `${Math.round(v)} ms`;
}
