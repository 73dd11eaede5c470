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
import { describe, expect, it } from 'vitest';
import { MemoryNodeStorage, type PersistUpdate } from './node-storage.js';
import { seededRng, startVirtualCluster, useVirtualTimers } from './virtual-cluster.testing.js';

const TICK_MS = 10;
const PERSIST_MS = 8;
const NET_MS = 1;

class SlowDisk extends MemoryNodeStorage {
  override async persist(update: PersistUpdate): Promise<void> {
    await new Promise((r) => setTimeout(r, PERSIST_MS));
    await super.persist(update);
  }
}

async function writeLatencies(writers: number, writesEach: number): Promise<number[]> {
  const rng = seededRng(7);
  const cluster = await startVirtualCluster(
    { tickMs: TICK_MS, netMs: NET_MS, snapshotEveryEntries: 100_000, storage: () => new SlowDisk() },
    rng,
  );
  const l = await cluster.leader();
  const latencies: number[] = [];
  let done = 0;
  const loops = Array.from({ length: writers }, async (_, w) => {
    const open = await l.submit(`w${w}`, 1, { op: 'openSession', ttlMs: 60_000 });
    if (!open.ok) throw new Error('open failed');
    for (let i = 0; i < writesEach; i++) {
      // writers out of step, as real clients are: proposals arrive while persists run
      await new Promise((r) => setTimeout(r, rng.nextInt(0, PERSIST_MS)));
      const t0 = cluster.clock.monotonicMs();
      const r = await l.submit(`w${w}`, i + 2, { op: 'closeSession', sessionId: 999_999 });
      if (r.ok) throw new Error('closing an unknown session must fail');
      latencies.push(cluster.clock.monotonicMs() - t0);
    }
    done++;
  });
  for (let i = 0; i < 100_000 && done < writers; i++) await cluster.advance(1);
  await Promise.all(loops);
  await cluster.stop();
  return latencies;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

describe('the node loop pipeline (virtual time)', () => {
  useVirtualTimers();

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
