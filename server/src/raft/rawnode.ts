import type { RaftConfig } from './config.js';
import type { ProgressState } from './progress.js';
import { Raft } from './raft.js';
import { invariant } from './storage.js';
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  hardStateEqual,
  isLocalMessage,
  type Message,
  message,
  type NodeId,
  type ProposeResult,
  type Ready,
  type SoftState,
} from './types.js';

/** Builds the Raft instance; the simulator passes a factory for its deliberately broken variants. */
export type RaftFactory = (config: RaftConfig) => Raft;

export interface RawNodeStatus {
  readonly id: NodeId;
  readonly hardState: HardState;
  readonly softState: SoftState;
  readonly applied: number;
  readonly lastIndex: number;
  readonly confState: ConfState;
  readonly leadTransferee: NodeId;
  readonly leaseValid: boolean;
  /** Ticks left on the leader lease (0 when not valid); the runtime turns it into milliseconds. */
  readonly leaseRemainingTicks: number;
}

/** The leader's view of one member's replication (etcd's Status.Progress). */
export interface MemberProgress {
  readonly id: NodeId;
  readonly isLearner: boolean;
  /** The highest index known to be durable on the member. */
  readonly match: number;
  readonly state: ProgressState;
  /** Leader ticks since the member last acknowledged a heartbeat; 0 for the leader itself. */
  readonly ticksSinceAck: number;
}

/**
 * The driver-facing API of the core (etcd-io/raft's RawNode): feed it ticks, messages and
 * proposals; take one Ready at a time; handle it (persist, send, apply); call advance().
 *
 * Contract: ready() may not be called again before advance(). tick(), step(), propose() and
 * readIndex() may be called between ready() and advance() (their effects land in the next Ready).
 */
export class RawNode {
  readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;
  private inFlight: {
    lastEntry: Entry | null;
    snapshotIndex: number;
    committed: readonly Entry[];
    hardState: HardState | null;
    afterPersist: Ready['messagesAfterPersist'];
    /** The last entry handed out by takeEarly() during this Ready (0: none). */
    earlyTo: number;
  } | null = null;

  constructor(config: RaftConfig, factory: RaftFactory = (c) => new Raft(c)) {
    this.raft = factory(config);
    this.prevSoft = this.softState();
    this.prevHard = this.raft.hardState();
  }

  tick(): void {
    this.raft.tick();
  }

  /** Raft.ticksUntilDue: how long the driver may go without ticking, in ticks (≥ 1, or Infinity). */
  ticksUntilDue(): number {
    return this.raft.ticksUntilDue();
  }

  /** Starts an election now (skipping the election timeout, not PreVote). */
  campaign(): void {
    this.raft.step(message({ type: 'hup', from: this.raft.id }));
  }

  /** Feeds a message from a peer. Local message types are refused (they are not the network's). */
  step(m: Message): boolean {
    // a forwarded transferLeader is the one local type that travels between nodes
    if (isLocalMessage(m.type) && m.type !== 'transferLeader') return false;
    if (m.to !== this.raft.id) return false;
    // a peer we do not know (not in the configuration) may still be a new leader: let Raft decide
    this.raft.step(m);
    return true;
  }

  propose(data: Uint8Array): ProposeResult {
    return this.raft.propose(data);
  }

  proposeConfChange(cc: ConfChange): ProposeResult {
    return this.raft.proposeConfChange(cc);
  }

  /**
   * Requests a linearizable read point; the answer arrives as a ReadState with the same ctx in a
   * later Ready (or never, if leadership changes: the caller times out and retries with a new ctx).
   */
  readIndex(ctx: string): void {
    this.raft.step(message({ type: 'readIndex', from: this.raft.id, ctx }));
  }

  /** Asks the leader to hand leadership to `to` (thesis §3.10). */
  transferLeadership(to: NodeId): void {
    this.raft.step(message({ type: 'transferLeader', from: to }));
  }

  reportUnreachable(id: NodeId): void {
    this.raft.step(message({ type: 'unreachable', from: id }));
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.step(message({ type: 'snapStatus', from: id, reject: !ok }));
  }

  private softState(): SoftState {
    return { lead: this.raft.lead, role: this.raft.role };
  }

  hasReady(): boolean {
    invariant(this.inFlight === null, 'hasReady() while a Ready is outstanding');
    const r = this.raft;
    r.flush();
    const ss = this.softState();
    if (ss.lead !== this.prevSoft.lead || ss.role !== this.prevSoft.role) return true;
    if (!hardStateEqual(r.hardState(), this.prevHard)) return true;
    if (r.log.unstable.snapshot !== null) return true;
    return (
      r.msgs.length > 0 ||
      r.msgsAfterPersist.length > 0 ||
      r.log.unstableEntries().length > 0 ||
      r.log.hasNextCommittedEnts() ||
      r.readStates.length > 0
    );
  }

  ready(): Ready {
    invariant(this.inFlight === null, 'ready() called twice without advance()');
    const r = this.raft;
    r.flush();
    const ss = this.softState();
    const softChanged = ss.lead !== this.prevSoft.lead || ss.role !== this.prevSoft.role;
    const hs = r.hardState();
    const hardChanged = !hardStateEqual(hs, this.prevHard);
    const entries = r.log.unstableEntries().slice();
    const snapshot = r.log.unstable.snapshot;
    const committedEntries = r.log.nextCommittedEnts();
    const rd: Ready = {
      softState: softChanged ? ss : null,
      hardState: hardChanged ? hs : null,
      entries,
      snapshot,
      committedEntries,
      messages: r.msgs,
      messagesAfterPersist: r.msgsAfterPersist,
      readStates: r.readStates,
      mustSync:
        entries.length > 0 ||
        snapshot !== null ||
        (hardChanged && (hs.term !== this.prevHard.term || hs.vote !== this.prevHard.vote)),
    };
    r.msgs = [];
    r.msgsAfterPersist = [];
    r.readStates = [];
    if (softChanged) this.prevSoft = ss;
    this.inFlight = {
      lastEntry: entries.length > 0 ? (entries[entries.length - 1] as Entry) : null,
      snapshotIndex: snapshot ? snapshot.metadata.index : 0,
      committed: committedEntries,
      hardState: hardChanged ? hs : null,
      afterPersist: rd.messagesAfterPersist,
      earlyTo: 0,
    };
    return rd;
  }

  /**
   * While a Ready is being handled (between ready() and advance()), what may happen before its
   * persist completes, instead of waiting for the next Ready:
   *
   * - `messages`: what the next Ready's `messages` would hold so far — appends of proposals that
   *   arrived meanwhile, heartbeats, vote requests. None of them asserts anything about this
   *   node's disk (a leader may replicate before its own fsync, thesis §10.2.1); acks and votes
   *   stay in `messagesAfterPersist` and wait for their Ready.
   * - `committedEntries`: entries committed since, that were durable here before this Ready —
   *   never one of its own unpersisted entries, none while a snapshot is pending, and never a
   *   configuration change (advance() applies those, with the Ready that hands them out). They
   *   follow the Ready's own `committedEntries` in log order: apply those first. Returned
   *   entries are not handed out again.
   *
   * A driver that persists asynchronously calls this as messages and proposals arrive, so a busy
   * leader replicates and applies at the pace of the network rather than of its own fsync.
   */
  takeEarly(): { messages: Message[]; committedEntries: Entry[] } {
    const f = this.inFlight;
    invariant(f !== null, 'takeEarly() outside a Ready');
    const r = this.raft;
    r.flush();
    const messages = r.msgs;
    r.msgs = [];
    // a snapshot in this Ready, or one received since, replaces the log: it comes with a Ready
    if (f.snapshotIndex > 0 || r.log.unstable.snapshot !== null) return { messages, committedEntries: [] };
    const lastHanded = Math.max(r.log.applied, f.committed[f.committed.length - 1]?.index ?? 0, f.earlyTo);
    const hi = Math.min(r.log.committed, r.stablePrefix());
    if (hi <= lastHanded) return { messages, committedEntries: [] };
    const ents = r.log.slice(lastHanded + 1, hi + 1, r.log.maxApplyBytes);
    const conf = ents.findIndex((e) => e.type === 'confChange');
    const committedEntries = conf < 0 ? ents : ents.slice(0, conf);
    const last = committedEntries[committedEntries.length - 1];
    if (last !== undefined) f.earlyTo = last.index;
    return { messages, committedEntries };
  }

  /**
   * The last Ready was handled: its hard state, entries and snapshot are durable, its messages
   * sent and its committed entries applied. Conf changes among them take effect now.
   */
  advance(): void {
    const f = this.inFlight;
    invariant(f !== null, 'advance() without a Ready');
    this.inFlight = null;
    const r = this.raft;
    if (f.hardState) this.prevHard = f.hardState;
    if (f.snapshotIndex > 0) {
      r.log.stableSnapTo(f.snapshotIndex);
      if (f.snapshotIndex > r.log.applied) r.log.appliedTo(f.snapshotIndex);
    }
    if (f.lastEntry) r.log.stableTo(f.lastEntry.index, f.lastEntry.term);
    const last = Math.max(f.committed[f.committed.length - 1]?.index ?? 0, f.earlyTo);
    if (last > r.log.applied) {
      // the entries were applied in order; conf changes among them take effect now (takeEarly
      // hands out none)
      for (const e of f.committed) if (e.type === 'confChange' && e.index > r.log.applied) r.applyConfChangeEntry(e);
      r.log.appliedTo(last);
    }
    r.deliverSelfMessages(f.afterPersist);
    r.onPersisted();
  }

  /**
   * Every member's replication progress as this node sees it: meaningful only on the leader
   * (empty otherwise). For choosing a transfer target and for telling when a learner caught up.
   */
  progress(): MemberProgress[] {
    const r = this.raft;
    if (r.role !== 'leader') return [];
    const out: MemberProgress[] = [];
    for (const [id, pr] of r.tracker.progress) {
      const self = id === r.id;
      out.push({
        id,
        isLearner: pr.isLearner,
        match: self ? r.stablePrefix() : pr.match,
        state: pr.state,
        ticksSinceAck: self ? 0 : Math.max(0, r.tickCount - pr.leaseAckTick),
      });
    }
    return out;
  }

  status(): RawNodeStatus {
    const r = this.raft;
    return {
      id: r.id,
      hardState: r.hardState(),
      softState: this.softState(),
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      confState: r.confState(),
      leadTransferee: r.leadTransferee,
      leaseValid: r.leaseValid(),
      leaseRemainingTicks: r.leaseRemainingTicks(),
    };
  }
}
