/**
 * The one impure driver of the Raft core (DESIGN §3): a serial loop that turns time, peer
 * messages and proposals into Readys and handles each one in order —
 *
 *   send rd.messages  ‖  persist entries + hard state (fsync)   (thesis §10.2.1: the leader's own
 *                                                                 fsync overlaps replication)
 *   apply the committed entries that were durable before this Ready, serve reads
 *   … the fsync returns …
 *   send rd.messagesAfterPersist (votes, acks: only once durable)
 *   apply the rest of the committed entries → resolve proposals → serve reads → advance()
 *
 * Only one Ready is in flight; entries and hard state that arrive during an fsync land in the
 * next Ready, so one fsync covers all of them (group commit). What need not wait for the fsync
 * does not (RawNode.takeEarly): at the end of every turn in which messages, proposals or ticks
 * arrived, the appends and heartbeats they caused are sent (a commit index rides on them,
 * raft/README.md), and entries their
 * acks committed are applied if they were durable here already. So a busy leader replicates and
 * answers at the pace of its followers' acks, not one fsync behind them.
 *
 * Ticks follow the monotonic clock and are caught up before any message is stepped or any lease
 * is consulted (raft/README.md: a paused process must not answer from a lease that ran out). The
 * tick timer itself sleeps until something is due (armTimer): every tick on a leader, about once
 * per election timeout on a follower that hears its leader.
 */

import type { Rng } from '../raft/config.js';
import type { MemberProgress } from '../raft/rawnode.js';
import { RawNode } from '../raft/rawnode.js';
import { invariant } from '../raft/storage.js';
import type { ConfChange, ConfState, Entry, Message, NodeId, ProposalRefusal, SoftState } from '../raft/types.js';
import { NONE } from '../raft/types.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { NodeStorage } from './node-storage.js';

/** The replicated state machine as the loop sees it. */
export interface StateMachine<Out> {
  /** Applies a committed normal entry with data; must be deterministic and must not throw. */
  apply(entry: Entry): Out;
  snapshot(): Uint8Array;
  /**
   * snapshot() in bounded steps: each next() does a share, the last returns the bytes. The loop
   * applies nothing until it returned and runs its other work between steps. Optional: without
   * it, snapshot() runs in one go.
   */
  snapshotSteps?(): Generator<void, Uint8Array, void>;
  restore(data: Uint8Array, index: number): void;
  /** Sees every committed membership change, in log order (the member directory lives here). */
  applyConfChange?(entry: Entry): void;
}

/** The peer transport as the loop sees it (transport/ implements it). */
export interface RaftTransport {
  send(messages: readonly Message[]): void;
  onReceive(handler: (messages: Message[]) => void): void;
  onUnreachable(handler: (peer: NodeId) => void): void;
  /** Whether a snapshot message reached the peer's socket; without it, a send counts as success. */
  onSnapshotStatus?(handler: (peer: NodeId, ok: boolean) => void): void;
  /** Writes what send() queued now rather than at the end of the turn (when it batches). */
  flushNow?(): void;
}

export interface RaftNodeOptions<Out> {
  readonly id: NodeId;
  readonly storage: NodeStorage;
  readonly transport: RaftTransport;
  readonly stateMachine: StateMachine<Out>;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly logger: Logger;
  /** Milliseconds per Raft tick. */
  readonly tickMs: number;
  readonly electionTimeoutTicks: number;
  /** Width of the election timeout's randomization, in ticks (default: electionTimeoutTicks). */
  readonly electionJitterTicks?: number;
  readonly heartbeatTicks: number;
  /** Take a state machine snapshot after this many applied entries. */
  readonly snapshotEveryEntries: number;
  /** A linearizable read not confirmed within this time fails with UNAVAILABLE. */
  readonly readTimeoutMs: number;
  /** Applying yields to the event loop after this many milliseconds (default APPLY_SLICE_MS). */
  readonly applySliceMs?: number;
}

/**
 * A leader snapshots this many times less often than a follower. Encoding the state machine takes
 * 60-190 ms at 100,000 held locks (several times that on a starved machine); it runs in steps
 * between the loop's other work (heartbeats keep going), but nothing is applied meanwhile, so on
 * the leader every client waits for it. Its log grows this many times longer between compactions
 * instead; the followers keep compacting at the usual pace.
 */
export const LEADER_SNAPSHOT_SPACING = 4;

/**
 * Applying committed entries yields to the event loop after this long, and goes on in the next
 * turn. Most entries take microseconds, but some take milliseconds (a session closing releases
 * every lock it held), and a Ready can carry hundreds: one closing burst of 100 sessions holding
 * 1,000 locks each applied in one 336 ms stretch, long enough for the followers' 350 ms election
 * timeout to run out while the heartbeats sat unsent (issue 8, workload 7). Between slices the
 * timers run, heartbeats and appends go out (takeEarly) and acks come in; clients see their
 * answers in the same order as before.
 */
export const APPLY_SLICE_MS = 10;

/** Committed entries waiting to be applied beyond which the loop waits for the state machine. */
export const APPLY_BACKLOG_MAX = 10_000;

/**
 * The longest the tick timer sleeps, in ticks: the tick listeners (the removal watcher) run at
 * least this often on a node with nothing due. A follower hearing its leader needs no tick before
 * its election timeout (Raft.ticksUntilDue), and an idle follower woke 80 times a second for its
 * ticks alone when it ticked at twice the tick rate (issue 8, workload 6: idle CPU).
 */
export const MAX_SLEEP_TICKS = 20;

/** A snapshot being encoded: the state at `index`, the configuration as of it. */
interface SnapshotJob {
  readonly index: number;
  readonly confState: ConfState;
  readonly steps: Generator<void, Uint8Array, void>;
  readonly startedMs: number;
}

/** A state machine without snapshotSteps() encodes in one step. */
// biome-ignore lint/correctness/useYield: the one step is the whole encoding
function* oneStep(encode: () => Uint8Array): Generator<void, Uint8Array, void> {
  return encode();
}

export class NodeError extends Error {
  constructor(
    readonly code: 'NOT_LEADER' | 'UNAVAILABLE' | 'STOPPED',
    message: string,
    readonly leaderId: NodeId = NONE,
  ) {
    super(message);
  }
}

interface ProposalWaiter<Out> {
  readonly term: number;
  readonly resolve: (out: Out) => void;
  readonly reject: (err: Error) => void;
}

interface ReadWaiter {
  index: number | null;
  readonly deadlineMs: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export interface AppliedEvent<Out> {
  readonly entry: Entry;
  /** The state machine's output; null for no-op and configuration entries. */
  readonly output: Out | null;
}

const OVERWRITTEN = 'the proposal was overwritten by a new leader; retry';
const OVERWRITTEN_CONF = 'the membership change was overwritten by a new leader; retry';

const REFUSAL_TEXT: Record<ProposalRefusal, string> = {
  notLeader: 'this node is not the leader',
  transferInProgress: 'leadership is being transferred',
  confChangePending: 'a membership change is still pending',
  leaderNotYetCommittedInTerm: 'the leader has not committed an entry of its term yet',
  invalidConfChange: 'invalid membership change',
  uncommittedLimit: 'too many uncommitted entries; retry shortly',
};

export class RaftNode<Out> {
  private readonly raw: RawNode;
  private readonly startMs: number;
  private ticksDelivered = 0;
  private started = false;
  private tickTimer: ReturnType<typeof setTimeout> | null = null;
  /** When the armed tick timer fires (monotonic ms). */
  private tickTimerDueMs = Number.POSITIVE_INFINITY;
  private loopRunning = false;
  private loopScheduled = false;
  /** Conf changes applied here, answered once the core applied them too (answerConfChanges). */
  private confChangesApplied: number[] = [];
  /** Between raw.ready() and raw.advance(): takeEarly() may run. */
  private readyInFlight = false;
  private earlyScheduled = false;
  private stopped = false;
  private fatal: Error | null = null;
  private appliedIndex: number;
  private snapshotIndex: number;
  private softState: SoftState = { lead: NONE, role: 'follower' };
  private readonly proposals = new Map<number, ProposalWaiter<Out>>();
  /** Membership changes waiting to be applied here (they have no state machine output). */
  private readonly confChanges = new Map<number, ProposalWaiter<void>>();
  private readonly reads = new Map<string, ReadWaiter>();
  private readSeq = 0;
  private readonly appliedListeners: ((e: AppliedEvent<Out>) => void)[] = [];
  private readonly leaderListeners: ((s: SoftState, prev: SoftState) => void)[] = [];
  private readonly fatalListeners: ((err: Error) => void)[] = [];
  private readonly tickListeners: (() => void)[] = [];
  private snapshotStatusReported = false;
  /** The snapshot being written in the background, if any (maybeSnapshot). */
  private snapshotting: Promise<void> | null = null;
  /**
   * Committed entries handed out by the core and not applied yet, in log order, and a snapshot
   * being encoded between them (drainApplies).
   */
  private applyQueue: (Entry | SnapshotJob)[] = [];
  /** The snapshot whose encoding is queued or under way, if any. */
  private snapshotJob: SnapshotJob | null = null;
  private applyHead = 0;
  /** The drain that yielded to the event loop and is not done, if any. */
  private applying: Promise<void> | null = null;
  private drainYielded = false;

  constructor(private readonly opts: RaftNodeOptions<Out>) {
    const snap = opts.storage.snapshot();
    if (snap.metadata.index > 0) opts.stateMachine.restore(snap.data, snap.metadata.index);
    this.appliedIndex = snap.metadata.index;
    this.snapshotIndex = snap.metadata.index;
    this.raw = new RawNode({
      id: opts.id,
      storage: opts.storage,
      rng: opts.rng,
      electionTimeoutTicks: opts.electionTimeoutTicks,
      electionJitterTicks: opts.electionJitterTicks,
      heartbeatTicks: opts.heartbeatTicks,
      applied: snap.metadata.index,
    });
    this.startMs = opts.clock.monotonicMs();
    opts.transport.onReceive((msgs) => this.receive(msgs));
    if (opts.transport.onSnapshotStatus !== undefined) {
      this.snapshotStatusReported = true;
      opts.transport.onSnapshotStatus((peer, ok) => {
        if (this.stopped) return;
        this.raw.reportSnapshot(peer, ok);
        this.schedule();
      });
    }
    opts.transport.onUnreachable((peer) => {
      if (this.stopped) return;
      this.raw.reportUnreachable(peer);
      this.schedule();
    });
  }

  get id(): NodeId {
    return this.opts.id;
  }

  start(): void {
    this.started = true;
    this.armTimer();
    this.schedule();
  }

  /** Stops the loop; pending proposals and reads fail with STOPPED. Does not close storage. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.clearTimer();
    const err = new NodeError('STOPPED', 'the node is stopping');
    this.failAll(err);
    // let a Ready in flight finish its fsync so storage can close cleanly
    for (let i = 0; i < 1000 && this.loopRunning; i++) await new Promise((r) => setTimeout(r, 5));
    // and a snapshot being written (its errors were handled where it was started)
    await this.snapshotting;
  }

  onApplied(listener: (e: AppliedEvent<Out>) => void): void {
    this.appliedListeners.push(listener);
  }

  /**
   * Called after the role or known leader changed, before the Ready's entries are applied; entries
   * of earlier Readys may still be queued for applying too (drainApplies).
   */
  onLeaderChange(listener: (now: SoftState, prev: SoftState) => void): void {
    this.leaderListeners.push(listener);
  }

  /** Called once if storage fails: the process must stop and recover from disk (fsyncgate). */
  onFatal(listener: (err: Error) => void): void {
    this.fatalListeners.push(listener);
  }

  /**
   * Called at every wake-up of the tick timer — every tick on a leader and while a read waits; on
   * a follower about once per election timeout, at least every MAX_SLEEP_TICKS — and after a
   * Ready that carried a configuration change or a snapshot (session deadlines, lock-delay timers
   * and the removal watcher run here).
   */
  onTick(listener: () => void): void {
    this.tickListeners.push(listener);
  }

  get isLeader(): boolean {
    return this.softState.role === 'leader';
  }

  get leaderId(): NodeId {
    return this.softState.lead;
  }

  get applied(): number {
    return this.appliedIndex;
  }

  /** Milliseconds left on the leader lease, after catching up ticks; 0 when not valid. */
  leaseRemainingMs(): number {
    this.catchUpTicks();
    const st = this.raw.status();
    if (!st.leaseValid) return 0;
    // the lease is counted in whole ticks; the current tick is already partly spent
    const intoTickMs = (this.opts.clock.monotonicMs() - this.startMs) % this.opts.tickMs;
    return Math.max(0, st.leaseRemainingTicks * this.opts.tickMs - intoTickMs);
  }

  status(): ReturnType<RawNode['status']> & { appliedIndex: number } {
    return { ...this.raw.status(), appliedIndex: this.appliedIndex };
  }

  /** Proposes `data`; resolves with the state machine's output once the entry is applied here. */
  propose(data: Uint8Array): Promise<Out> {
    if (this.fatal !== null || this.stopped) {
      return Promise.reject(new NodeError('UNAVAILABLE', 'the node is stopping'));
    }
    this.catchUpTicks();
    const r = this.raw.propose(data);
    if (!r.ok) {
      const code = r.reason === 'notLeader' ? 'NOT_LEADER' : 'UNAVAILABLE';
      return Promise.reject(new NodeError(code, REFUSAL_TEXT[r.reason], this.softState.lead));
    }
    this.schedule();
    return new Promise<Out>((resolve, reject) => {
      // a waiter of an older term at this index lost its entry when the log was cut back
      this.proposals.get(r.index)?.reject(new NodeError('UNAVAILABLE', OVERWRITTEN));
      this.proposals.set(r.index, { term: r.term, resolve, reject });
    });
  }

  /**
   * Proposes a membership change (one at a time, leader only); resolves once it is applied here,
   * that is once it took effect on this node. Refusals are NodeErrors, as for propose().
   */
  proposeConfChange(cc: ConfChange): Promise<void> {
    if (this.fatal !== null || this.stopped) {
      return Promise.reject(new NodeError('UNAVAILABLE', 'the node is stopping'));
    }
    this.catchUpTicks();
    const r = this.raw.proposeConfChange(cc);
    if (!r.ok) {
      const code = r.reason === 'notLeader' ? 'NOT_LEADER' : 'UNAVAILABLE';
      return Promise.reject(new NodeError(code, REFUSAL_TEXT[r.reason], this.softState.lead));
    }
    this.schedule();
    return new Promise<void>((resolve, reject) => {
      this.confChanges.get(r.index)?.reject(new NodeError('UNAVAILABLE', OVERWRITTEN_CONF));
      this.confChanges.set(r.index, { term: r.term, resolve, reject });
    });
  }

  /** The leader's view of every member's replication (empty on other nodes). */
  progress(): MemberProgress[] {
    this.catchUpTicks();
    return this.raw.progress();
  }

  /** The term of the entry at `index` (0 if it is no longer in the log or the snapshot). */
  termAt(index: number): number {
    return this.raw.raft.log.term(index);
  }

  /** Resolves once a linearizable read may be served from this node's state (ReadIndex, §6.4). */
  linearizableRead(): Promise<void> {
    if (this.fatal !== null || this.stopped) {
      return Promise.reject(new NodeError('UNAVAILABLE', 'the node is stopping'));
    }
    this.catchUpTicks();
    const ctx = `r${this.opts.id}-${++this.readSeq}`;
    return new Promise<void>((resolve, reject) => {
      this.reads.set(ctx, {
        index: null,
        deadlineMs: this.opts.clock.monotonicMs() + this.opts.readTimeoutMs,
        resolve,
        reject,
      });
      this.raw.readIndex(ctx);
      this.schedule();
    });
  }

  transferLeadership(to: NodeId): void {
    this.catchUpTicks();
    this.raw.transferLeadership(to);
    this.schedule();
  }

  private onTimer(): void {
    this.tickTimer = null;
    this.tickTimerDueMs = Number.POSITIVE_INFINITY;
    if (this.stopped) return;
    this.catchUpTicks();
    this.expireReads();
    this.runTickListeners();
    this.schedule();
    this.armTimer();
  }

  private runTickListeners(): void {
    for (const l of this.tickListeners) l();
  }

  /**
   * Arms the tick timer for the next tick boundary at which something is due: every tick on a
   * leader (heartbeats, CheckQuorum, session deadlines) and while a read waits for its deadline,
   * else when the core's election timeout would run out, and at most MAX_SLEEP_TICKS away. Called
   * whenever the state may have changed (schedule()); an armed timer due earlier is kept — it
   * fires, finds less due, and sleeps again. Ticks never depend on it for correctness: every
   * message, proposal, read and lease check catches them up from the monotonic clock first.
   */
  private armTimer(): void {
    if (this.stopped || !this.started) return;
    const ticks = this.reads.size > 0 ? 1 : Math.min(this.raw.ticksUntilDue(), MAX_SLEEP_TICKS);
    // tick k is due at startMs + k·tickMs; the core has seen ticksDelivered of them (when that
    // lags behind the clock, the due time has passed and the timer fires at once to catch up)
    const dueMs = this.startMs + (this.ticksDelivered + ticks) * this.opts.tickMs;
    if (this.tickTimer !== null && this.tickTimerDueMs <= dueMs) return;
    if (this.tickTimer !== null) clearTimeout(this.tickTimer);
    const now = this.opts.clock.monotonicMs();
    this.tickTimerDueMs = dueMs;
    // +1: timers may run up to a millisecond before the monotonic clock reaches their due time
    this.tickTimer = setTimeout(() => this.onTimer(), Math.max(0, dueMs - now) + 1);
    this.tickTimer.unref?.();
  }

  private clearTimer(): void {
    if (this.tickTimer !== null) clearTimeout(this.tickTimer);
    this.tickTimer = null;
    this.tickTimerDueMs = Number.POSITIVE_INFINITY;
  }

  /** Delivers every tick the monotonic clock says has elapsed. Never skips one (lease safety). */
  private catchUpTicks(): void {
    if (this.stopped) return;
    const due = Math.floor((this.opts.clock.monotonicMs() - this.startMs) / this.opts.tickMs);
    let delivered = false;
    while (this.ticksDelivered < due) {
      this.raw.tick();
      this.ticksDelivered++;
      delivered = true;
    }
    if (delivered) this.schedule();
  }

  private receive(msgs: Message[]): void {
    if (this.stopped) return;
    this.catchUpTicks();
    for (const m of msgs) this.raw.step(m);
    this.schedule();
  }

  private schedule(): void {
    this.armTimer();
    if (this.readyInFlight) this.scheduleEarly();
    if (this.loopRunning || this.loopScheduled || this.stopped) return;
    this.loopScheduled = true;
    // run after the current turn so messages and proposals arriving together share one Ready
    setImmediate(() => {
      this.loopScheduled = false;
      void this.runLoop();
    });
  }

  private async runLoop(): Promise<void> {
    if (this.loopRunning || this.stopped || this.fatal !== null) return;
    this.loopRunning = true;
    try {
      for (let guard = 0; guard < 10_000 && !this.stopped && this.raw.hasReady(); guard++) {
        // bounded memory: a state machine slower than the log for long holds the loop back
        if (this.applyQueue.length - this.applyHead > APPLY_BACKLOG_MAX)
          await this.applyBacklogBelow(APPLY_BACKLOG_MAX / 2);
        if (this.stopped) break;
        await this.handleReady();
      }
    } catch (err) {
      this.die(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.loopRunning = false;
    }
    if (!this.stopped && this.fatal === null && this.raw.hasReady()) this.schedule();
  }

  /** At the end of this turn, send and apply what the Ready in flight need not wait for. */
  private scheduleEarly(): void {
    if (this.earlyScheduled) return;
    this.earlyScheduled = true;
    setImmediate(() => {
      this.earlyScheduled = false;
      if (!this.readyInFlight || this.stopped || this.fatal !== null) return;
      const early = this.raw.takeEarly();
      this.send(early.messages);
      if (early.committedEntries.length > 0) void this.apply(early.committedEntries);
    });
  }

  private async handleReady(): Promise<void> {
    const rd = this.raw.ready();
    this.readyInFlight = true;
    try {
      await this.handleReadyInFlight(rd);
    } finally {
      this.readyInFlight = false;
    }
    if (this.stopped) return;
    // the Ready's committed entries may still be applying (drainApplies): the core counts them
    // as handed out, and the next Ready's queue up behind them
    this.raw.advance();
    // advance() may change what is due: the node's own vote can make it leader, a configuration
    // can make it a voter (the bootstrap one on a fresh start)
    this.armTimer();
    // a new configuration took effect: the tick listeners see it now rather than at the next
    // wake-up, which may be a sleep away (the removal watcher must see this node in a
    // configuration before it sees one without it)
    if (rd.snapshot !== null || rd.committedEntries.some((e) => e.type === 'confChange')) this.runTickListeners();
    this.answerConfChanges();
    this.maybeSnapshot();
  }

  private async handleReadyInFlight(rd: ReturnType<RawNode['ready']>): Promise<void> {
    if (rd.softState !== null) {
      const prev = this.softState;
      this.softState = rd.softState;
      if (prev.lead !== rd.softState.lead || prev.role !== rd.softState.role) {
        this.opts.logger.info(
          { role: rd.softState.role, leader: rd.softState.lead, term: rd.hardState?.term },
          'raft role changed',
        );
        for (const l of this.leaderListeners) l(rd.softState, prev);
      }
    }
    this.send(rd.messages);
    // the appends leave before this node's own fsync starts: the quorum's fsyncs overlap more
    this.opts.transport.flushNow?.();
    // A hard state whose only change is the commit index needs no fsync (rd.mustSync is false:
    // the commit index is volatile, Raft figure 2), so it is not written on its own at all — it
    // goes to disk with the next entries or term change. A restart may then start from a lower
    // commit index, which the core accepts and raises from the leader. Writing it would put a
    // follower in an fsync at every heartbeat, and the appends arriving meanwhile would wait.
    const persisting =
      rd.entries.length > 0 || rd.snapshot !== null || (rd.hardState !== null && rd.mustSync)
        ? this.opts.storage.persist({ entries: rd.entries, hardState: rd.hardState, snapshot: rd.snapshot })
        : null;
    for (const rs of rd.readStates) {
      const w = this.reads.get(rs.ctx);
      if (w !== undefined) w.index = rs.index;
    }
    let appliedEarly = 0;
    if (persisting !== null) {
      // committed entries that were durable before this Ready need not wait for its fsync. All
      // of them: takeEarly() may hand out the entries after this Ready's during the fsync, which
      // must not be applied before these. (A conf change among them is answered after advance().)
      if (rd.snapshot === null) {
        const firstNew = rd.entries[0]?.index ?? Number.POSITIVE_INFINITY;
        const durable = rd.committedEntries.filter((e) => e.index < firstNew);
        if (durable.length > 0) void this.apply(durable);
        appliedEarly = durable.length; // a prefix: the entries are in log order
      }
      await persisting;
    }
    if (this.stopped) return;
    this.send(rd.messagesAfterPersist);
    if (rd.snapshot !== null && rd.snapshot.metadata.index > this.appliedIndex) {
      // earlier Readys' entries first (a Ready with a snapshot hands out none before it)
      if (this.applying !== null) await this.applying;
      if (this.stopped) return;
      invariant(this.applyHead === this.applyQueue.length, 'entries queued for apply under a snapshot');
      this.opts.stateMachine.restore(rd.snapshot.data, rd.snapshot.metadata.index);
      this.appliedIndex = rd.snapshot.metadata.index;
      this.snapshotIndex = rd.snapshot.metadata.index;
      // proposals behind the snapshot were decided elsewhere; their outcome is unknown here
      this.rejectProposalsUpTo(this.appliedIndex);
    }
    // the rest, behind any takeEarly() queued meanwhile. Not awaited: a long drain (it yields
    // every APPLY_SLICE_MS) must not hold back the next Ready, which carries the heartbeat
    // answers and acks that keep this node's leader in office
    void this.apply(appliedEarly === 0 ? rd.committedEntries : rd.committedEntries.slice(appliedEarly));
  }

  private send(msgs: readonly Message[]): void {
    if (msgs.length === 0) return;
    const out: Message[] = [];
    for (const m of msgs) {
      if (m.to === this.opts.id) continue; // own vote/ack: advance() handles it
      out.push(m);
    }
    if (out.length > 0) this.opts.transport.send(out);
    if (this.snapshotStatusReported) return;
    for (const m of out) {
      // the transport reports a peer it cannot reach; a snapshot it accepted for sending counts
      // as delivered, and the follower's answer (or its silence) drives what happens next
      if (m.type === 'snap') this.raw.reportSnapshot(m.to, true);
    }
  }

  /**
   * Queues committed entries behind those already queued and resolves once the queue is empty
   * (everything queued so far applied, reads served). Applying yields to the event loop every
   * APPLY_SLICE_MS; with an injected clock that does not move while entries apply (tests), it
   * never yields.
   */
  private apply(entries: readonly (Entry | SnapshotJob)[]): Promise<void> {
    for (const e of entries) this.applyQueue.push(e);
    if (this.applying !== null) return this.applying; // the running drain takes them along
    const drained = this.drainApplies();
    // most drains finish before returning (nothing made them yield) and must not be kept
    if (this.drainYielded) this.applying = drained;
    return drained;
  }

  /**
   * Waits, a slice at a time, until at most `items` are queued: the node is silent meanwhile (no
   * Ready), so not a moment longer than needed to get back under the limit.
   */
  private async applyBacklogBelow(items: number): Promise<void> {
    for (let i = 0; i < 1_000_000 && !this.stopped && this.applying !== null; i++) {
      if (this.applyQueue.length - this.applyHead <= items) return;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Applies the queue until it is empty; entries queued meanwhile are taken along. */
  private async drainApplies(): Promise<void> {
    const clock = this.opts.clock;
    const sliceMs = this.opts.applySliceMs ?? APPLY_SLICE_MS;
    this.drainYielded = false;
    try {
      let sliceStart = clock.monotonicMs();
      while (this.applyHead < this.applyQueue.length && !this.stopped) {
        const item = this.applyQueue[this.applyHead++] as Entry | SnapshotJob;
        if (!('steps' in item)) this.applyOne(item);
        else {
          const step = item.steps.next();
          if (step.done === true) this.writeSnapshot(item, step.value);
          else this.applyHead--; // more steps; the state stays as it is until the last
        }
        if (this.applyHead < this.applyQueue.length && clock.monotonicMs() - sliceStart >= sliceMs) {
          this.serveReads();
          this.drainYielded = true;
          if (this.applyHead >= 4096) {
            // a drain fed without a pause would keep every applied entry referenced
            this.applyQueue = this.applyQueue.slice(this.applyHead);
            this.applyHead = 0;
          }
          // the ticks that passed meanwhile: a leader's heartbeats leave with the next early send
          this.catchUpTicks();
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (this.stopped) break;
          sliceStart = clock.monotonicMs();
        }
      }
      if (this.applyHead === this.applyQueue.length) {
        this.applyQueue = [];
        this.applyHead = 0;
      }
      this.serveReads();
      this.answerConfChanges();
    } catch (err) {
      this.die(err instanceof Error ? err : new Error(String(err)), 'applying to the state machine failed');
    } finally {
      // synchronously with the loop's last check: a later apply() starts a new drain
      this.applying = null;
      this.drainYielded = false;
    }
  }

  private applyOne(entry: Entry): void {
    if (entry.index <= this.appliedIndex) return;
    let output: Out | null = null;
    if (entry.type === 'normal' && entry.data.byteLength > 0) output = this.opts.stateMachine.apply(entry);
    if (entry.type === 'confChange') this.opts.stateMachine.applyConfChange?.(entry);
    this.appliedIndex = entry.index;
    const cw = this.confChanges.get(entry.index);
    if (cw !== undefined) {
      // the core applies a conf change in advance(): answer "took effect" only after it
      // (handleReady), or a caller reading the configuration at once would not see it
      if (cw.term === entry.term && entry.type === 'confChange') {
        this.confChangesApplied.push(entry.index);
        this.answerConfChanges();
      } else {
        this.confChanges.delete(entry.index);
        cw.reject(new NodeError('UNAVAILABLE', OVERWRITTEN_CONF));
      }
    }
    const w = this.proposals.get(entry.index);
    if (w !== undefined) {
      this.proposals.delete(entry.index);
      if (w.term === entry.term && output !== null) w.resolve(output);
      else w.reject(new NodeError('UNAVAILABLE', OVERWRITTEN));
    }
    for (const l of this.appliedListeners) l({ entry, output });
  }

  /**
   * Answers "took effect" for conf changes applied here whose Ready the core has advanced past
   * (it applies a conf change in advance()): only then does a caller reading the configuration
   * see it. Entries may apply before that (durable ones during the fsync) or after (a drain
   * that yielded).
   */
  private answerConfChanges(): void {
    if (this.confChangesApplied.length === 0) return;
    const coreApplied = this.raw.raft.log.applied;
    const pending: number[] = [];
    for (const index of this.confChangesApplied) {
      if (index > coreApplied) {
        pending.push(index);
        continue;
      }
      const cw = this.confChanges.get(index);
      this.confChanges.delete(index);
      cw?.resolve();
    }
    this.confChangesApplied = pending;
  }

  private rejectProposalsUpTo(index: number): void {
    for (const [i, w] of this.confChanges) {
      if (i <= index) {
        this.confChanges.delete(i);
        w.reject(new NodeError('UNAVAILABLE', 'outcome unknown (state replaced by a snapshot); retry'));
      }
    }
    for (const [i, w] of this.proposals) {
      if (i <= index) {
        this.proposals.delete(i);
        w.reject(new NodeError('UNAVAILABLE', 'outcome unknown (state replaced by a snapshot); retry'));
      }
    }
  }

  private serveReads(): void {
    for (const [ctx, w] of this.reads) {
      if (w.index !== null && w.index <= this.appliedIndex) {
        this.reads.delete(ctx);
        w.resolve();
      }
    }
  }

  private expireReads(): void {
    const now = this.opts.clock.monotonicMs();
    for (const [ctx, w] of this.reads) {
      if (now >= w.deadlineMs) {
        this.reads.delete(ctx);
        w.reject(new NodeError('UNAVAILABLE', 'could not confirm leadership for a read in time', this.leaderId));
      }
    }
  }

  /**
   * Where in each stretch of `everyEntries` this node snapshots: its rank among the voters times
   * an even share. Followers apply the same commits at the same moment, so with one threshold
   * they all serialized their state together, and two followers of three paused at once cost the
   * leader its quorum (the lease, then CheckQuorum) for as long; hashicorp/raft jitters its
   * snapshot interval for the same reason.
   */
  private snapshotPhase(everyEntries: number): number {
    const voters = [...this.raw.status().confState.voters].sort((a, b) => a - b);
    const rank = voters.indexOf(this.opts.id);
    return rank <= 0 ? 0 : Math.floor((rank * everyEntries) / voters.length);
  }

  /**
   * Takes a state machine snapshot once enough entries were applied since the last one. The
   * state machine is encoded at the applied index (a consistent cut: the job goes through the
   * apply queue, in steps of APPLY_SLICE_MS, and nothing is applied until it is done); writing,
   * fsyncing and compacting run in the background while the loop goes on
   * serving, as etcd and hashicorp/raft do: a loop that waited for the snapshot's disk work sent
   * no heartbeats meanwhile, so on a busy disk the followers' election timeouts ran out and
   * clients saw UNAVAILABLE (issue 8, workload 6 at the 10,000th entry). One snapshot at a time.
   */
  private maybeSnapshot(): void {
    // a consistent cut needs the core's configuration to match the applied index: nothing queued
    if (this.snapshotting !== null || this.snapshotJob !== null || this.applying !== null) return;
    const everyEntries = this.opts.snapshotEveryEntries * (this.isLeader ? LEADER_SNAPSHOT_SPACING : 1);
    // the cheap half of snapshotDue first: the phase reads the configuration, and this runs per Ready
    if (this.appliedIndex - this.snapshotIndex < Math.floor(everyEntries / 2)) return;
    if (!snapshotDue(this.appliedIndex, this.snapshotIndex, everyEntries, this.snapshotPhase(everyEntries))) return;
    const sm = this.opts.stateMachine;
    const job: SnapshotJob = {
      index: this.appliedIndex,
      confState: this.raw.status().confState,
      steps: sm.snapshotSteps?.() ?? oneStep(() => sm.snapshot()),
      startedMs: this.opts.clock.monotonicMs(),
    };
    this.snapshotJob = job;
    // encoded by the apply queue, in slices like entries: nothing is applied until it is done
    void this.apply([job]);
  }

  /** The state machine's bytes at job.index are ready: write them in the background. */
  private writeSnapshot(job: SnapshotJob, data: Uint8Array): void {
    this.snapshotJob = null;
    const { index, confState, startedMs } = job;
    const serializedMs = this.opts.clock.monotonicMs() - startedMs;
    this.snapshotting = this.opts.storage
      .createSnapshot(index, confState, data)
      .then(
        () => {
          this.snapshotIndex = Math.max(this.snapshotIndex, index);
          this.opts.logger.info(
            {
              index,
              bytes: data.byteLength,
              serializeMs: serializedMs,
              totalMs: this.opts.clock.monotonicMs() - startedMs,
            },
            'snapshot taken',
          );
        },
        (err: unknown) => {
          // a node that is stopping may see its storage close under the snapshot: not a failure
          if (!this.stopped) this.die(err instanceof Error ? err : new Error(String(err)));
        },
      )
      .finally(() => {
        this.snapshotting = null;
      });
  }

  private failAll(err: Error): void {
    for (const w of this.proposals.values()) w.reject(err);
    this.proposals.clear();
    for (const w of this.confChanges.values()) w.reject(err);
    this.confChanges.clear();
    for (const w of this.reads.values()) w.reject(err);
    this.reads.clear();
  }

  private die(err: Error, what = 'storage failed'): void {
    if (this.fatal !== null) return;
    this.fatal = err;
    this.opts.logger.error({ err }, `${what}: the node stops acknowledging and must restart from disk`);
    this.clearTimer();
    this.stopped = true;
    this.failAll(new NodeError('UNAVAILABLE', 'the node hit a storage error and is stopping'));
    for (const l of this.fatalListeners) l(err);
  }
}

/**
 * Whether a node that last snapshotted at `snapshotIndex` and applied up to `appliedIndex` takes
 * a snapshot now: once the applied index crosses the node's next point (`k × everyEntries −
 * phase`), and never less than half a stretch after the last one (after a restart or a role
 * change the last one may sit just before a point).
 */
export function snapshotDue(appliedIndex: number, snapshotIndex: number, everyEntries: number, phase: number): boolean {
  if (appliedIndex - snapshotIndex < Math.max(1, Math.floor(everyEntries / 2))) return false;
  return Math.floor((appliedIndex + phase) / everyEntries) > Math.floor((snapshotIndex + phase) / everyEntries);
}
