/**
 * The node loop's pipeline, measured in virtual time: three Coordinators whose disk takes
 * PERSIST_MS per persist and whose network takes NET_MS per message, on a manual clock with fake
 * timers. Writers on the leader submit in a closed loop; the latency of a write is counted in
 * virtual milliseconds, so the number depends on the loop's structure (how many persists a write
 * waits for), not on the machine running the test.
 *
 * A write must wait for one persist on a quorum and two network hops. A loop that held back
 * appends or applies until its own fsync returned would add up to a persist per step.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { bootstrapLog } from '../raft/confchange.js';
import type { Message, NodeId } from '../raft/types.js';
import { ManualClock } from './clock.js';
import { Coordinator } from './coordinator.js';
import { silentLogger } from './logger.js';
import { MemoryNodeStorage, type PersistUpdate } from './node-storage.js';
import type { RaftTransport } from './raft-node.js';

const TICK_MS = 10;
const PERSIST_MS = 8;
const NET_MS = 1;
const IDS = [1, 2, 3];

class SlowDisk extends MemoryNodeStorage {
  override async persist(update: PersistUpdate): Promise<void> {
    await new Promise((r) => setTimeout(r, PERSIST_MS));
    await super.persist(update);
  }
}

function transport(handlers: Map<NodeId, (m: Message[]) => void>, id: NodeId): RaftTransport {
  return {
    send: (msgs) => {
      // one frame per destination per send, delivered NET_MS later
      const byPeer = new Map<NodeId, Message[]>();
      for (const m of msgs) byPeer.set(m.to, [...(byPeer.get(m.to) ?? []), m]);
      for (const [to, batch] of byPeer) setTimeout(() => handlers.get(to)?.(batch), NET_MS);
    },
    onReceive: (h) => {
      handlers.set(id, h);
    },
    onUnreachable: () => {},
  };
}

let seed = 7;
const rng = {
  nextInt: (min: number, max: number) => {
    // glibc's LCG in 32-bit arithmetic; the high bits, which have the long period
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return min + ((seed >>> 16) % Math.max(1, max - min));
  },
};

async function writeLatencies(writers: number, writesEach: number): Promise<number[]> {
  const clock = new ManualClock();
  const handlers = new Map<NodeId, (m: Message[]) => void>();
  const nodes: Coordinator[] = [];
  for (const id of IDS) {
    const storage = new SlowDisk();
    const boot = bootstrapLog(IDS);
    // the bootstrap is on disk before the clock starts
    await MemoryNodeStorage.prototype.persist.call(storage, {
      entries: boot.entries,
      hardState: boot.hardState,
      snapshot: null,
    });
    nodes.push(
      new Coordinator({
        id,
        storage,
        transport: transport(handlers, id),
        clock,
        rng,
        logger: silentLogger(),
        tickMs: TICK_MS,
        electionTimeoutTicks: 10,
        heartbeatTicks: 1,
        snapshotEveryEntries: 100_000,
        readTimeoutMs: 1_000,
      }),
    );
  }
  for (const n of nodes) n.start();
  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t++) {
      clock.advance(1);
      await vi.advanceTimersByTimeAsync(1);
    }
  };
  let leader: Coordinator | undefined;
  for (let i = 0; i < 500 && leader === undefined; i++) {
    await advance(TICK_MS);
    leader = nodes.find((n) => n.node.isLeader && n.node.leaseRemainingMs() > 0);
  }
  if (leader === undefined) throw new Error('no leader');
  const l = leader;
  const latencies: number[] = [];
  let done = 0;
  const loops = Array.from({ length: writers }, async (_, w) => {
    const open = await l.submit(`w${w}`, 1, { op: 'openSession', ttlMs: 60_000 });
    if (!open.ok) throw new Error('open failed');
    for (let i = 0; i < writesEach; i++) {
      // writers out of step, as real clients are: proposals arrive while persists run
      await new Promise((r) => setTimeout(r, rng.nextInt(0, PERSIST_MS)));
      const t0 = clock.monotonicMs();
      const r = await l.submit(`w${w}`, i + 2, { op: 'closeSession', sessionId: 999_999 });
      if (r.ok) throw new Error('closing an unknown session must fail');
      latencies.push(clock.monotonicMs() - t0);
    }
    done++;
  });
  for (let i = 0; i < 100_000 && done < writers; i++) await advance(1);
  await Promise.all(loops);
  // stopping waits (on timers) for a Ready in flight: keep time moving meanwhile
  let stopped = false;
  const stopping = Promise.all(nodes.map((n) => n.stop())).then(() => {
    stopped = true;
  });
  for (let i = 0; i < 1_000 && !stopped; i++) await advance(1);
  await stopping;
  return latencies;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

describe('the node loop pipeline (virtual time)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a lone write waits for one persist and two hops', async () => {
    const lat = await writeLatencies(1, 20);
    console.log(
      `1 writer: p50 ${percentile(lat, 50)} ms, p90 ${percentile(lat, 90)} ms (persist ${PERSIST_MS} ms, hop ${NET_MS} ms)`,
    );
    expect(percentile(lat, 50)).toBeLessThanOrEqual(PERSIST_MS + 2 * NET_MS + 4);
  });

  it('under a steady stream of writes, a write still waits for about one persist, not two or three', async () => {
    const lat = await writeLatencies(8, 40);
    const p50 = percentile(lat, 50);
    console.log(`8 writers: p50 ${p50} ms, p90 ${percentile(lat, 90)} ms (persist ${PERSIST_MS} ms, hop ${NET_MS} ms)`);
    // one persist on the followers, up to one more while a follower finishes the persist before
    // it, two hops; never the leader's own fsync on top of that
    expect(p50).toBeLessThanOrEqual(2 * PERSIST_MS + 2 * NET_MS + 2);
  });
});
