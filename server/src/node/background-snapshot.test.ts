/**
 * A snapshot's disk work must not stall the node loop (issue 8, workload 6: opening 10,000
 * sessions failed near the 10,000th entry, where the nodes took their first snapshot). Here a
 * snapshot takes far longer to write than an election timeout, in virtual time: writes must keep
 * completing at their usual pace meanwhile, and no leader may change.
 */

import { describe, expect, it } from 'vitest';
import type { ConfState, Snapshot } from '../raft/types.js';
import type { Coordinator } from './coordinator.js';
import { MemoryNodeStorage, type PersistUpdate } from './node-storage.js';
import { LEADER_SNAPSHOT_SPACING, snapshotDue } from './raft-node.js';
import { startVirtualCluster, useVirtualTimers, type VirtualCluster } from './virtual-cluster.testing.js';

const TICK_MS = 10;
const PERSIST_MS = 4;
const NET_MS = 1;
/** Five to ten election timeouts (10 ticks of 10 ms, randomized up to twice that): a very slow disk. */
const SNAPSHOT_WRITE_MS = 1_000;
const SNAPSHOT_EVERY_ENTRIES = 40;

class SlowSnapshotDisk extends MemoryNodeStorage {
  snapshotsStarted = 0;
  snapshotsDone = 0;
  failSnapshots = false;

  override async persist(update: PersistUpdate): Promise<void> {
    await new Promise((r) => setTimeout(r, PERSIST_MS));
    await super.persist(update);
  }

  override async createSnapshot(index: number, confState: ConfState, data: Uint8Array): Promise<Snapshot> {
    this.snapshotsStarted += 1;
    await new Promise((r) => setTimeout(r, SNAPSHOT_WRITE_MS));
    if (this.failSnapshots) throw Object.assign(new Error('disk full'), { code: 'SNAPSHOT_WRITE_FAILED' });
    const snap = await super.createSnapshot(index, confState, data);
    this.snapshotsDone += 1;
    return snap;
  }
}

class CountingDisk extends MemoryNodeStorage {
  snapshots = 0;
  readonly indexes: number[] = [];

  override async createSnapshot(index: number, confState: ConfState, data: Uint8Array): Promise<Snapshot> {
    this.snapshots += 1;
    this.indexes.push(index);
    return super.createSnapshot(index, confState, data);
  }
}

function term(c: VirtualCluster): number {
  return Math.max(...c.nodes.map((n) => n.node.status().hardState.term));
}

/** A cluster whose disks count the snapshots they write, with its leader. */
async function countingCluster(): Promise<{ cluster: VirtualCluster; disks: CountingDisk[]; leader: Coordinator }> {
  const disks: CountingDisk[] = [];
  const cluster = await startVirtualCluster({
    tickMs: TICK_MS,
    netMs: NET_MS,
    snapshotEveryEntries: SNAPSHOT_EVERY_ENTRIES,
    storage: () => {
      const d = new CountingDisk();
      disks.push(d);
      return d;
    },
  });
  return { cluster, disks, leader: await cluster.leader() };
}

/** `count` entries through the leader, each applied before the next is submitted (bounded). */
async function writeOneByOne(cluster: VirtualCluster, leader: Coordinator, count: number): Promise<void> {
  for (let seq = 1; seq <= count; seq++) {
    let done = false;
    void leader
      .submit('w', seq, seq === 1 ? { op: 'openSession', ttlMs: 60_000 } : { op: 'closeSession', sessionId: 1 })
      .finally(() => {
        done = true;
      });
    for (let t = 0; t < 1_000 && !done; t++) await cluster.advance(1);
  }
}

describe('snapshots are written in the background', () => {
  useVirtualTimers();

  it('writes keep completing and the leader stays while snapshots take several election timeouts to write', async () => {
    const disks: SlowSnapshotDisk[] = [];
    const cluster = await startVirtualCluster({
      tickMs: TICK_MS,
      netMs: NET_MS,
      snapshotEveryEntries: SNAPSHOT_EVERY_ENTRIES,
      storage: () => {
        const d = new SlowSnapshotDisk();
        disks.push(d);
        return d;
      },
    });
    const leader = await cluster.leader();
    const termBefore = term(cluster);
    const latencies: number[] = [];
    let done = 0;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      const open = await leader.submit(`w${w}`, 1, { op: 'openSession', ttlMs: 60_000 });
      if (!open.ok) throw new Error('open failed');
      // until well after the first snapshots finished, so every node saw one start and end
      for (let i = 0; cluster.clock.monotonicMs() < 2.5 * SNAPSHOT_WRITE_MS; i++) {
        const t0 = cluster.clock.monotonicMs();
        const r = await leader.submit(`w${w}`, i + 2, { op: 'closeSession', sessionId: 999_999 });
        if (r.ok) throw new Error('closing an unknown session must fail');
        latencies.push(cluster.clock.monotonicMs() - t0);
        await new Promise((r) => setTimeout(r, 5));
      }
      done++;
    });
    for (let i = 0; i < 100_000 && done < writers.length; i++) await cluster.advance(1);
    await Promise.all(writers);

    for (const d of disks) {
      expect(d.snapshotsStarted).toBeGreaterThanOrEqual(1);
      expect(d.snapshotsDone).toBeGreaterThanOrEqual(1);
      // the storage took it
      expect(d.snapshot().metadata.index).toBeGreaterThanOrEqual(SNAPSHOT_EVERY_ENTRIES);
    }
    // one snapshot at a time: the next starts only after the one before finished
    for (const d of disks) expect(d.snapshotsStarted - d.snapshotsDone).toBeLessThanOrEqual(1);
    expect(latencies.length).toBeGreaterThan(200);
    // a write waits for persists and hops (about 10 virtual ms), never for a snapshot
    expect(Math.max(...latencies)).toBeLessThan(10 * TICK_MS);
    expect(term(cluster)).toBe(termBefore);
    expect(leader.node.isLeader).toBe(true);
    await cluster.stop();
  });

  it('a snapshot that cannot be written stops the node (its disk state is unknown)', async () => {
    const disks: SlowSnapshotDisk[] = [];
    const cluster = await startVirtualCluster({
      tickMs: TICK_MS,
      netMs: NET_MS,
      snapshotEveryEntries: SNAPSHOT_EVERY_ENTRIES,
      storage: () => {
        const d = new SlowSnapshotDisk();
        disks.push(d);
        return d;
      },
    });
    const leader = await cluster.leader();
    const disk = disks[cluster.nodes.indexOf(leader)] as SlowSnapshotDisk;
    disk.failSnapshots = true;
    const fatal: Error[] = [];
    leader.node.onFatal((err) => fatal.push(err));
    const submit = async (seq: number): Promise<boolean> => {
      let outcome: boolean | null = null;
      leader
        .submit('w', seq, seq === 1 ? { op: 'openSession', ttlMs: 60_000 } : { op: 'closeSession', sessionId: 1 })
        .then(
          () => {
            outcome = true;
          },
          () => {
            outcome = false;
          },
        );
      for (let t = 0; t < 1_000 && outcome === null; t++) await cluster.advance(1);
      return outcome === true;
    };
    let seq = 1;
    // a leader snapshots LEADER_SNAPSHOT_SPACING times less often than its followers
    while (seq <= SNAPSHOT_EVERY_ENTRIES * LEADER_SNAPSHOT_SPACING + 5) expect(await submit(seq++)).toBe(true);
    expect(disk.snapshotsStarted).toBe(1);
    await cluster.advance(SNAPSHOT_WRITE_MS + 100);
    expect(fatal.map((e) => e.message)).toEqual(['disk full']);
    expect(await submit(seq++)).toBe(false);
    await cluster.stop();
  });

  it('a leader snapshots LEADER_SNAPSHOT_SPACING times less often than its followers (its pause is the one that costs an election)', async () => {
    const { cluster, disks, leader } = await countingCluster();
    const termBefore = term(cluster);
    const writes = 2 * SNAPSHOT_EVERY_ENTRIES * LEADER_SNAPSHOT_SPACING + 5;
    await writeOneByOne(cluster, leader, writes);
    await cluster.advance(10 * TICK_MS);
    expect(term(cluster)).toBe(termBefore);
    const leaderDisk = disks[cluster.nodes.indexOf(leader)] as CountingDisk;
    expect(leaderDisk.snapshots).toBe(2);
    for (const d of disks)
      if (d !== leaderDisk) expect(d.snapshots).toBeGreaterThanOrEqual(2 * LEADER_SNAPSHOT_SPACING);
    await cluster.stop();
  });

  it('followers snapshot at different indexes, not all at once (two paused followers of three cost the quorum)', async () => {
    const { cluster, disks, leader } = await countingCluster();
    await writeOneByOne(cluster, leader, 3 * SNAPSHOT_EVERY_ENTRIES);
    await cluster.advance(10 * TICK_MS);
    const followers = disks.filter((_, i) => cluster.nodes[i] !== leader);
    expect(followers.length).toBe(2);
    const [a, b] = followers.map((d) => d.indexes);
    expect(a?.length).toBeGreaterThanOrEqual(2);
    expect(b?.length).toBeGreaterThanOrEqual(2);
    // a third of a stretch apart or more (voter ranks 0, 1, 2 of 3); the first snapshot after
    // start may come early (no less than half a stretch in), so from the second one on
    for (const [x, y] of (a ?? []).slice(1).map((x, i) => [x, (b ?? [])[i + 1] ?? Number.NaN] as const)) {
      expect(Math.abs(x - y)).toBeGreaterThanOrEqual(SNAPSHOT_EVERY_ENTRIES / 4);
    }
    await cluster.stop();
  });
});

describe('snapshotDue', () => {
  it("snapshots once per stretch, at the node's own point in it, and never less than half a stretch apart", () => {
    const every = 100;
    for (const phase of [0, 33, 66]) {
      let last = 0;
      const taken: number[] = [];
      for (let applied = 1; applied <= 1_000; applied++) {
        if (snapshotDue(applied, last, every, phase)) {
          taken.push(applied);
          last = applied;
        }
      }
      expect(taken.length).toBeGreaterThanOrEqual(9);
      expect(taken.length).toBeLessThanOrEqual(10);
      for (const i of taken.slice(1)) expect((i + phase) % every).toBe(0);
    }
    // just after a restart whose snapshot sits right before this node's point: wait half a stretch
    expect(snapshotDue(101, 99, 100, 0)).toBe(false);
    expect(snapshotDue(148, 99, 100, 0)).toBe(false);
    expect(snapshotDue(200, 99, 100, 0)).toBe(true);
  });
});
