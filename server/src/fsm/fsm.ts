/**
 * Baton's replicated coordination state machine (DESIGN §4): sessions, locks and semaphores with
 * fencing tokens, elections, and the exactly-once table. Pure and deterministic: its only input
 * is committed entries (index + bytes); time comes in as the proposer's atMs, recorded for
 * describe and never used to decide. Every node that applies the same entries reaches the same
 * state and the same snapshot bytes.
 */
import { DedupTable } from './dedup.js';
import { campaign, proclaim, resign } from './election-ops.js';
import { decodeEnvelope } from './envelope.js';
import { FsmApplyOrderError, FsmDecodeError, FsmSnapshotError } from './errors.js';
import { checkMachineInvariants } from './invariants.js';
import { acquire, cancelWait, endLockDelay, release } from './lock-ops.js';
import { type ApplyContext, invalid, type Machine, permissionDenied } from './machine.js';
import { NameTable } from './name-table.js';
import { closeSession, expireSession, openSession } from './session-ops.js';
import { decodeSnapshot, encodeSnapshotSteps, runSteps, type SnapshotSizing, snapshotItems } from './snapshot.js';
import {
  type ApplyOutput,
  type CommandResult,
  type Describe,
  type Envelope,
  type FsmStats,
  LEADER_OPS,
  type LeaderInfo,
  type PendingLockDelay,
} from './types.js';

export class CoordinationFsm {
  private m: Machine;
  private applied: number;
  /** The last snapshot's size: the next one's writer is sized from it (snapshotCapacityBytes). */
  private lastSnapshotSizing: SnapshotSizing | null = null;

  constructor() {
    this.m = { sessions: new Map(), names: new NameTable(), dedup: new DedupTable() };
    this.applied = 0;
  }

  /** The index of the last entry given to apply() (or of the snapshot restored). */
  get appliedIndex(): number {
    return this.applied;
  }

  /**
   * Applies one committed entry. Total: bytes that are not an Envelope give an INVALID_ARGUMENT
   * result and change nothing; operating errors are results. It throws only if the driver
   * breaks the contract (an index not after the last one).
   */
  apply(index: number, data: Uint8Array): ApplyOutput {
    if (!Number.isSafeInteger(index) || index <= this.applied) throw new FsmApplyOrderError(index, this.applied);
    this.applied = index;
    let env: Envelope;
    try {
      env = decodeEnvelope(data);
    } catch (err) {
      if (err instanceof FsmDecodeError) return { result: invalid(err.message), events: [] };
      throw err;
    }
    const { clientId, seq } = env;
    if (clientId !== '') {
      const verdict = this.m.dedup.check(clientId, seq);
      // a retry: the first answer again, and nothing happens twice
      if (verdict.kind === 'duplicate') return { result: verdict.result, events: [] };
      if (verdict.kind === 'stale') {
        return {
          result: invalid(`stale sequence ${seq}: client '${clientId}' is at ${verdict.highestSeq}`),
          events: [],
        };
      }
    }
    const ctx: ApplyContext = { m: this.m, index, atMs: env.atMs, actor: env.actor, events: [] };
    const result = this.execute(ctx, env);
    if (clientId !== '') this.m.dedup.record(clientId, seq, result);
    return { result, events: ctx.events };
  }

  private execute(ctx: ApplyContext, env: Envelope): CommandResult {
    const c = env.cmd;
    if (env.clientId !== '' && LEADER_OPS.includes(c.op)) return invalid(`${c.op} is proposed by the leader only`);
    const foreign = this.foreignSession(env);
    if (foreign !== null) return permissionDenied(foreign);
    switch (c.op) {
      case 'openSession':
        return openSession(ctx, c);
      case 'closeSession':
        return closeSession(ctx, c);
      case 'expireSession':
        return expireSession(ctx, c);
      case 'acquire':
        return acquire(ctx, c);
      case 'cancelWait':
        return cancelWait(ctx, c);
      case 'release':
        return release(ctx, c);
      case 'campaign':
        return campaign(ctx, c);
      case 'proclaim':
        return proclaim(ctx, c);
      case 'resign':
        return resign(ctx, c);
      case 'endLockDelay':
        return endLockDelay(ctx, c);
    }
  }

  /**
   * The id of the session `env` names when it belongs to another identity than the actor's, else
   * null. Decided here, on committed entries, so every node refuses the same commands; an admin
   * actor, an unbound session or an entry without an actor is never refused.
   */
  private foreignSession(env: Envelope): number | null {
    const actor = env.actor;
    if (actor === undefined || actor.admin || env.cmd.op === 'openSession' || !('sessionId' in env.cmd)) return null;
    const owner = this.m.sessions.get(env.cmd.sessionId)?.owner ?? null;
    return owner === null || owner === actor.identity ? null : env.cmd.sessionId;
  }

  /** The identity a session is bound to; null: unbound or not open. */
  sessionOwner(id: number): string | null {
    return this.m.sessions.get(id)?.owner ?? null;
  }

  /** The state's encoding, after `prefix` when given (a node snapshot's header, in one buffer). */
  snapshot(prefix?: Uint8Array): Uint8Array {
    return runSteps(this.snapshotSteps(prefix));
  }

  /** snapshot() in bounded steps (encodeSnapshotSteps): nothing may be applied until it returns. */
  *snapshotSteps(prefix?: Uint8Array): Generator<void, Uint8Array, void> {
    const bytes = yield* encodeSnapshotSteps(this.m, this.applied, this.lastSnapshotSizing, prefix);
    const own = bytes.byteLength - (prefix?.byteLength ?? 0);
    this.lastSnapshotSizing = { bytes: own, items: snapshotItems(this.m) };
    return bytes;
  }

  /** Loads a snapshot; throws FsmSnapshotError on bytes that are not a valid one. */
  static restore(bytes: Uint8Array): CoordinationFsm {
    const { machine, appliedIndex } = decodeSnapshot(bytes);
    const broken = checkMachineInvariants(machine, appliedIndex);
    if (broken.length > 0) throw new FsmSnapshotError(`inconsistent state: ${broken.slice(0, 5).join('; ')}`);
    const fsm = new CoordinationFsm();
    fsm.m = machine;
    fsm.applied = appliedIndex;
    fsm.lastSnapshotSizing = { bytes: bytes.byteLength, items: snapshotItems(machine) };
    return fsm;
  }

  // ------------------------------------------------------------------ reads

  describe(name: string, nowMs: number): Describe {
    const n = this.m.names.get(name);
    if (n === undefined) {
      return {
        name,
        kind: null,
        limit: 0,
        generation: 0,
        newestToken: null,
        holders: [],
        waiters: [],
        lockDelayRemainingMs: 0,
      };
    }
    let lockDelayRemainingMs = 0;
    for (const r of n.reservations) {
      lockDelayRemainingMs = Math.max(lockDelayRemainingMs, r.sinceMs + r.lockDelayMs - nowMs);
    }
    return {
      name,
      kind: n.kind,
      limit: n.limit,
      generation: n.generation,
      newestToken: n.newestToken === 0 ? null : n.newestToken,
      holders: n.holders.map((h) => ({
        sessionId: h.sessionId,
        token: h.token,
        generation: h.generation,
        sinceMs: h.sinceMs,
        metadata: h.metadata,
        value: h.value,
      })),
      waiters: n.waiters.map((w) => ({
        sessionId: w.sessionId,
        enqueuedIndex: w.enqueuedIndex,
        sinceMs: w.sinceMs,
        metadata: w.metadata,
        value: w.value,
      })),
      lockDelayRemainingMs,
    };
  }

  /** Whether `token` is a current hold of `name` (Chubby's CheckSequencer), and the newest token. */
  fenceCheck(name: string, token: number): { current: boolean; newestToken: number | null } {
    const n = this.m.names.get(name);
    if (n === undefined) return { current: false, newestToken: null };
    return {
      current: n.holders.some((h) => h.token === token),
      newestToken: n.newestToken === 0 ? null : n.newestToken,
    };
  }

  electionLeader(name: string): (LeaderInfo & { generation: number }) | null {
    const n = this.m.names.get(name);
    const h = n?.kind === 'election' ? n.holders[0] : undefined;
    if (h === undefined) return null;
    return { sessionId: h.sessionId, value: h.value ?? '', term: h.token, generation: h.generation };
  }

  /** Open sessions in id order, with their TTLs (a new leader gives each a fresh full TTL). */
  sessions(): { id: number; ttlMs: number }[] {
    return [...this.m.sessions.values()].map((s) => ({ id: s.id, ttlMs: s.ttlMs }));
  }

  hasSession(id: number): boolean {
    return this.m.sessions.has(id);
  }

  /** The names a session holds (with tokens) and waits for, by name. */
  sessionHolds(id: number): { name: string; token: number | null; waiting: boolean }[] {
    const s = this.m.sessions.get(id);
    if (s === undefined) return [];
    return [...s.names].sort().map((name) => {
      const h = this.m.names.get(name)?.holders.find((x) => x.sessionId === id);
      return h === undefined ? { name, token: null, waiting: true } : { name, token: h.token, waiting: false };
    });
  }

  /**
   * Slots held back by a lock-delay, one per expired hold: the leader proposes
   * endLockDelay({name, sinceIndex}) for each once lockDelayMs passed on its clock. A name may
   * appear more than once (a semaphore whose several holders expired).
   */
  pendingLockDelays(): PendingLockDelay[] {
    const out: PendingLockDelay[] = [];
    for (const n of this.m.names.byName.values()) {
      for (const r of n.reservations) out.push({ name: n.name, lockDelayMs: r.lockDelayMs, sinceIndex: r.sinceIndex });
    }
    return out;
  }

  stats(): FsmStats {
    let holders = 0;
    let waiters = 0;
    for (const n of this.m.names.byName.values()) {
      holders += n.holders.length;
      waiters += n.waiters.length;
    }
    return {
      sessions: this.m.sessions.size,
      names: this.m.names.size,
      holders,
      waiters,
      dedupClients: this.m.dedup.clients.size,
    };
  }

  /** For checkFsmInvariants: the state as it is, not to be changed. */
  internalState(): Readonly<Machine> {
    return this.m;
  }
}

/** The invariants of a state machine's current state (empty when all hold). */
export function checkFsmInvariants(fsm: CoordinationFsm): string[] {
  return checkMachineInvariants(fsm.internalState(), fsm.appliedIndex);
}
