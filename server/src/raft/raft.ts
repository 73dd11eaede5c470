import { decodeConfChange, encodeConfChange } from './confchange.js';
import { type RaftConfig, type ResolvedRaftConfig, type Rng, resolveConfig } from './config.js';
import { RaftLog } from './log.js';
import { Progress, ProgressTracker } from './progress.js';
import { ReadOnly } from './readonly.js';
import { CompactedError, entrySizeBytes, invariant } from './storage.js';
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type MessageType,
  message,
  NO_ENTRIES,
  NONE,
  type NodeId,
  type ProposeResult,
  type ReadState,
  type RoleName,
  type Snapshot,
} from './types.js';

const TRANSFER = 'transfer';
const EMPTY = new Uint8Array(0);

type CampaignType = 'preElection' | 'election' | 'transfer';

/**
 * The Raft state machine (Ongaro & Ousterhout 2014; Ongaro's thesis 2014), in the style of
 * etcd-io/raft: deterministic, driven by tick() and step(); output is collected in `msgs`,
 * `msgsAfterPersist` and `readStates` and handed out by RawNode as a Ready.
 *
 * Roles change only in becomeFollower/becomePreCandidate/becomeCandidate/becomeLeader; each
 * role's message handling is in stepLeader/stepCandidate/stepFollower.
 *
 * A few decisions are protected methods (canGrantVote, candidateLogIsUpToDate,
 * canCommitByCounting) so that the simulator's tests can build deliberately broken variants and
 * prove the checkers catch them. Nothing in the server overrides them.
 */
export class Raft {
  readonly id: NodeId;
  readonly cfg: ResolvedRaftConfig;
  private readonly rng: Rng;

  /** Invariant: never decreases. */
  term = 0;
  /** Invariant: at most one vote per term (reset only when the term changes). */
  vote: NodeId = NONE;
  role: RoleName = 'follower';
  lead: NodeId = NONE;
  readonly log: RaftLog;
  readonly tracker: ProgressTracker;
  readonly readOnly = new ReadOnly();

  /** Messages that may leave at once (they assert nothing about this node's disk). */
  msgs: Message[] = [];
  /** Messages that may leave only after this Ready's hard state and entries are durable. */
  msgsAfterPersist: Message[] = [];
  readStates: ReadState[] = [];

  /** Leadership transfer target while one is in progress (thesis §3.10). */
  leadTransferee: NodeId = NONE;
  /** Index of the newest conf change the leader appended; one change at a time. */
  pendingConfIndex = 0;
  /** The pre-vote term for which this node last stood back for a higher id (tie-break in step). */
  private deferredToTerm = 0;
  /** Bytes of uncommitted entries the leader appended (a bound on memory). */
  private uncommittedBytes = 0;
  /** ReadIndex requests waiting for the leader to commit its first entry of the term (thesis §6.4). */
  private pendingReadIndex: Message[] = [];

  electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  /** Ticks since this instance started; the leader stamps heartbeats with it for lease reads. */
  tickCount = 0;
  /**
   * Until this tick the node refuses votes (CheckQuorum's promise to the leader it heard from,
   * thesis §4.2.3). Set when a leader's message arrives, and at start: a restarted node's
   * promise from before the crash may still carry a leader's lease.
   */
  private voteQuietUntilTick: number;
  /** The term in which this leader sent TimeoutNow: its lease never returns in that term. */
  private timeoutNowTerm = 0;
  /** The index the current configuration reflects (conf entries at or below it are already in). */
  confIndex = 0;
  /** Whether the leader needs to run a round of appends (sent when the Ready is built). */
  private appendsDirty = false;

  constructor(config: RaftConfig) {
    this.cfg = resolveConfig(config);
    this.id = this.cfg.id;
    this.rng = this.cfg.rng;
    this.log = new RaftLog(this.cfg.storage, this.cfg.maxApplyBytesPerReady);
    this.tracker = new ProgressTracker(this.cfg.maxInflightMsgs);
    const { hardState, confState } = this.cfg.storage.initialState();
    this.applyConfState(confState);
    this.confIndex = this.log.firstIndex() - 1;
    if (hardState.term > 0 || hardState.commit > 0 || hardState.vote !== NONE) this.loadHardState(hardState);
    // A snapshot holds only committed entries, so the commit index is at least its index even
    // when the hard state on disk says less: a hard state whose only change is the commit index
    // is not synced (Ready.mustSync), and the driver may not write it at all.
    this.log.commitTo(Math.max(this.log.committed, this.cfg.storage.snapshot().metadata.index));
    if (this.cfg.applied > 0) {
      // The application already applied up to `applied`: those entries will not be handed out
      // again, so the conf changes among them must take effect here.
      const applied = Math.min(this.cfg.applied, this.log.committed);
      const lo = this.confIndex + 1;
      if (applied >= lo) {
        for (const e of this.log.slice(lo, applied + 1, Number.POSITIVE_INFINITY)) {
          if (e.type === 'confChange') this.applyConfChangeEntry(e);
        }
      }
      this.log.appliedTo(applied);
    }
    this.becomeFollower(this.term, NONE);
    // After a restart a node refuses votes for one election timeout: before the crash it may
    // have acknowledged a heartbeat that a leader's lease counts on. A node still in the
    // bootstrap term with no vote never acknowledged one (heartbeat acks leave only once the
    // leader's term, which is > 1, is durable), so a new cluster can elect at once.
    this.voteQuietUntilTick = this.term > 1 || this.vote !== NONE ? this.cfg.electionTimeoutTicks : 0;
  }

  private loadHardState(hs: HardState): void {
    const last = this.log.lastIndex();
    invariant(hs.commit <= last, `hard state commit ${hs.commit} is beyond the last index ${last}`);
    this.log.committed = Math.max(this.log.committed, hs.commit);
    // a log never holds entries of a term its node did not reach
    this.term = Math.max(hs.term, this.log.lastTerm());
    this.vote = hs.vote;
  }

  // ---------------------------------------------------------------- state queries

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  /** Whether this node may become leader: it is a voter in its current configuration. */
  promotable(): boolean {
    return this.tracker.isVoter(this.id);
  }

  /** Raft §5.4.2 / thesis §6.4: the leader has committed an entry of its own term. */
  committedInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  /**
   * The leader lease (thesis §6.4.1): valid while a quorum acknowledged a heartbeat sent less
   * than ElectionTimeout − drift ticks ago. Under CheckQuorum those followers refuse to vote for
   * anyone else until ElectionTimeout after they heard it, so no other leader can exist. Never
   * valid during a leadership transfer, which deliberately lets another node win at once.
   */
  leaseValid(): boolean {
    if (this.role !== 'leader' || !this.cfg.checkQuorum || this.leadTransferee !== NONE) return false;
    // a TimeoutNow may still be in flight after the transfer was abandoned: its receiver will
    // win votes at once, so no lease in this term any more
    if (this.timeoutNowTerm === this.term) return false;
    if (!this.committedInCurrentTerm()) return false;
    const since = this.tracker.quorumValue((id, p) => (id === this.id ? this.tickCount : p.leaseAckTick));
    return since + this.cfg.electionTimeoutTicks - this.cfg.leaseDriftTicks > this.tickCount;
  }

  /**
   * Ticks until this node votes again (CheckQuorum's promise to a leader it heard, or the quiet
   * after a restart); 0 when it would vote now. A leader never votes for another.
   */
  voteQuietRemainingTicks(): number {
    if (!this.cfg.checkQuorum || this.role === 'leader') return 0;
    return Math.max(0, this.voteQuietUntilTick - this.tickCount);
  }

  /** Ticks left on the lease (0 if it is not valid). The node runtime converts it to time. */
  leaseRemainingTicks(): number {
    if (!this.leaseValid()) return 0;
    const since = this.tracker.quorumValue((id, p) => (id === this.id ? this.tickCount : p.leaseAckTick));
    return since + this.cfg.electionTimeoutTicks - this.cfg.leaseDriftTicks - this.tickCount;
  }

  // ---------------------------------------------------------------- overridable decisions

  /** Raft §5.2: one vote per term, first come first served. */
  protected canGrantVote(m: Message): boolean {
    return (
      this.vote === m.from || (this.vote === NONE && this.lead === NONE) || (m.type === 'preVote' && m.term > this.term)
    );
  }

  /** Raft §5.4.1: the election restriction. */
  protected candidateLogIsUpToDate(m: Message): boolean {
    return this.log.isUpToDate(m.index, m.logTerm);
  }

  /** Raft §5.4.2: a leader commits by counting replicas only entries of its own term. */
  protected canCommitByCounting(index: number): boolean {
    return this.log.term(index) === this.term;
  }

  // ---------------------------------------------------------------- role changes

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.tracker.resetVotes();
    const last = this.log.lastIndex();
    for (const [id, pr] of this.tracker.progress) {
      const fresh = new Progress(last + 1, this.cfg.maxInflightMsgs, pr.isLearner);
      if (id === this.id) fresh.match = this.stablePrefix();
      this.tracker.progress.set(id, fresh);
    }
    this.pendingConfIndex = 0;
    this.uncommittedBytes = 0;
    this.readOnly.reset();
    this.pendingReadIndex = [];
    this.appendsDirty = false;
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  becomePreCandidate(): void {
    invariant(this.role !== 'leader', 'invalid transition leader -> preCandidate');
    // PreVote (thesis §9.6): ask first, without raising the term, whether a vote could be won.
    this.tracker.resetVotes();
    this.lead = NONE;
    this.role = 'preCandidate';
  }

  becomeCandidate(): void {
    invariant(this.role !== 'leader', 'invalid transition leader -> candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  becomeLeader(): void {
    invariant(this.role === 'candidate', `invalid transition ${this.role} -> leader`);
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    // etcd: only ourselves counts as recently active; peers earn it by answering
    const self = this.tracker.progress.get(this.id);
    if (self) {
      self.becomeReplicate();
      self.recentActive = true;
    }
    // A change proposed before our no-op commits could race one from a previous term
    // (raft-dev 2015); proposeConfChange waits for the no-op, and this blocks the entries before it.
    this.pendingConfIndex = this.log.lastIndex();
    // Raft §5.4.2 / §8: a no-op of our term commits everything before it and enables reads.
    this.appendEntries([{ term: this.term, index: 0, type: 'normal', data: EMPTY }]);
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.cfg.electionTimeoutTicks + this.rng.nextInt(0, this.cfg.electionJitterTicks);
  }

  // ---------------------------------------------------------------- ticks

  /**
   * How many more ticks until tick() acts on its own — a campaign, or on a leader its heartbeats,
   * CheckQuorum and stalled-follower checks — at least 1; Infinity when nothing is due by time
   * alone (a learner, a node outside the configuration). A driver may sleep that long: ticks are
   * delivered (caught up) before any message, proposal or read is handled, so what those do never
   * depends on how often the driver woke. A follower hearing its leader only moves this later.
   */
  ticksUntilDue(): number {
    if (this.role === 'leader') return 1;
    if (!this.promotable()) return Number.POSITIVE_INFINITY;
    return Math.max(1, this.randomizedElectionTimeout - this.electionElapsed);
  }

  tick(): void {
    this.tickCount++;
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step(message({ type: 'hup', from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTimeoutTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) this.step(message({ type: 'checkQuorum', from: this.id }));
      // thesis §3.10: give up a transfer that did not finish within an election timeout
      if (this.role === 'leader' && this.leadTransferee !== NONE) this.abortLeaderTransfer();
    }
    if (this.role !== 'leader') return;
    this.detectStalledFollowers();
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.step(message({ type: 'beat', from: this.id }));
    }
  }

  /**
   * The network may drop any message. A replicating follower that acknowledged nothing for a
   * while, with appends outstanding, lost one: fall back to probing so the gap is found. A
   * snapshot that was never acknowledged is sent again after snapshotTimeoutTicks (the
   * transport's reportSnapshot() is the fast path).
   */
  private detectStalledFollowers(): void {
    const last = this.log.lastIndex();
    const stallTicks = Math.max(2 * this.cfg.heartbeatTicks, Math.floor(this.cfg.electionTimeoutTicks / 2));
    for (const [id, pr] of this.tracker.progress) {
      if (id === this.id || pr.match >= last) continue;
      const quiet = this.tickCount - pr.lastProgressTick;
      if (pr.state === 'replicate' && pr.inflights.count > 0 && quiet >= stallTicks) {
        pr.becomeProbe();
        pr.lastProgressTick = this.tickCount;
        this.appendsDirty = true;
      } else if (pr.state === 'snapshot' && this.tickCount - pr.snapshotSentTick >= this.cfg.snapshotTimeoutTicks) {
        pr.becomeProbe();
        this.appendsDirty = true;
      }
    }
  }

  // ---------------------------------------------------------------- campaigns

  private hasUnappliedConfChanges(): boolean {
    if (this.log.applied >= this.log.committed) return false;
    const lo = Math.max(this.log.applied + 1, this.log.firstIndex());
    const ents = this.log.slice(lo, this.log.committed + 1, Number.POSITIVE_INFINITY);
    return ents.some((e) => e.type === 'confChange');
  }

  campaign(type: CampaignType): void {
    if (!this.promotable()) return;
    // etcd: a node with committed but unapplied conf changes does not know its configuration yet
    if (this.hasUnappliedConfChanges()) return;
    let voteType: MessageType;
    let term: number;
    if (type === 'preElection') {
      this.becomePreCandidate();
      voteType = 'preVote';
      term = this.term + 1; // the term we would use; our own term does not change
    } else {
      this.becomeCandidate();
      voteType = 'vote';
      term = this.term;
    }
    // Our own vote counts only once our hard state is durable: it is delivered by RawNode.advance().
    this.msgsAfterPersist.push(
      message({ type: type === 'preElection' ? 'preVoteResp' : 'voteResp', from: this.id, to: this.id, term }),
    );
    for (const id of this.tracker.voters) {
      if (id === this.id) continue;
      this.send(
        message({
          type: voteType,
          to: id,
          term,
          index: this.log.lastIndex(),
          logTerm: this.log.lastTerm(),
          ctx: type === 'transfer' ? TRANSFER : '',
        }),
      );
    }
  }

  private poll(from: NodeId, granted: boolean): void {
    this.tracker.recordVote(from, granted);
    const { result } = this.tracker.tallyVotes();
    if (result === 'won') {
      if (this.role === 'preCandidate') this.campaign('election');
      else {
        this.becomeLeader();
        this.appendsDirty = true;
      }
    } else if (result === 'lost') {
      // a rejecting node with a higher term would have moved us already; stay in this term
      this.becomeFollower(this.term, NONE);
    }
  }

  // ---------------------------------------------------------------- step

  step(m: Message): void {
    if (m.term === 0) {
      // local message
    } else if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        const force = m.ctx === TRANSFER;
        // CheckQuorum (thesis §4.2.3): a node that heard from a leader within the minimum
        // election timeout ignores votes, so a disruptive server cannot depose a live leader.
        // A leader is in lease with itself; a follower until ElectionTimeout after it last heard
        // from a leader (kept in ticks, so campaigning itself does not cancel the promise).
        const inLease = this.cfg.checkQuorum && (this.role === 'leader' || this.tickCount < this.voteQuietUntilTick);
        if (!force && inLease) return;
      }
      if (m.type === 'preVote') {
        // never change our term on a pre-vote request
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // a granted pre-vote carries the future term; the term rises only when the quorum grants it
      } else if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') {
        this.becomeFollower(m.term, m.from);
      } else if (m.type === 'preVoteResp' && this.role === 'preCandidate') {
        // Our pre-vote was refused only because the voter is in a later term (it voted there
        // already). Our timer had fired: catch up on the term and ask again at once instead of
        // waiting a whole election timeout more. Pre-votes change no state, so this is safe;
        // it cannot loop, as a second refusal carries our (now equal) term.
        this.becomeFollower(m.term, NONE);
        this.campaign('preElection');
        return;
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'heartbeat' || m.type === 'app')) {
        // A stale leader (e.g. healed from a partition) learns our term and steps down; without
        // this, PreVote could leave it leading a minority forever (etcd's "stuck leader" fix).
        this.send(message({ type: 'appResp', to: m.from }));
      } else if (m.type === 'preVote') {
        // rejectHint echoes the term asked for, so the pre-candidate can tell rounds apart
        this.send(message({ type: 'preVoteResp', to: m.from, term: this.term, reject: true, rejectHint: m.term }));
      }
      return;
    }

    switch (m.type) {
      case 'hup':
        if (this.role === 'leader') return;
        this.campaign(this.cfg.preVote ? 'preElection' : 'election');
        return;
      case 'vote':
      case 'preVote': {
        const respType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
        if (this.canGrantVote(m) && this.candidateLogIsUpToDate(m)) {
          // a pre-vote grant answers in the candidate's future term so it is not taken as stale
          this.sendAfterPersist(message({ type: respType, to: m.from, term: m.term }));
          if (m.type === 'vote') {
            this.electionElapsed = 0;
            this.vote = m.from;
          }
          // Two pre-candidates that grant each other both become candidates, vote for
          // themselves and split the vote: a whole election timeout lost. So a pre-candidate
          // that grants a higher voter's pre-vote (its log is at least as up to date) steps back
          // and lets it run; a grant of its own pre-vote arriving later is then ignored. Once
          // per requested term: a higher id that keeps asking for the same term (it hears no
          // answers: a one-way partition) cannot hold the others back for more than one
          // timeout. Only this node's campaign changes, never what it grants: PreVote keeps its
          // guarantees. (A follower that grants and times out before that candidate's vote
          // request arrives can still split the vote; making it wait too cost the simulator's
          // liveness runs an extra timeout behind a deaf higher id, so it does not.)
          if (
            m.type === 'preVote' &&
            this.role === 'preCandidate' &&
            m.from > this.id &&
            m.term !== this.deferredToTerm &&
            this.tracker.isVoter(m.from)
          ) {
            this.deferredToTerm = m.term;
            this.becomeFollower(this.term, NONE);
          }
        } else {
          this.sendAfterPersist(
            message({ type: respType, to: m.from, term: this.term, reject: true, rejectHint: m.term }),
          );
        }
        return;
      }
    }

    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        return;
      case 'candidate':
      case 'preCandidate':
        this.stepCandidate(m);
        return;
      case 'follower':
        this.stepFollower(m);
        return;
    }
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case 'beat':
        this.bcastHeartbeat(0);
        return;
      case 'checkQuorum':
        // thesis §6.2: a leader that cannot hear a quorum steps down, so clients try elsewhere
        if (!this.tracker.quorumActive(this.id)) {
          this.becomeFollower(this.term, NONE);
          return;
        }
        for (const [id, pr] of this.tracker.progress) if (id !== this.id) pr.recentActive = false;
        return;
      case 'readIndex':
        this.leaderReadIndex(m);
        return;
      case 'transferLeader':
        this.leaderTransfer(m.from);
        return;
      default:
    }

    const pr = this.tracker.progress.get(m.from);
    if (pr === undefined) return; // not (or no longer) a member
    switch (m.type) {
      case 'appResp':
        pr.recentActive = true;
        if (m.reject) {
          let next = m.rejectHint;
          if (m.logTerm > 0) next = this.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
          if (pr.maybeDecrTo(m.index, next)) {
            if (pr.state === 'replicate') pr.becomeProbe();
            this.appendsDirty = true;
          }
          return;
        }
        if (pr.maybeUpdate(m.index)) {
          pr.lastProgressTick = this.tickCount;
          if (pr.state === 'probe') pr.becomeReplicate();
          else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) pr.becomeProbe();
          else if (pr.state === 'replicate') pr.inflights.freeLE(m.index);
          this.maybeCommit();
          this.appendsDirty = true;
          if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
        } else if (pr.state === 'replicate') {
          pr.inflights.freeLE(m.index);
        }
        return;
      case 'heartbeatResp':
        pr.recentActive = true;
        pr.probeSent = false;
        if (m.leaseTick > pr.leaseAckTick) pr.leaseAckTick = m.leaseTick;
        if (pr.match < this.log.lastIndex()) {
          // As etcd: a lagging follower with nothing left to send gets an empty append at
          // next-1. A transport that keeps order delivers it after anything still in flight;
          // if an append was lost, the follower rejects it and we probe from its real match.
          if (
            pr.state === 'replicate' &&
            pr.next > this.log.lastIndex() &&
            !pr.inflights.full() &&
            pr.nudgedAtTick !== this.tickCount
          ) {
            pr.nudgedAtTick = this.tickCount; // one per tick, however many responses arrive at once
            this.sendEmptyAppend(m.from, pr);
          }
          this.appendsDirty = true;
        }
        if (m.readId > 0) this.recvReadAck(m.from, m.readId);
        return;
      case 'snapStatus':
        if (pr.state !== 'snapshot') return;
        if (m.reject) pr.pendingSnapshot = 0;
        pr.becomeProbe();
        pr.probeSent = true; // wait for a heartbeat response before probing again
        return;
      case 'unreachable':
        if (pr.state === 'replicate') pr.becomeProbe();
        return;
      default:
    }
  }

  private stepCandidate(m: Message): void {
    const myVoteResp: MessageType = this.role === 'preCandidate' ? 'preVoteResp' : 'voteResp';
    switch (m.type) {
      case 'app':
        this.becomeFollower(m.term, m.from);
        this.heardFromLeader(m.from);
        this.handleAppendEntries(m);
        return;
      case 'heartbeat':
        this.becomeFollower(m.term, m.from);
        this.heardFromLeader(m.from);
        this.handleHeartbeat(m);
        return;
      case 'snap':
        this.becomeFollower(m.term, m.from);
        this.heardFromLeader(m.from);
        this.handleSnapshot(m);
        return;
      case 'preVoteResp':
      case 'voteResp': {
        if (m.type !== myVoteResp) return;
        // A grant carries the term it was asked for (term+1 in a pre-vote round); a grant for an
        // earlier round that arrives late must not count in this one.
        // A refusal echoes the term asked for in rejectHint: one from a pre-vote round we left
        // when we caught up on the term must not count in the new round either.
        const asked = this.role === 'preCandidate' ? this.term + 1 : this.term;
        if (!m.reject && m.term !== asked) return;
        if (m.reject && m.rejectHint !== 0 && m.rejectHint !== asked) return;
        this.poll(m.from, !m.reject);
        return;
      }
      default:
      // readIndex, transferLeader, timeoutNow: no leader to serve them; dropped
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'app':
        this.heardFromLeader(m.from);
        this.handleAppendEntries(m);
        return;
      case 'heartbeat':
        this.heardFromLeader(m.from);
        this.handleHeartbeat(m);
        return;
      case 'snap':
        this.heardFromLeader(m.from);
        this.handleSnapshot(m);
        return;
      case 'transferLeader':
        if (this.lead === NONE) return;
        this.send(message({ type: 'transferLeader', to: this.lead, from: m.from, term: 0 }), true);
        return;
      case 'timeoutNow':
        // thesis §3.10: the leader asked us to start an election at once, skipping PreVote
        this.campaign('transfer');
        return;
      case 'readIndex':
        if (this.lead === NONE) return;
        this.send(message({ type: 'readIndex', to: this.lead, ctx: m.ctx }));
        return;
      case 'readIndexResp':
        this.readStates.push({ index: m.index, ctx: m.ctx });
        return;
      default:
    }
  }

  // ---------------------------------------------------------------- follower handlers

  private heardFromLeader(lead: NodeId): void {
    this.electionElapsed = 0;
    this.lead = lead;
    this.voteQuietUntilTick = this.tickCount + this.cfg.electionTimeoutTicks;
  }

  private handleAppendEntries(m: Message): void {
    if (m.index < this.log.committed) {
      this.sendAfterPersist(message({ type: 'appResp', to: m.from, index: this.log.committed }));
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== null) {
      this.sendAfterPersist(message({ type: 'appResp', to: m.from, index: lastNew }));
      return;
    }
    // Fast backtracking (thesis §5.3 "the leader can decrement nextIndex by more than one"):
    // point the leader at our last entry whose term is <= the term it probed with.
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.sendAfterPersist(
      message({
        type: 'appResp',
        to: m.from,
        index: m.index,
        reject: true,
        rejectHint: hint.index,
        logTerm: hint.term,
      }),
    );
  }

  private handleHeartbeat(m: Message): void {
    this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
    // after the persist: the ack is a promise not to vote, which must outlive a crash (the term
    // it was given in must be on disk so the restarted node knows to keep quiet)
    this.sendAfterPersist(message({ type: 'heartbeatResp', to: m.from, readId: m.readId, leaseTick: m.leaseTick }));
  }

  private handleSnapshot(m: Message): void {
    const snap = m.snapshot;
    if (snap === null) return;
    if (this.restore(snap)) {
      this.sendAfterPersist(message({ type: 'appResp', to: m.from, index: this.log.lastIndex() }));
    } else {
      this.sendAfterPersist(message({ type: 'appResp', to: m.from, index: this.log.committed }));
    }
  }

  /** InstallSnapshot (Raft §7): returns false if the snapshot was old or our log already had it. */
  private restore(s: Snapshot): boolean {
    const { index, term } = s.metadata;
    if (index <= this.log.committed) return false;
    if (this.log.matchTerm(index, term)) {
      // we have the entry: the snapshot only tells us it is committed
      this.log.commitTo(index);
      return false;
    }
    this.log.restore(s);
    this.applyConfState(s.metadata.confState);
    this.confIndex = index;
    return true;
  }

  // ---------------------------------------------------------------- leader: replication

  /** The highest index whose entry is durable on this node and still in its log. */
  stablePrefix(): number {
    if (this.log.unstable.snapshot) return this.log.unstable.snapshot.metadata.index - 1;
    return this.log.unstable.offset - 1;
  }

  private appendEntries(ents: Entry[]): boolean {
    let bytes = 0;
    for (const e of ents) bytes += entrySizeBytes(e);
    if (this.uncommittedBytes > 0 && this.uncommittedBytes + bytes > this.cfg.maxUncommittedBytes) return false;
    let li = this.log.lastIndex();
    const stamped: Entry[] = ents.map((e) => ({ term: this.term, index: ++li, type: e.type, data: e.data }));
    this.log.append(stamped);
    this.uncommittedBytes += bytes;
    this.appendsDirty = true;
    // our own match advances only once the entries are durable (RawNode.advance -> onPersisted)
    return true;
  }

  /** Raft §5.3/§5.4.2: advance the commit index to what a quorum has matched, if of our term. */
  maybeCommit(): boolean {
    const mci = this.tracker.committed();
    if (mci <= this.log.committed || !this.canCommitByCounting(mci)) return false;
    const wasInTerm = this.committedInCurrentTerm();
    this.reduceUncommitted(this.log.committed, mci);
    this.log.commitTo(mci);
    if (!wasInTerm && this.committedInCurrentTerm()) this.releasePendingReadIndex();
    return true;
  }

  private reduceUncommitted(from: number, to: number): void {
    if (this.uncommittedBytes === 0) return;
    const lo = Math.max(from + 1, this.log.firstIndex());
    let bytes = 0;
    for (const e of this.log.slice(lo, to + 1, Number.POSITIVE_INFINITY)) bytes += entrySizeBytes(e);
    this.uncommittedBytes = Math.max(0, this.uncommittedBytes - bytes);
  }

  /**
   * Sends whatever each follower needs, within its flow control: pipelined appends in
   * replicate, one probe in probe, a commit-index update when it is caught up. Called once per
   * Ready, which batches every proposal and ack that arrived since the last one.
   */
  flush(): void {
    this.flushReads();
    this.flushAppends();
  }

  private flushAppends(): void {
    if (this.role !== 'leader' || !this.appendsDirty) return;
    this.appendsDirty = false;
    const last = this.log.lastIndex();
    for (const [id, pr] of this.tracker.progress) {
      if (id === this.id) continue;
      if (pr.state === 'replicate') {
        while (!pr.isPaused() && pr.next <= last) if (!this.sendAppend(id, pr)) break;
        // A commit index alone waits for the next append or heartbeat (every heartbeatTicks)
        // unless eagerCommitPropagation (etcd sends it at once; hashicorp/raft waits for its
        // commit timeout). Committing needs only the leader to know. On loopback the extra frame
        // each way per follower per commit cost the leader about a quarter of its CPU (issue 8:
        // a TCP write here is ~70 µs of the sender's time).
        // A committed configuration change goes out at once, though: the leader stops
        // talking to a member it removed as soon as it applies the change, so a removed voter or
        // learner would otherwise never learn of its removal from the log.
        const confCommitted = this.pendingConfIndex > pr.sentCommit && this.pendingConfIndex <= this.log.committed;
        if (
          (this.cfg.eagerCommitPropagation || confCommitted) &&
          !pr.isPaused() &&
          pr.next > last &&
          pr.sentCommit < this.log.committed
        ) {
          this.sendAppend(id, pr);
        }
      } else if (!pr.isPaused()) {
        this.sendAppend(id, pr);
      }
    }
  }

  /** Sends one AppendEntries (or a snapshot when the follower is behind our compaction point). */
  private sendAppend(to: NodeId, pr: Progress): boolean {
    if (pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    let prevTerm: number | null;
    let ents: Entry[];
    try {
      prevTerm = this.log.termOrThrow(prevIndex);
      ents = this.log.entries(pr.next, this.cfg.maxSizePerMsgBytes);
    } catch (err) {
      if (err instanceof CompactedError) return this.sendSnapshot(to, pr);
      throw err;
    }
    invariant(prevTerm !== null, `no term for index ${prevIndex} (next ${pr.next}, last ${this.log.lastIndex()})`);
    this.send(
      message({
        type: 'app',
        to,
        index: prevIndex,
        logTerm: prevTerm,
        entries: ents.length > 0 ? ents : NO_ENTRIES,
        commit: this.log.committed,
      }),
    );
    pr.sentEntries(prevIndex, ents.length);
    pr.sentCommit = this.log.committed;
    return true;
  }

  private sendEmptyAppend(to: NodeId, pr: Progress): void {
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === 0 && prevIndex > 0) return; // compacted: the probe path sends a snapshot
    this.send(message({ type: 'app', to, index: prevIndex, logTerm: prevTerm, commit: this.log.committed }));
    pr.sentCommit = this.log.committed;
  }

  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    // etcd: do not ship a snapshot to a node we have not heard from (it may be down)
    if (!pr.recentActive) return false;
    const snap = this.log.snapshot();
    invariant(snap.metadata.index > 0, 'need a non-empty snapshot to replace a compacted log');
    this.send(message({ type: 'snap', to, snapshot: snap }));
    pr.becomeSnapshot(snap.metadata.index);
    pr.snapshotSentTick = this.tickCount;
    return true;
  }

  private bcastHeartbeat(readId: number): void {
    const rid = readId > 0 ? readId : this.readOnly.lastRoundId();
    for (const [id, pr] of this.tracker.progress) {
      if (id === this.id) continue;
      // never tell a follower to commit past what it is known to have (etcd)
      const commit = Math.min(pr.match, this.log.committed);
      this.send(message({ type: 'heartbeat', to: id, commit, readId: rid, leaseTick: this.tickCount }));
    }
  }

  /** Called by RawNode.advance() once this node's entries up to `index` are durable. */
  onPersisted(): void {
    if (this.role !== 'leader') return;
    const self = this.tracker.progress.get(this.id);
    if (self?.maybeUpdate(this.stablePrefix())) {
      this.maybeCommit();
      this.appendsDirty = true;
    }
  }

  // ---------------------------------------------------------------- proposals

  propose(data: Uint8Array): ProposeResult {
    return this.proposeEntry({ term: 0, index: 0, type: 'normal', data });
  }

  proposeConfChange(cc: ConfChange): ProposeResult {
    if (this.role !== 'leader') return { ok: false, reason: 'notLeader' };
    if (!this.committedInCurrentTerm()) return { ok: false, reason: 'leaderNotYetCommittedInTerm' };
    if (this.pendingConfIndex > this.log.applied) return { ok: false, reason: 'confChangePending' };
    if (!this.validConfChange(cc)) return { ok: false, reason: 'invalidConfChange' };
    const r = this.proposeEntry({ term: 0, index: 0, type: 'confChange', data: encodeConfChange(cc) });
    if (r.ok) this.pendingConfIndex = r.index;
    return r;
  }

  private validConfChange(cc: ConfChange): boolean {
    if (!Number.isInteger(cc.nodeId) || cc.nodeId <= 0) return false;
    const { voters, learners } = this.tracker;
    switch (cc.type) {
      case 'addVoter':
        return !voters.has(cc.nodeId);
      case 'addLearner':
        return !voters.has(cc.nodeId) && !learners.has(cc.nodeId);
      case 'removeNode':
        if (voters.has(cc.nodeId)) return voters.size > 1;
        return learners.has(cc.nodeId);
    }
  }

  private proposeEntry(e: Entry): ProposeResult {
    if (this.role !== 'leader') return { ok: false, reason: 'notLeader' };
    // thesis §3.10: stop accepting proposals while handing leadership over
    if (this.leadTransferee !== NONE) return { ok: false, reason: 'transferInProgress' };
    if (!this.appendEntries([e])) return { ok: false, reason: 'uncommittedLimit' };
    return { ok: true, index: this.log.lastIndex(), term: this.term };
  }

  // ---------------------------------------------------------------- membership

  private applyConfState(cs: ConfState): void {
    this.tracker.voters = new Set(cs.voters);
    this.tracker.learners = new Set(cs.learners);
    const next = this.log.lastIndex() + 1;
    const keep = new Set([...cs.voters, ...cs.learners]);
    for (const id of [...this.tracker.progress.keys()]) if (!keep.has(id)) this.tracker.progress.delete(id);
    for (const id of keep) {
      const existing = this.tracker.progress.get(id);
      const learner = cs.learners.includes(id);
      if (existing) existing.isLearner = learner;
      else {
        const pr = new Progress(next, this.cfg.maxInflightMsgs, learner);
        if (id === this.id) pr.match = this.stablePrefix();
        this.tracker.progress.set(id, pr);
      }
    }
  }

  /** Applies a committed conf change entry (called by RawNode as the entry is handed out). */
  applyConfChangeEntry(e: Entry): ConfState {
    // A snapshot restored since this entry was handed out already holds a newer configuration.
    if (e.index <= this.confIndex) return this.tracker.confState();
    this.confIndex = e.index;
    const cc = decodeConfChange(e.data);
    if (cc !== null) this.applyConfChange(cc);
    return this.tracker.confState();
  }

  private applyConfChange(cc: ConfChange): void {
    const { voters, learners } = this.tracker;
    const cs = { voters: new Set(voters), learners: new Set(learners) };
    switch (cc.type) {
      case 'addVoter':
        cs.learners.delete(cc.nodeId);
        cs.voters.add(cc.nodeId);
        break;
      case 'addLearner':
        if (cs.voters.has(cc.nodeId)) return; // demotion is not supported
        cs.learners.add(cc.nodeId);
        break;
      case 'removeNode':
        if (cs.voters.has(cc.nodeId) && cs.voters.size === 1) return; // never remove the last voter
        cs.voters.delete(cc.nodeId);
        cs.learners.delete(cc.nodeId);
        break;
    }
    const added = !this.tracker.progress.has(cc.nodeId);
    this.applyConfState({ voters: [...cs.voters], learners: [...cs.learners] });
    const pr = this.tracker.progress.get(cc.nodeId);
    if (added && pr) pr.recentActive = true; // give a new member one CheckQuorum window
    if (this.role !== 'leader') return;
    if (cc.type === 'removeNode' && cc.nodeId === this.id) {
      // thesis §4.2.2: a leader removed from the configuration steps down once it is committed
      this.becomeFollower(this.term, NONE);
      return;
    }
    if (this.leadTransferee !== NONE && !this.tracker.isVoter(this.leadTransferee)) this.abortLeaderTransfer();
    // the quorum changed: maybe more is committed now
    this.maybeCommit();
    this.appendsDirty = true;
  }

  // ---------------------------------------------------------------- leadership transfer

  private leaderTransfer(transferee: NodeId): void {
    if (!this.tracker.isVoter(transferee)) return; // learners and strangers cannot lead
    if (this.leadTransferee !== NONE) {
      if (this.leadTransferee === transferee) return;
      this.abortLeaderTransfer();
    }
    if (transferee === this.id) return;
    const pr = this.tracker.progress.get(transferee);
    if (pr === undefined) return;
    this.electionElapsed = 0; // the transfer must finish within one election timeout
    this.leadTransferee = transferee;
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(transferee);
    else {
      // catch the transferee up now; if everything was sent already, something was lost
      if (pr.state === 'replicate' && pr.next > this.log.lastIndex()) pr.becomeProbe();
      this.appendsDirty = true;
    }
  }

  private sendTimeoutNow(to: NodeId): void {
    this.timeoutNowTerm = this.term;
    this.send(message({ type: 'timeoutNow', to }));
  }

  private abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  // ---------------------------------------------------------------- reads

  private leaderReadIndex(m: Message): void {
    // thesis §6.4 step 1 (and Consul#2644): no read until our no-op has committed
    if (!this.committedInCurrentTerm()) {
      this.pendingReadIndex.push(m);
      return;
    }
    const from = m.from;
    if (this.tracker.isSingleton() && this.tracker.isVoter(this.id)) {
      this.answerRead(from, m.ctx, this.log.committed);
      return;
    }
    if (this.cfg.readOnlyOption === 'lease' && this.leaseValid()) {
      this.answerRead(from, m.ctx, this.log.committed);
      return;
    }
    // Requests until the next Ready share one round, opened then with the commit index of that
    // moment (never earlier than any request in it). A request never joins a round that was
    // already open: reusing a round across requests served stale reads in etcd (#20418).
    this.readOnly.request(from, m.ctx);
  }

  /** Opens a round for the reads that arrived since the last Ready and sends its heartbeats. */
  private flushReads(): void {
    if (this.role !== 'leader' || !this.readOnly.hasBatch()) return;
    this.bcastHeartbeat(this.readOnly.openRound(this.log.committed));
  }

  private recvReadAck(from: NodeId, readId: number): void {
    const { voters } = this.tracker;
    for (const r of this.readOnly.recvAck(from, readId, voters, this.id, this.tracker.quorum())) {
      this.answerRead(r.from, r.ctx, r.index);
    }
  }

  private answerRead(from: NodeId, ctx: string, index: number): void {
    if (from === this.id) this.readStates.push({ index, ctx });
    else this.send(message({ type: 'readIndexResp', to: from, index, ctx }));
  }

  private releasePendingReadIndex(): void {
    const pending = this.pendingReadIndex;
    this.pendingReadIndex = [];
    for (const m of pending) this.leaderReadIndex(m);
  }

  // ---------------------------------------------------------------- sending

  private send(m: Message, keepTerm = false): void {
    invariant(m.to !== this.id || m.type === 'voteResp' || m.type === 'preVoteResp', `send ${m.type} to self`);
    let out = m;
    if (!keepTerm) {
      // vote requests and vote responses carry their term explicitly; everything else ours
      const explicitTerm =
        m.type === 'vote' || m.type === 'preVote' || m.type === 'voteResp' || m.type === 'preVoteResp';
      if (!explicitTerm) out = { ...m, term: this.term };
    }
    out = { ...out, from: m.type === 'transferLeader' ? m.from : this.id };
    this.msgs.push(out);
  }

  /** A message that asserts something about our disk (a vote, an append ack): sent after the persist. */
  private sendAfterPersist(m: Message): void {
    const explicitTerm = m.type === 'voteResp' || m.type === 'preVoteResp';
    this.msgsAfterPersist.push({ ...m, from: this.id, term: explicitTerm ? m.term : this.term });
  }

  /** Delivers our own vote (queued in msgsAfterPersist) once the hard state is durable. */
  deliverSelfMessages(msgs: readonly Message[]): void {
    for (const m of msgs) {
      if (m.to !== this.id) continue;
      if (m.type === 'voteResp' || m.type === 'preVoteResp') {
        if (this.role === 'candidate' || this.role === 'preCandidate') this.stepCandidate(m);
      }
    }
  }

  /** For tests and the status call: the node's current configuration. */
  confState(): ConfState {
    return this.tracker.confState();
  }
}
