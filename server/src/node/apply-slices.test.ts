/**
 * Applying a long run of expensive committed entries must not silence the cluster (issue 8,
 * workload 7: 100 sessions holding 1,000 locks each closed together; every node applied the
 * closes in one 336 ms stretch, and the followers' 350 ms election timeouts ran out). Here the
 * state machine moves the injected clock on by APPLY_COST_MS per entry, as a busy CPU would, and
 * 60 entries cost 2.4 election timeouts on every node. Sliced, the nodes keep ticking and
 * heartbeating between slices and the leader stays; unsliced (the control), the same entries
 * cost an election — which shows the test can fail.
 *
 * And the order within a Ready on the leader: its appends are handed to the network before its
 * own fsync starts, so the followers' fsyncs (the longer leg of a commit) start first.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { bootstrapLog } from '../raft/confchange.js';
import type { Entry, Message, NodeId } from '../raft/types.js';
import { ManualClock } from './clock.js';
import { silentLogger } from './logger.js';
import { MemoryNodeStorage, type PersistUpdate } from './node-storage.js';
import { APPLY_SLICE_MS, RaftNode, type RaftTransport, type StateMachine } from './raft-node.js';
import { seededRng } from './virtual-cluster.testing.js';

const IDS: readonly NodeId[] = [1, 2, 3];
const TICK_MS = 10;
const ELECTION_TICKS = 10; // 100–200 ms with the default jitter
const APPLY_COST_MS = 8;
const ENTRIES = 60; // 480 ms of applying on every node

/** Applies by moving the clock on, as if the entry took APPLY_COST_MS of CPU. */
class CostlyMachine implements StateMachine<number> {
  readonly applied: number[] = [];
  constructor(private readonly clock: ManualClock) {}
  apply(entry: Entry): number {
    this.clock.advance(APPLY_COST_MS);
    this.applied.push(entry.index);
    return entry.index;
  }
  snapshot(): Uint8Array {
    return new Uint8Array(0);
  }
  restore(): void {}
}

interface Cluster {
  readonly clock: ManualClock;
  readonly nodes: RaftNode<number>[];
  readonly machines: CostlyMachine[];
  advance(ms: number): Promise<void>;
  stop(): Promise<void>;
}

/** What each node's transport and disk saw, in order: appends queued, flushNow, persists. */
type Event = 'send app' | 'flush' | 'persist entries';

class RecordingStorage extends MemoryNodeStorage {
  constructor(readonly events: Event[]) {
    super();
  }
  override persist(update: PersistUpdate): Promise<void> {
    if (update.entries.length > 0) this.events.push('persist entries');
    return super.persist(update);
  }
}

async function start(applySliceMs: number | undefined, events: Map<NodeId, Event[]> = new Map()): Promise<Cluster> {
  const clock = new ManualClock();
  const handlers = new Map<NodeId, (m: Message[]) => void>();
  const nodes: RaftNode<number>[] = [];
  const machines: CostlyMachine[] = [];
  const rng = seededRng(11);
  for (const id of IDS) {
    const log: Event[] = [];
    events.set(id, log);
    const storage = new RecordingStorage(log);
    const boot = bootstrapLog([...IDS]);
    await storage.persist({ entries: boot.entries, hardState: boot.hardState, snapshot: null });
    const transport: RaftTransport = {
      send: (msgs) => {
        if (msgs.some((m) => m.type === 'app')) log.push('send app');
        const byPeer = new Map<NodeId, Message[]>();
        for (const m of msgs) byPeer.set(m.to, [...(byPeer.get(m.to) ?? []), m]);
        // delivered in the next turn of the loop, in order with the nodes' own yields (fake
        // timers run every immediate due now, so a timeout would wait out a whole stretch)
        for (const [to, batch] of byPeer) setImmediate(() => handlers.get(to)?.(batch));
      },
      onReceive: (h) => {
        handlers.set(id, h);
      },
      onUnreachable: () => {},
      flushNow: () => {
        log.push('flush');
      },
    };
    const machine = new CostlyMachine(clock);
    machines.push(machine);
    nodes.push(
      new RaftNode<number>({
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
        snapshotEveryEntries: 1_000_000,
        readTimeoutMs: 1_000,
        ...(applySliceMs === undefined ? {} : { applySliceMs }),
      }),
    );
  }
  for (const n of nodes) n.start();
  const advance = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t++) {
      clock.advance(1);
      await vi.advanceTimersByTimeAsync(1);
    }
  };
  return {
    clock,
    nodes,
    machines,
    advance,
    stop: async () => {
      let stopped = false;
      const stopping = Promise.all(nodes.map((n) => n.stop())).then(() => {
        stopped = true;
      });
      for (let i = 0; i < 10_000 && !stopped; i++) await advance(1);
      await stopping;
    },
  };
}

function term(c: Cluster): number {
  return Math.max(...c.nodes.map((n) => n.status().hardState.term));
}

/** Elects a leader, proposes ENTRIES costly entries at once, runs until all nodes applied them. */
async function costlyBurst(
  applySliceMs: number | undefined,
): Promise<{ termBefore: number; termAfter: number; c: Cluster }> {
  const c = await start(applySliceMs);
  let leader: RaftNode<number> | undefined;
  for (let i = 0; i < 500 && leader === undefined; i++) {
    await c.advance(TICK_MS);
    leader = c.nodes.find((n) => n.isLeader && n.leaseRemainingMs() > 0);
  }
  if (leader === undefined) throw new Error('no leader within 500 ticks');
  await c.advance(5 * TICK_MS); // the leader's first entry committed and applied everywhere
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

describe('applying committed entries in slices', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

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
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("the appends are written to the network before the leader's own fsync starts", async () => {
    const events = new Map<NodeId, Event[]>();
    const c = await start(undefined, events);
    let leader: RaftNode<number> | undefined;
    for (let i = 0; i < 500 && leader === undefined; i++) {
      await c.advance(TICK_MS);
      leader = c.nodes.find((n) => n.isLeader && n.leaseRemainingMs() > 0);
    }
    if (leader === undefined) throw new Error('no leader within 500 ticks');
    await c.advance(5 * TICK_MS);
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
