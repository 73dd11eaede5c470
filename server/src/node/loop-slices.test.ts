/**
 * Applying a long run of expensive committed entries must not silence the cluster (issue 8,
 * workload 7: 100 sessions holding 1,000 locks each closed together; every node applied the
 * closes in one 336 ms stretch, and the followers' 350 ms election timeouts ran out). Here the
 * state machine moves the injected clock on by APPLY_COST_MS per entry, as a busy CPU would, and
 * 60 entries cost 2.4 election timeouts on every node. Sliced, the nodes keep ticking and
 * heartbeating between slices and the leader stays; unsliced (the control), the same entries
 * cost an election — which shows the test can fail.
 *
 * The same for a snapshot's encoding (60–190 ms at 100,000 held locks, several times that on a
 * loaded machine): run in steps between the loop's other work, with nothing applied meanwhile so
 * the bytes are the state at the snapshot's index.
 *
 * And the order within a Ready on the leader: its appends are handed to the network before its
 * own fsync starts, so the followers' fsyncs (the longer leg of a commit) start first. And a
 * proposal lost with a deposed leader's log is answered, even when that leader's next proposal
 * lands on its index.
 */
import { describe, expect, it } from 'vitest';
import { bootstrapLog, decodeConfChange } from '../raft/confchange.js';
import type { ConfState, Entry, Message, NodeId, Snapshot } from '../raft/types.js';
import { ManualClock } from './clock.js';
import { silentLogger } from './logger.js';
import { MemoryNodeStorage, type PersistUpdate } from './node-storage.js';
import { APPLY_SLICE_MS, RaftNode, type RaftTransport, type StateMachine } from './raft-node.js';
import { seededRng, stopWhileTicking, useVirtualTimers, virtualAdvance } from './virtual-cluster.testing.js';

const IDS: readonly NodeId[] = [1, 2, 3];
const TICK_MS = 10;
const ELECTION_TICKS = 10; // 100–200 ms with the default jitter
const APPLY_COST_MS = 8;
const ENTRIES = 60; // 480 ms of applying on every node
/** A learner added and removed while the cluster works (membership changes among the entries). */
const LEARNER: NodeId = 9;

interface MachineCosts {
  /** Clock milliseconds per applied entry. */
  readonly applyMs: number;
  /** A snapshot's encoding: this many steps of stepMs each. */
  readonly snapshotSteps: number;
  readonly snapshotStepMs: number;
  /** Whether the machine offers snapshotSteps() (else its snapshot() is one long stretch). */
  readonly sliced: boolean;
}

const COSTLY_APPLY: MachineCosts = { applyMs: APPLY_COST_MS, snapshotSteps: 0, snapshotStepMs: 0, sliced: true };

/** Applies and snapshots by moving the clock on, as if the work took that much CPU. */
class CostlyMachine implements StateMachine<number> {
  readonly applied: number[] = [];
  /** Entries applied while a snapshot was being encoded: must stay 0. */
  appliedWhileEncoding = 0;
  encodings = 0;
  private encoding = false;
  readonly snapshotSteps?: () => Generator<void, Uint8Array, void>;

  constructor(
    private readonly clock: ManualClock,
    private readonly costs: MachineCosts,
  ) {
    if (costs.sliced) this.snapshotSteps = () => this.encode();
  }

  apply(entry: Entry): number {
    if (this.encoding) this.appliedWhileEncoding++;
    this.clock.advance(this.costs.applyMs);
    this.applied.push(entry.index);
    return entry.index;
  }

  snapshot(): Uint8Array {
    const steps = this.encode();
    for (;;) {
      const r = steps.next();
      if (r.done === true) return r.value;
    }
  }

  /** Whether LEARNER is a member, as the applied membership changes say. */
  learner = false;
  /** The node applying into this machine (its applied index is what a snapshot must encode). */
  node: RaftNode<number> | null = null;

  applyConfChange(entry: Entry): void {
    const cc = decodeConfChange(entry.data);
    if (cc?.nodeId === LEARNER) this.learner = cc.type === 'addLearner';
  }

  /** The bytes: the node's applied index at the start, and whether LEARNER was a member. */
  private *encode(): Generator<void, Uint8Array, void> {
    this.encoding = true;
    this.encodings++;
    const at = this.node?.applied ?? -1;
    const learner = this.learner;
    for (let i = 0; i < this.costs.snapshotSteps; i++) {
      this.clock.advance(this.costs.snapshotStepMs);
      yield;
    }
    this.encoding = false;
    return new Uint8Array(new Float64Array([at, learner ? 1 : 0]).buffer);
  }

  restore(): void {}
}

interface Cluster {
  readonly clock: ManualClock;
  readonly nodes: RaftNode<number>[];
  readonly machines: CostlyMachine[];
  readonly storages: RecordingStorage[];
  /** Nodes cut off: nothing they send or are sent is delivered. */
  readonly cut: Set<NodeId>;
  advance(ms: number): Promise<void>;
  stop(): Promise<void>;
}

/** What each node's transport and disk saw, in order: appends queued, flushNow, persists. */
type Event = 'send app' | 'flush' | 'persist entries';

class RecordingStorage extends MemoryNodeStorage {
  /** Every snapshot written: its index, configuration and the state machine's bytes. */
  readonly written: { index: number; confState: ConfState; data: Uint8Array }[] = [];
  constructor(readonly events: Event[]) {
    super();
  }
  override persist(update: PersistUpdate): Promise<void> {
    if (update.entries.length > 0) this.events.push('persist entries');
    return super.persist(update);
  }
  override createSnapshot(index: number, confState: ConfState, data: Uint8Array): Promise<Snapshot> {
    this.written.push({ index, confState, data });
    return super.createSnapshot(index, confState, data);
  }
}

interface ClusterOptions {
  readonly applySliceMs?: number;
  readonly events?: Map<NodeId, Event[]>;
  readonly costs?: MachineCosts;
  readonly snapshotEveryEntries?: number;
}

async function start(opts: ClusterOptions = {}): Promise<Cluster> {
  const { applySliceMs, events = new Map<NodeId, Event[]>(), costs = COSTLY_APPLY } = opts;
  const clock = new ManualClock();
  const handlers = new Map<NodeId, (m: Message[]) => void>();
  const nodes: RaftNode<number>[] = [];
  const machines: CostlyMachine[] = [];
  const storages: RecordingStorage[] = [];
  const cut = new Set<NodeId>();
  const rng = seededRng(11);
  for (const id of IDS) {
    const log: Event[] = [];
    events.set(id, log);
    const storage = new RecordingStorage(log);
    storages.push(storage);
    const boot = bootstrapLog([...IDS]);
    await storage.persist({ entries: boot.entries, hardState: boot.hardState, snapshot: null });
    const transport: RaftTransport = {
      send: (msgs) => {
        if (msgs.some((m) => m.type === 'app')) log.push('send app');
        const byPeer = new Map<NodeId, Message[]>();
        for (const m of msgs) byPeer.set(m.to, [...(byPeer.get(m.to) ?? []), m]);
        // delivered in the next turn of the loop, in order with the nodes' own yields (fake
        // timers run every immediate due now, so a timeout would wait out a whole stretch)
        for (const [to, batch] of byPeer) {
          if (cut.has(id) || cut.has(to)) continue;
          setImmediate(() => handlers.get(to)?.(batch));
        }
      },
      onReceive: (h) => {
        handlers.set(id, h);
      },
      onUnreachable: () => {},
      flushNow: () => {
        log.push('flush');
      },
    };
    const machine = new CostlyMachine(clock, costs);
    machines.push(machine);
    const node = new RaftNode<number>({
      id,
      storage,
      transport,
      stateMachine: machine,
      clock,
      rng,
      logger: silentLogger(),
      tickMs: TICK_MS,
      electionTimeoutTicks: ELECTION_TICKS,
      heartbeatTicks: 1,
      snapshotEveryEntries: opts.snapshotEveryEntries ?? 1_000_000,
      readTimeoutMs: 1_000,
      ...(applySliceMs === undefined ? {} : { applySliceMs }),
    });
    machine.node = node;
    nodes.push(node);
  }
  for (const n of nodes) n.start();
  const advance = virtualAdvance(clock);
  return {
    clock,
    nodes,
    machines,
    storages,
    cut,
    advance,
    stop: () => stopWhileTicking(nodes, advance),
  };
}

/** Ticks until a leader with a lease exists, then until its first entry is applied everywhere. */
async function electLeader(c: Cluster): Promise<RaftNode<number>> {
  for (let i = 0; i < 500; i++) {
    await c.advance(TICK_MS);
    const leader = c.nodes.find((n) => n.isLeader && n.leaseRemainingMs() > 0);
    if (leader !== undefined) {
      await c.advance(5 * TICK_MS);
      return leader;
    }
  }
  throw new Error('no leader within 500 ticks');
}

function term(c: Cluster): number {
  return Math.max(...c.nodes.map((n) => n.status().hardState.term));
}

/** Elects a leader, proposes ENTRIES costly entries at once, runs until all nodes applied them. */
async function costlyBurst(
  applySliceMs: number | undefined,
): Promise<{ termBefore: number; termAfter: number; c: Cluster }> {
  const c = await start({ applySliceMs });
  const leader = await electLeader(c);
  const termBefore = term(c);
  const first = leader.applied + 1;
  const outcomes = Array.from({ length: ENTRIES }, (_, i) =>
    leader.propose(new Uint8Array([i + 1])).then(
      (index) => index,
      () => -1,
    ),
  );
  const last = first + ENTRIES - 1;
  for (let i = 0; i < 20_000 && c.nodes.some((n) => n.applied < last); i++) await c.advance(1);
  await c.advance(30 * TICK_MS); // anything the stretch set off (an election) has happened by now
  const results = await Promise.all(outcomes);
  if (term(c) === termBefore) {
    // every proposal committed at its own index, and every node applied them once, in order
    expect(results).toEqual(Array.from({ length: ENTRIES }, (_, i) => first + i));
    for (const m of c.machines) {
      const burst = m.applied.filter((x) => x >= first && x <= last);
      expect(burst).toEqual(Array.from({ length: ENTRIES }, (_, i) => first + i));
    }
  }
  return { termBefore, termAfter: term(c), c };
}

useVirtualTimers();

describe('applying committed entries in slices', () => {
  it('a burst of entries that takes longer to apply than an election timeout costs no election', async () => {
    const { termBefore, termAfter, c } = await costlyBurst(undefined);
    expect(APPLY_SLICE_MS).toBeLessThan(TICK_MS * ELECTION_TICKS);
    expect(termAfter).toBe(termBefore);
    await c.stop();
  });

  it('control: applied in one stretch, the same burst costs an election', async () => {
    const { termBefore, termAfter, c } = await costlyBurst(Number.POSITIVE_INFINITY);
    expect(termAfter).toBeGreaterThan(termBefore);
    await c.stop();
  });
});

describe('the order of a Ready on the leader', () => {
  it("the appends are written to the network before the leader's own fsync starts", async () => {
    const events = new Map<NodeId, Event[]>();
    const c = await start({ events });
    const leader = await electLeader(c);
    const log = events.get(leader.id) as Event[];
    log.length = 0;
    const done = leader.propose(new Uint8Array([1]));
    await c.advance(5 * TICK_MS);
    await done;
    // the proposal's Ready: its appends queued, written at once, and only then the fsync
    expect(log.slice(0, 3)).toEqual(['send app', 'flush', 'persist entries']);
    await c.stop();
  });
});

describe('encoding a snapshot in steps', () => {
  /** 60 steps of 8 ms: each snapshot's encoding takes 2.4 to 4.8 election timeouts. */
  const SLOW_SNAPSHOT = { applyMs: 0, snapshotSteps: 60, snapshotStepMs: 8 };

  /** Every node snapshots every 20 entries (the leader every 80): 100 writes, 5 at a time. */
  async function writesWithSnapshots(sliced: boolean): Promise<{ termBefore: number; c: Cluster }> {
    const c = await start({ costs: { ...SLOW_SNAPSHOT, sliced }, snapshotEveryEntries: 20 });
    const leader = await electLeader(c);
    const termBefore = term(c);
    for (let i = 0; i < 20; i++) {
      let done = false;
      void Promise.all(
        Array.from({ length: 5 }, (_, k) => leader.propose(new Uint8Array([i, k])).catch(() => -1)),
      ).then(() => {
        done = true;
      });
      for (let t = 0; t < 5_000 && !done; t++) await c.advance(1);
    }
    await c.advance(30 * TICK_MS);
    return { termBefore, c };
  }

  it('no election, nothing applied while a snapshot is encoded, each snapshot names its index', async () => {
    const { termBefore, c } = await writesWithSnapshots(true);
    expect(term(c)).toBe(termBefore);
    for (const [i, m] of c.machines.entries()) {
      expect(m.encodings).toBeGreaterThan(0);
      expect(m.appliedWhileEncoding).toBe(0);
      const snap = (c.storages[i] as RecordingStorage).snapshot();
      // the state encoded is the state at the snapshot's index: nothing slipped in between
      expect(new Float64Array(snap.data.slice().buffer)[0]).toBe(snap.metadata.index);
    }
    await c.stop();
  });

  it('control: encoded in one stretch, the same snapshots cost an election', async () => {
    const { termBefore, c } = await writesWithSnapshots(false);
    expect(term(c)).toBeGreaterThan(termBefore);
    await c.stop();
  });

  it('membership changes among costly entries: every snapshot is the state and configuration at its index', async () => {
    const c = await start({
      costs: { applyMs: 3, snapshotSteps: 5, snapshotStepMs: 4, sliced: true },
      snapshotEveryEntries: 8,
    });
    const leader = await electLeader(c);
    const li = c.nodes.indexOf(leader);
    let stop = false;
    const writer = (async () => {
      for (let round = 0; round < 10_000 && !stop; round++) {
        await Promise.all(Array.from({ length: 7 }, (_, k) => leader.propose(new Uint8Array([k])).catch(() => -1)));
      }
    })();
    for (let i = 0; i < 12; i++) {
      const add = i % 2 === 0;
      let settled = false;
      const change = leader
        .proposeConfChange({ type: add ? 'addLearner' : 'removeNode', nodeId: LEARNER })
        .finally(() => {
          settled = true;
        });
      for (let t = 0; t < 5_000 && !settled; t++) await c.advance(1);
      await change;
      // answered once both the core and the state machine have it
      expect(leader.status().confState.learners.includes(LEARNER)).toBe(add);
      expect((c.machines[li] as CostlyMachine).learner).toBe(add);
    }
    stop = true;
    for (let t = 0; t < 2_000; t++) await c.advance(1);
    await writer;
    for (const storage of c.storages) {
      expect(storage.written.length).toBeGreaterThan(3);
      for (const w of storage.written) {
        const [at, learner] = new Float64Array(w.data.slice().buffer);
        expect(at).toBe(w.index);
        expect(learner === 1).toBe(w.confState.learners.includes(LEARNER));
      }
    }
    await c.stop();
  });
});

describe('proposal waiters across a change of leader', () => {
  it("a proposal lost with its leader's log is answered UNAVAILABLE, also when the index is reused", async () => {
    const c = await start({ costs: { applyMs: 0, snapshotSteps: 0, snapshotStepMs: 0, sliced: true } });
    const first = await electLeader(c);
    // cut off, the leader takes three proposals that never leave it
    c.cut.add(first.id);
    const settled: string[] = [];
    const lost = [1, 2, 3].map((k) =>
      first.propose(new Uint8Array([k])).then(
        () => settled.push(`${k} applied`),
        (err: Error) => settled.push(`${k} ${(err as { code?: string }).code}`),
      ),
    );
    let second: RaftNode<number> | undefined;
    for (let i = 0; i < 500 && second === undefined; i++) {
      await c.advance(TICK_MS);
      second = c.nodes.find((n) => n !== first && n.isLeader && n.leaseRemainingMs() > 0);
    }
    if (second === undefined) throw new Error('no second leader');
    // back: its log is cut to the second leader's, and office goes back to it in a new term
    c.cut.clear();
    await c.advance(20 * TICK_MS);
    second.transferLeadership(first.id);
    await c.advance(40 * TICK_MS);
    expect(first.isLeader).toBe(true);
    // its next proposal reuses the index of one of the lost ones
    let fresh = -1;
    void first.propose(new Uint8Array([4])).then((index) => {
      fresh = index;
    });
    for (let t = 0; t < 50 && (settled.length < lost.length || fresh < 0); t++) await c.advance(TICK_MS);
    expect(fresh).toBeGreaterThan(0);
    expect(settled.sort()).toEqual(['1 UNAVAILABLE', '2 UNAVAILABLE', '3 UNAVAILABLE']);
    await c.stop();
  });
});
