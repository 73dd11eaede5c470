import {
  bootstrapLog,
  type ConfChange,
  decodeConfChange,
  type Entry,
  MemoryStorage,
  type Message,
  NONE,
  type NodeId,
  type RaftFactory,
  RawNode,
  type ReadOnlyOption,
  type Ready,
} from '@baton/server/raft';
import { chainHash, entryKey, SafetyChecker, Violation } from './checks.js';
import { EventHeap } from './heap.js';
import type { SimRng } from './rng.js';

export const TICK_MS = 100;
export const ELECTION_TICKS = 10;
export const ELECTION_MS = TICK_MS * ELECTION_TICKS;
/** Snapshot once this many entries were applied since the last one; keep this many behind it. */
const SNAPSHOT_EVERY = 40;
const SNAPSHOT_KEEP = 8;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

type NodeState = 'running' | 'crashed' | 'removed';

/** One simulated server: a RawNode over a MemoryStorage that plays the part of its disk. */
export class SimNode {
  raw: RawNode | null = null;
  state: NodeState = 'crashed';
  /** Volatile application state: what was applied, and a running hash of it. */
  applied = 0;
  hash = 0;
  lastSnapshotApplied = 0;
  nextTickAt = 0;
  /** Clock rate: how many ms one of this node's ticks takes (skewed a little per node). */
  tickMs = TICK_MS;
  pausedUntil = 0;
  crashInNextReady = false;
  /** Readys left before this node crashes (-1: no crash planned). */
  crashAfterReadies = -1;
  wasLeader = false;
  /** The configuration this node had applied when last seen (kept across a crash). */
  conf: { voters: readonly NodeId[]; learners: readonly NodeId[] } = { voters: [], learners: [] };
  /** Asynchronous persists: the Ready whose fsync is running (lost if the node crashes). */
  outstanding: Outstanding | null = null;

  constructor(
    readonly id: NodeId,
    /** Durable: survives crashes. Only what a Ready told us to persist ever reaches it. */
    readonly disk: MemoryStorage,
  ) {}

  get running(): boolean {
    return this.state === 'running';
  }
}

/**
 * A replicated application run on every node (the state machine simulation, fsm-*.ts). The
 * Raft-only simulation has none (Cluster.app null): then nothing below changes what it does.
 */
export interface SimApp {
  /** Node `n` applied committed entry `e` (after the Raft-level checks). */
  apply(n: SimNode, e: Entry): void;
  /** The application's state at `n.applied`, stored in the snapshot taken now. */
  snapshot(n: SimNode): string;
  /** Node `n`'s state is now the snapshot's at `index` (`data` undefined: empty, no snapshot yet). */
  restore(n: SimNode, data: string | undefined, index: number): void;
}

/** A Ready taken and being persisted, as baton-server's loop handles it (node/raft-node.ts). */
interface Outstanding {
  readonly raw: RawNode;
  readonly rd: Ready;
  readonly crashAfterFsync: boolean;
  readonly silent: boolean;
}

export interface ClusterOptions {
  readonly nodes: number;
  /**
   * Persists take simulated time, as in baton-server (node/raft-node.ts): a Ready's messages
   * leave and its durable committed entries apply at once, the fsync completes up to
   * `maxFsyncMs` later, and meanwhile RawNode.takeEarly() sends and applies what need not wait.
   * Commit-only hard states are not written (the driver skips them too). Its randomness comes
   * from its own rng, so runs without it are unchanged.
   */
  readonly asyncPersist?: { readonly rng: SimRng; readonly maxFsyncMs: number };
  readonly readOnlyOption: ReadOnlyOption;
  /** Small messages split a lagging follower's catch-up into many appends (more interleavings). */
  readonly maxSizePerMsgBytes: number;
  readonly maxInflightMsgs: number;
  readonly factory?: RaftFactory;
}

interface Flight {
  readonly msg: Message;
}

interface PendingRead {
  readonly node: NodeId;
  readonly minIndex: number;
  readonly at: number;
}

export interface NetworkFaults {
  /** Directed links that drop everything: `${from}>${to}`. */
  readonly cut: Set<string>;
  lossRate: number;
  duplicateRate: number;
  /** Probability that a message is delayed by up to `spikeMs` instead of the usual few ms. */
  spikeRate: number;
  spikeMs: number;
}

/**
 * A whole cluster on one event queue: nodes, an unreliable network, crashes, pauses and clock
 * skew, all driven by one seeded rng. After every event the SafetyChecker has seen everything
 * that changed.
 */
export class Cluster {
  readonly nodes = new Map<NodeId, SimNode>();
  readonly checker = new SafetyChecker();
  readonly faults: NetworkFaults = { cut: new Set(), lossRate: 0, duplicateRate: 0, spikeRate: 0, spikeMs: 0 };
  /** Chance that a newly elected leader crashes within its first few Readys (figure 8's shape). */
  newLeaderCrashChance = 0;
  /** Chance that a leader crashes in a Ready that advances its commit index. */
  leaderCommitCrashChance = 0;
  /** The next node to win an election crashes right after its first fsync, having sent nothing. */
  silentCrashOnLeadership = false;
  /** This node crashes in the next Ready in which, as leader, it advances its commit index. */
  commitCrashNode: NodeId = 0;
  now = 0;
  events = 0;
  private readonly flights = new EventHeap<Flight>();
  private readonly timers = new EventHeap<() => void>();
  /** asyncPersist: fsyncs completing (kept when the nemesis's timers are cleared: a disk finishes its work). */
  private readonly fsyncs = new EventHeap<() => void>();
  /** While > now: leader churn — every new leader dies within its first Readys and crashed nodes come back quickly. */
  churnUntil = 0;
  private readonly reads = new Map<string, PendingRead>();
  private readonly trace: string[] = [];
  private traceOn = true;
  private nextProposal = 1;
  private nextRead = 1;
  /** Proposals accepted by a leader, by index: acknowledged when the proposer applies them. */
  private readonly proposals = new Map<number, { key: string; node: NodeId }>();
  acked = 0;
  readsServed = 0;
  nextNodeId: NodeId;
  readonly stats = {
    elections: 0,
    leaderChanges: 0,
    snapshotsSent: 0,
    crashes: 0,
    msgs: 0,
    dropped: 0,
    /** Liveness mode: how long after the heal the core had a leader, and elections after it. */
    electedAfterMs: -1,
    /** Liveness mode: how long after the core was free to vote (no member keeping a promise) it had a leader. */
    electedAfterFreeMs: -1,
    electionsAfterHeal: -1,
    /** Liveness mode: split votes in the core's election after the heal. */
    splitVotes: -1,
  };
  /** Called when some node applies a conf change (the nemesis retires removed nodes). */
  onConfChange: (cc: ConfChange) => void = () => {};
  /** The application on every node; set right after construction (fsm-*.ts), null for Raft only. */
  app: SimApp | null = null;

  constructor(
    readonly rng: SimRng,
    readonly opts: ClusterOptions,
  ) {
    const voters = Array.from({ length: opts.nodes }, (_, i) => i + 1);
    const boot = bootstrapLog(voters);
    for (const id of voters) {
      const disk = new MemoryStorage();
      disk.append(boot.entries);
      disk.setHardState(boot.hardState);
      this.checker.onPersistHardState(id, boot.hardState);
      const n = new SimNode(id, disk);
      this.nodes.set(id, n);
      this.start(n);
    }
    this.nextNodeId = opts.nodes + 1;
  }

  // ------------------------------------------------------------------ trace

  log(line: string): void {
    if (!this.traceOn) return;
    this.trace.push(`${(this.now / 1000).toFixed(3)}s ${line}`);
    if (this.trace.length > 1000) this.trace.splice(0, 500);
  }

  lastTrace(n: number): string[] {
    return this.trace.slice(-n);
  }

  // ------------------------------------------------------------------ node lifecycle

  private start(n: SimNode): void {
    const snap = n.disk.snapshot();
    // the application restores from its newest snapshot; the core replays the log after it
    const restored = decodeSnapshot(snap.data);
    n.applied = snap.metadata.index;
    n.hash = restored.hash;
    n.lastSnapshotApplied = snap.metadata.index;
    this.app?.restore(n, restored.app, snap.metadata.index);
    n.raw = new RawNode(
      {
        id: n.id,
        storage: n.disk,
        rng: this.rng.fork(),
        electionTimeoutTicks: ELECTION_TICKS,
        heartbeatTicks: 1,
        applied: snap.metadata.index,
        maxSizePerMsgBytes: this.opts.maxSizePerMsgBytes,
        maxInflightMsgs: this.opts.maxInflightMsgs,
        readOnlyOption: this.opts.readOnlyOption,
        leaseDriftTicks: 2,
      },
      this.opts.factory,
    );
    n.state = 'running';
    n.outstanding = null;
    n.pausedUntil = 0;
    n.crashInNextReady = false;
    n.crashAfterReadies = -1;
    n.wasLeader = false;
    // clocks run within ±5% of each other: well inside the lease's drift allowance
    n.tickMs = TICK_MS * (0.95 + this.rng.float() * 0.1);
    n.nextTickAt = this.now + this.rng.float() * n.tickMs;
    this.processReady(n);
  }

  crash(id: NodeId): void {
    const n = this.nodes.get(id);
    if (!n?.running) return;
    n.raw = null;
    n.outstanding = null;
    n.state = 'crashed';
    this.stats.crashes++;
    this.log(`n${id} CRASH (everything not persisted is lost)`);
    if (this.churnUntil > this.now) this.at(this.now + 50 + this.rng.float() * 1500, () => this.restart(id));
  }

  restart(id: NodeId): void {
    const n = this.nodes.get(id);
    if (n?.state !== 'crashed') return;
    this.log(`n${id} restart`);
    this.start(n);
  }

  /** A node that was removed from the configuration is shut down for good (its id is never reused). */
  retire(id: NodeId): void {
    const n = this.nodes.get(id);
    if (!n || n.state === 'removed') return;
    n.raw = null;
    n.outstanding = null;
    n.state = 'removed';
    this.log(`n${id} retired`);
  }

  /** A brand-new server with an empty disk, to be added as a learner. */
  addBlankNode(): SimNode {
    const id = this.nextNodeId++;
    const n = new SimNode(id, new MemoryStorage());
    this.nodes.set(id, n);
    this.start(n);
    this.log(`n${id} started empty`);
    return n;
  }

  pause(id: NodeId, ms: number): void {
    const n = this.nodes.get(id);
    if (!n?.running) return;
    n.pausedUntil = Math.max(n.pausedUntil, this.now + ms);
    this.log(`n${id} PAUSE for ${ms.toFixed(0)}ms`);
  }

  /**
   * Heals the network: no loss, duplication or delay spikes from now on, and packets still held
   * in a delay spike are lost (the slow path they were on is gone).
   */
  healNetwork(): void {
    this.faults.lossRate = 0;
    this.faults.duplicateRate = 0;
    this.faults.spikeRate = 0;
    this.faults.cut.clear();
    const horizon = this.now + 5;
    this.flights.filterTimed((time) => time <= horizon);
  }

  /** Cancels every pending timer (the nemesis's plans end when the liveness phase begins). */
  clearTimers(): void {
    this.timers.filter(() => false);
  }

  /** Runs `fn` at simulated time `time`. */
  at(time: number, fn: () => void): void {
    this.timers.push(time, fn);
  }

  // ------------------------------------------------------------------ queries

  running(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.running);
  }

  leader(): SimNode | null {
    let best: SimNode | null = null;
    for (const n of this.nodes.values()) {
      if (!n.running || n.raw?.raft.role !== 'leader') continue;
      if (best === null || n.raw.raft.term > (best.raw?.raft.term ?? 0)) best = n;
    }
    return best;
  }

  /** The configuration of the most up-to-date running node. */
  latestConfig(): { voters: NodeId[]; learners: NodeId[] } {
    let best: SimNode | null = null;
    for (const n of this.nodes.values()) {
      if (n.state === 'removed') continue;
      if (best === null || n.applied > best.applied) best = n;
    }
    const cs = best?.conf ?? { voters: [], learners: [] };
    return { voters: [...cs.voters], learners: [...cs.learners] };
  }

  /**
   * The voter sets node `n` may use: the one it applied (it campaigns and counts votes with its
   * own view) and what the conf changes already in its log but not yet applied make of it.
   */
  voterSetsOf(n: SimNode): NodeId[][] {
    const voters = new Set(n.conf.voters);
    const sets: NodeId[][] = [[...voters]];
    const lo = Math.max(n.applied + 1, n.disk.firstIndex());
    const hi = n.disk.lastIndex();
    if (lo <= hi) {
      for (const e of n.disk.entries(lo, hi + 1, Number.POSITIVE_INFINITY)) {
        if (e.type !== 'confChange') continue;
        const cc = decodeConfChange(e.data);
        if (!cc) continue;
        if (cc.type === 'addVoter') voters.add(cc.nodeId);
        else if (cc.type === 'removeNode') voters.delete(cc.nodeId);
        sets.push([...voters]);
      }
    }
    return sets.filter((v) => v.length > 0);
  }

  // ------------------------------------------------------------------ network

  private send(from: NodeId, m: Message): void {
    this.stats.msgs++;
    if (this.faults.cut.has(`${from}>${m.to}`) || this.rng.chance(this.faults.lossRate)) {
      this.stats.dropped++;
      // a snapshot is streamed: the sender's transport sees the stream fail (half the time; the
      // other half the core's snapshot timeout has to notice)
      if (m.type === 'snap' && this.rng.chance(0.5)) this.nodes.get(from)?.raw?.reportSnapshot(m.to, false);
      return;
    }
    if (m.type === 'snap') this.stats.snapshotsSent++;
    const copies = this.rng.chance(this.faults.duplicateRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = this.rng.chance(this.faults.spikeRate)
        ? this.rng.float() * this.faults.spikeMs
        : 0.2 + this.rng.float() * 3;
      this.flights.push(this.now + delay, { msg: m });
    }
  }

  // ------------------------------------------------------------------ client operations

  /** A client proposal to node `id`; returns false when refused (not leader, transfer...). */
  propose(id: NodeId): boolean {
    const n = this.nodes.get(id);
    if (!n?.raw || this.isPaused(n)) return false;
    const key = `p${this.nextProposal++}`;
    const r = n.raw.propose(encoder.encode(key));
    if (r.ok) {
      this.proposals.set(r.index, { key: `normal:${key}`, node: id });
      this.processReady(n);
    }
    return r.ok;
  }

  proposeConfChange(id: NodeId, cc: ConfChange): boolean {
    const n = this.nodes.get(id);
    if (!n?.raw || this.isPaused(n)) return false;
    const r = n.raw.proposeConfChange(cc);
    this.log(`n${id} propose conf change ${cc.type} ${cc.nodeId}: ${r.ok ? `index ${r.index}` : r.reason}`);
    if (r.ok) this.processReady(n);
    return r.ok;
  }

  /** A proposal of application data (SimApp clients); its index and term, or null when refused. */
  proposeData(id: NodeId, data: Uint8Array): { index: number; term: number } | null {
    const n = this.nodes.get(id);
    if (!n?.raw || this.isPaused(n)) return null;
    const r = n.raw.propose(data);
    if (!r.ok) return null;
    this.processReady(n);
    return { index: r.index, term: r.term };
  }

  /** A linearizable read at node `id`: its read index must cover everything committed before now. */
  read(id: NodeId): void {
    const n = this.nodes.get(id);
    if (!n?.raw || this.isPaused(n)) return;
    const ctx = `r${this.nextRead++}`;
    this.reads.set(ctx, { node: id, minIndex: this.checker.maxCommitted, at: this.now });
    n.raw.readIndex(ctx);
    this.processReady(n);
  }

  transfer(from: NodeId, to: NodeId): void {
    const n = this.nodes.get(from);
    if (!n?.raw || this.isPaused(n)) return;
    this.log(`n${from} transfer leadership to n${to}`);
    n.raw.transferLeadership(to);
    this.processReady(n);
  }

  /** Drops reads that can no longer be answered (the caller would time out and retry). */
  expireReads(olderThanMs: number): void {
    for (const [ctx, r] of this.reads) if (this.now - r.at > olderThanMs) this.reads.delete(ctx);
  }

  // ------------------------------------------------------------------ the event loop

  isPaused(n: SimNode): boolean {
    return n.pausedUntil > this.now;
  }

  /** Time of the next tick or message delivery. */
  nextEventTime(): number {
    let t = Math.min(this.flights.peekTime(), this.timers.peekTime(), this.fsyncs.peekTime());
    for (const n of this.nodes.values()) {
      if (!n.running) continue;
      const due = Math.max(n.nextTickAt, n.pausedUntil);
      if (due < t) t = due;
    }
    return t;
  }

  /** Runs every tick and delivery due up to `until`. */
  runUntil(until: number): void {
    for (;;) {
      const t = this.nextEventTime();
      if (t > until) break;
      // a node resuming from a pause has ticks due in the past: they run now, time never goes back
      this.now = Math.max(this.now, t);
      this.stepOnce();
    }
    this.now = until;
  }

  private stepOnce(): void {
    this.events++;
    while (this.timers.peekTime() <= this.now) this.timers.pop()?.value();
    while (this.fsyncs.peekTime() <= this.now) this.fsyncs.pop()?.value();
    // ticks first (a node resuming from a pause catches up on its clock before reading messages)
    for (const n of this.nodes.values()) {
      if (!n.running || this.isPaused(n)) continue;
      let caughtUp = 0;
      while (n.nextTickAt <= this.now && n.raw && caughtUp < 1000) {
        n.nextTickAt += n.tickMs;
        caughtUp++;
        n.raw.tick();
        this.processReady(n);
      }
    }
    while (this.flights.peekTime() <= this.now) {
      const f = this.flights.pop();
      if (f === undefined) break;
      const n = this.nodes.get(f.value.msg.to);
      if (!n?.running || !n.raw) continue;
      // a link cut while a packet was on it loses the packet
      if (this.faults.cut.has(`${f.value.msg.from}>${f.value.msg.to}`)) {
        this.stats.dropped++;
        continue;
      }
      if (this.isPaused(n)) {
        // a paused process reads its socket when it wakes up
        this.flights.push(n.pausedUntil + this.rng.float(), f.value);
        continue;
      }
      n.raw.step(f.value.msg);
      this.processReady(n);
    }
  }

  // ------------------------------------------------------------------ Ready handling

  processReady(n: SimNode): void {
    if (n.outstanding !== null) {
      this.takeEarly(n, n.outstanding.raw);
      return;
    }
    let guard = 0;
    while (n.outstanding === null && n.raw?.hasReady()) {
      if (++guard > 10_000) throw new Violation('liveness', `node ${n.id} produced Readys forever`);
      this.handleReady(n, n.raw, n.raw.ready());
    }
  }

  private handleReady(n: SimNode, raw: RawNode, rd: Ready): void {
    const raft = raw.raft;
    if (rd.softState) {
      const { role, lead } = rd.softState;
      this.log(`n${n.id} ${role} term ${raft.term} lead ${lead}`);
      if (role === 'candidate') this.stats.elections++;
    }
    if (n.crashAfterReadies === 0) n.crashInNextReady = true;
    if (n.crashAfterReadies >= 0) n.crashAfterReadies--;
    // a leader may send its appends while its own fsync runs (thesis §10.2.1)
    // A crash inside a Ready: either before the fsync returned (part of `messages` may be out,
    // nothing is durable) or after it (everything is durable, part of all messages is out).
    // leaders die at the moments that matter most, too: right after they advance the commit index
    const commitMoves = rd.hardState !== null && rd.hardState.commit > n.disk.initialState().hardState.commit;
    const silent = this.silentCrashOnLeadership && rd.softState?.role === 'leader';
    if (silent) this.silentCrashOnLeadership = false;
    const commitCrash =
      raft.role === 'leader' &&
      commitMoves &&
      (this.commitCrashNode === n.id || this.rng.chance(this.leaderCommitCrashChance));
    if (commitCrash && this.commitCrashNode === n.id) this.commitCrashNode = 0;
    const crashing = n.crashInNextReady || silent || commitCrash;
    const crashAfterFsync = silent || (crashing && this.rng.chance(0.5));
    if (crashing && !crashAfterFsync) {
      const sent = this.rng.nextInt(0, rd.messages.length + 1);
      for (const m of rd.messages.slice(0, sent)) this.send(n.id, m);
      this.log(`n${n.id} crashes before its fsync (sent ${sent} of ${rd.messages.length}, persisted nothing)`);
      this.crash(n.id);
      return;
    }

    const async = this.opts.asyncPersist;
    if (async !== undefined) {
      // as the node loop does: messages leave now, committed entries durable before this Ready
      // apply now, and the fsync completes later
      for (const m of rd.messages) this.send(n.id, m);
      if (rd.snapshot === null) {
        const firstNew = rd.entries[0]?.index ?? Number.POSITIVE_INFINITY;
        for (const e of rd.committedEntries) if (e.index < firstNew) this.apply(n, e);
      }
      const needsFsync = rd.entries.length > 0 || rd.snapshot !== null || (rd.hardState !== null && rd.mustSync);
      if (!needsFsync) {
        this.finishReady(n, raw, rd, crashAfterFsync, silent, true);
        return;
      }
      n.outstanding = { raw, rd, crashAfterFsync, silent };
      const complete = (): void => {
        if (n.outstanding?.raw !== raw || n.raw !== raw) return; // crashed meanwhile: nothing was durable
        if (this.isPaused(n)) {
          this.fsyncs.push(n.pausedUntil + async.rng.float(), complete);
          return;
        }
        n.outstanding = null;
        this.finishReady(n, raw, rd, crashAfterFsync, silent, true);
        this.processReady(n);
      };
      this.fsyncs.push(this.now + async.rng.float() * async.maxFsyncMs, complete);
      return;
    }
    this.finishReady(n, raw, rd, crashAfterFsync, silent, false);
  }

  /** RawNode.takeEarly() while a persist runs: send what may leave, apply what is durable. */
  private takeEarly(n: SimNode, raw: RawNode): void {
    if (n.raw !== raw) return;
    const early = raw.takeEarly();
    for (const m of early.messages) this.send(n.id, m);
    for (const e of early.committedEntries) this.apply(n, e);
  }

  /** The rest of a Ready once its fsync returns: persist, send, apply, advance. */
  private finishReady(
    n: SimNode,
    raw: RawNode,
    rd: Ready,
    crashAfterFsync: boolean,
    silent: boolean,
    messagesSent: boolean,
  ): void {
    const raft = raw.raft;
    // 1. persist
    if (rd.snapshot) {
      n.disk.applySnapshot(rd.snapshot);
      const s = decodeSnapshot(rd.snapshot.data);
      n.applied = rd.snapshot.metadata.index;
      n.hash = s.hash;
      n.lastSnapshotApplied = n.applied;
      this.app?.restore(n, s.app, n.applied);
      this.checker.onApplied(n.id, n.applied, n.hash);
      this.log(`n${n.id} installed snapshot at ${n.applied}`);
    }
    if (rd.entries.length > 0) {
      const termAt = (i: number) => safeTerm(n.disk, i);
      this.checker.onPersistEntries(n.id, raft.role === 'leader', rd.entries, n.disk.lastIndex(), termAt);
      n.disk.append(rd.entries);
    }
    if (rd.hardState) {
      const prevCommit = n.disk.initialState().hardState.commit;
      // the node loop does not write a hard state whose only change is the commit index
      const written = !messagesSent || rd.mustSync || rd.entries.length > 0 || rd.snapshot !== null;
      if (written) {
        this.checker.onPersistHardState(n.id, rd.hardState);
        n.disk.setHardState(rd.hardState);
      }
      for (let i = Math.max(prevCommit + 1, n.disk.firstIndex()); i <= rd.hardState.commit; i++) {
        const e = n.disk.entries(i, i + 1, Number.POSITIVE_INFINITY)[0] as Entry;
        this.checker.onCommitted(n.id, i, e.term, entryKey(e), rd.hardState.term);
      }
    }
    if (crashAfterFsync) {
      const afterPersist = rd.messagesAfterPersist.filter((m) => m.to !== n.id);
      const all = messagesSent ? afterPersist : [...rd.messages, ...afterPersist];
      const sent = silent ? 0 : this.rng.nextInt(0, all.length + 1);
      for (const m of all.slice(0, sent)) this.send(n.id, m);
      this.log(`n${n.id} crashes after its fsync (sent ${sent} of ${all.length})`);
      this.crash(n.id);
      return;
    }
    // 2. send (messagesAfterPersist only now that the persist above is done)
    if (!messagesSent) for (const m of rd.messages) this.send(n.id, m);
    for (const m of rd.messagesAfterPersist) if (m.to !== n.id) this.send(n.id, m);
    // 3. apply (asynchronously, what applied before the fsync is not applied twice)
    for (const e of rd.committedEntries) if (!messagesSent || e.index > n.applied) this.apply(n, e);
    for (const rs of rd.readStates) this.serveRead(n, rs.ctx, rs.index);
    raw.advance();

    // election safety and leader completeness, as soon as a node leads
    if (raft.role === 'leader') {
      this.checker.onLeader(n.id, raft.term);
      if (!n.wasLeader) {
        this.stats.leaderChanges++;
        if (this.churnUntil > this.now) n.crashAfterReadies = this.rng.nextInt(0, 3);
        else if (this.rng.chance(this.newLeaderCrashChance)) n.crashAfterReadies = this.rng.nextInt(0, 8);
        this.checker.onBecameLeader(n.id, raft.term, (i) => safeTerm(n.disk, i, raft), n.disk.firstIndex());
      }
    }
    n.wasLeader = raft.role === 'leader';
    n.conf = raft.confState();
    this.maybeSnapshot(n, raw);
  }

  private apply(n: SimNode, e: Entry): void {
    if (e.index !== n.applied + 1) {
      throw new Violation('apply order', `node ${n.id} applies ${e.index} after ${n.applied}`);
    }
    n.applied = e.index;
    n.hash = chainHash(n.hash, e);
    this.checker.onApplied(n.id, e.index, n.hash);
    const c = this.checker.committedEntry(e.index);
    if (c && (c.term !== e.term || c.key !== entryKey(e))) {
      throw new Violation('state machine safety', `node ${n.id} applies ${e.index} unlike the committed entry`);
    }
    const p = this.proposals.get(e.index);
    if (p && p.node === n.id) {
      this.proposals.delete(e.index);
      if (p.key === entryKey(e)) this.acked++;
    }
    if (e.type === 'confChange') {
      const cc = decodeConfChange(e.data);
      if (cc) {
        this.log(`n${n.id} applied conf change ${cc.type} ${cc.nodeId} at ${e.index}`);
        this.onConfChange(cc);
      }
    }
    this.app?.apply(n, e);
  }

  private serveRead(n: SimNode, ctx: string, index: number): void {
    const r = this.reads.get(ctx);
    if (!r) return;
    this.reads.delete(ctx);
    if (r.node !== n.id) throw new Violation('read index', `read ${ctx} for node ${r.node} answered at ${n.id}`);
    if (index < r.minIndex) {
      throw new Violation(
        'linearizable read',
        `node ${n.id} answered read ${ctx} at index ${index}, but ${r.minIndex} was committed before it was asked`,
      );
    }
    this.readsServed++;
  }

  private maybeSnapshot(n: SimNode, raw: RawNode): void {
    if (n.applied - n.lastSnapshotApplied < SNAPSHOT_EVERY) return;
    const cs = raw.raft.confState();
    n.disk.createSnapshot(
      n.applied,
      cs,
      encodeSnapshot({ index: n.applied, hash: n.hash, app: this.app?.snapshot(n) }),
    );
    n.disk.compact(n.applied - SNAPSHOT_KEEP);
    n.lastSnapshotApplied = n.applied;
  }
}

function safeTerm(
  disk: MemoryStorage,
  i: number,
  raft?: { log: { termOrThrow(i: number): number | null } },
): number | null {
  try {
    if (raft) return raft.log.termOrThrow(i);
    if (i === 0) return 0;
    return disk.term(i);
  } catch {
    return null;
  }
}

/** `app` is absent (and the JSON unchanged) in the Raft-only simulation. */
interface SimSnapshot {
  index: number;
  hash: number;
  app?: string | undefined;
}

function encodeSnapshot(s: SimSnapshot): Uint8Array {
  return encoder.encode(JSON.stringify(s));
}

function decodeSnapshot(data: Uint8Array): SimSnapshot {
  if (data.length === 0) return { index: 0, hash: 0 };
  return JSON.parse(decoder.decode(data)) as SimSnapshot;
}

export { NONE };
