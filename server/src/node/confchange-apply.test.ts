/**
 * A membership change answers "done" only once it took effect on this node (proposeConfChange's
 * contract): the admin API's next step (promote the learner it just added, transfer to the voter
 * it just promoted) reads the configuration right after the answer. The node loop applies
 * committed entries that were durable before a Ready without waiting for that Ready's fsync;
 * a conf change among them must still wait, because the Raft core applies it in advance().
 */
import { describe, expect, it } from 'vitest';
import { MemoryNodeStorage, type PersistUpdate } from './node-storage.js';
import { seededRng, startVirtualCluster, useVirtualTimers } from './virtual-cluster.testing.js';

const TICK_MS = 10;
const PERSIST_MS = 12;
const NET_MS = 1;
const CHANGES = 40;
const WRITERS = 16;
const LEARNER_ID = 9;

/** Persists take 1 to PERSIST_MS ms (seeded): acks for older entries then arrive during a slow fsync. */
class SlowDisk extends MemoryNodeStorage {
  private readonly rng = seededRng(11);

  override async persist(update: PersistUpdate): Promise<void> {
    await new Promise((r) => setTimeout(r, this.rng.nextInt(1, PERSIST_MS + 1)));
    await super.persist(update);
  }
}

describe('membership changes through the node loop', () => {
  useVirtualTimers();

  it('a change resolves only once the configuration shows it, also while writes keep the disk busy', async () => {
    const cluster = await startVirtualCluster({
      tickMs: TICK_MS,
      netMs: NET_MS,
      snapshotEveryEntries: 100_000,
      storage: () => new SlowDisk(),
    });
    // every node applies every index once, in order (an early path that ran ahead of a held-back
    // entry would skip it: appliedIndex moves past it)
    const gaps: string[] = [];
    cluster.nodes.forEach((n, i) => {
      let last = n.node.status().appliedIndex;
      n.node.onApplied(({ entry }) => {
        if (entry.index !== last + 1) gaps.push(`node ${i + 1}: ${last} -> ${entry.index}`);
        last = entry.index;
      });
    });
    const leader = await cluster.leader();
    // writes in flight all along: every Ready then carries new entries, and the committed ones
    // before them take the early path
    let stop = false;
    let writes = 0;
    const writers = Array.from({ length: WRITERS }, async (_, w) => {
      const open = await leader.submit(`w${w}`, 1, { op: 'openSession', ttlMs: 60_000 });
      if (!open.ok) throw new Error('open failed');
      for (let i = 0; !stop && i < 100_000; i++) {
        await leader.submit(`w${w}`, i + 2, { op: 'closeSession', sessionId: 999_999 });
        writes++;
      }
    });
    const seen: string[] = [];
    const changes = (async () => {
      for (let i = 0; i < CHANGES; i++) {
        const add = i % 2 === 0;
        // the leader's first entries (and an earlier change's commit elsewhere) may still be pending
        for (let attempt = 0; ; attempt++) {
          try {
            await leader.node.proposeConfChange({ type: add ? 'addLearner' : 'removeNode', nodeId: LEARNER_ID });
            break;
          } catch (err) {
            if (attempt > 1_000 || !/pending/.test((err as Error).message)) throw err;
            await new Promise((r) => setTimeout(r, 1));
          }
        }
        const learners = leader.node.status().confState.learners;
        seen.push(`${add ? 'add' : 'remove'}: ${learners.includes(LEARNER_ID) ? 'learner' : 'absent'}`);
      }
    })();
    let done = false;
    changes.then(
      () => {
        done = true;
      },
      () => {
        done = true;
      },
    );
    for (let t = 0; t < 200_000 && !done; t++) await cluster.advance(1);
    await changes;
    stop = true;
    for (let t = 0; t < 10_000 && writes >= 0; t++) {
      await cluster.advance(1);
      if ((await Promise.race([Promise.all(writers).then(() => true), Promise.resolve(false)])) === true) break;
    }
    expect(writes).toBeGreaterThan(CHANGES);
    expect(gaps).toEqual([]);
    expect(seen).toEqual(Array.from({ length: CHANGES }, (_, i) => (i % 2 === 0 ? 'add: learner' : 'remove: absent')));
    await cluster.stop();
  });
});
