/**
 * Membership changes without downtime (issue 7): a 3-node cluster grows to 5 and shrinks back to
 * 3 while SDK clients keep taking and releasing locks. New members join as learners and become
 * voters only once caught up; leadership moves to a named node; removing the leader hands
 * leadership over first. No client operation may fail once the SDK's own retries are done.
 */
import type { BatonClient } from '@baton/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../cluster/harness.js';
import { MembersCluster } from './harness.js';
import { LoadWorker, totalOps } from './load.js';

const HOOK_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 240_000;
const WORKERS = 4;

let cluster: MembersCluster;
let admin: BatonClient;
const workers: LoadWorker[] = [];

beforeAll(async () => {
  cluster = await MembersCluster.start(['n1', 'n2', 'n3']);
  admin = await cluster.client();
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await Promise.all(workers.map((w) => w.client.close()));
  await admin?.close();
  await cluster?.stop();
}, HOOK_TIMEOUT_MS);

/** Waits until every worker completed at least `more` operations beyond `since`. */
async function progressed(since: readonly number[], more = 2): Promise<void> {
  try {
    await waitFor(
      `every worker to complete ${more} more operations`,
      () => (workers.every((w, i) => w.ops >= (since[i] ?? 0) + more) ? true : null),
      30_000,
    );
  } catch (err) {
    const state = workers.map(
      (w, i) =>
        `${w.lockName}: ops ${since[i]} -> ${w.ops}, at ${w.client.connectedEndpoint}, failures ${JSON.stringify(w.failures)}`,
    );
    throw new Error(`${(err as Error).message}\n${state.join('\n')}\n${cluster.logs().slice(-8_000)}`);
  }
}

const opsNow = (): number[] => workers.map((w) => w.ops);

describe('grow 3 → 5 and shrink back under load', { timeout: TEST_TIMEOUT_MS }, () => {
  it('no operation fails, every member change goes through the learner stage, tokens keep rising', async () => {
    for (let i = 0; i < WORKERS; i++) {
      workers.push(new LoadWorker(await cluster.client(['n1', 'n2', 'n3']), `load/w${i}`));
    }
    for (const w of workers) w.start();
    await progressed(opsNow());

    // grow: start each new node (it waits, not a member), then add it. n4 step by step (learner,
    // then promote), n5 in one call (addMember does both)
    const n4 = await cluster.join('n4', ['n1', 'n2', 'n3']);
    let mark = opsNow();
    expect(await admin.addMember('n4', n4.peerUrl, { voter: false })).toMatchObject({ id: 'n4', role: 'learner' });
    const asLearner = (await admin.members()).members.find((m) => m.id === 'n4');
    expect(asLearner).toMatchObject({ role: 'learner', isLeader: false });
    expect(await admin.promoteMember('n4', { timeoutMs: 30_000 })).toMatchObject({ id: 'n4', role: 'voter' });
    await progressed(mark);
    const n5 = await cluster.join('n5', ['n1', 'n2', 'n3']);
    mark = opsNow();
    expect(await admin.addMember('n5', n5.peerUrl, { catchUpTimeoutMs: 30_000 })).toMatchObject({
      id: 'n5',
      role: 'voter',
    });
    await progressed(mark);
    let list = await admin.members();
    expect(list.members.map((m) => [m.id, m.role]).sort()).toEqual(
      ['n1', 'n2', 'n3', 'n4', 'n5'].map((n) => [n, 'voter']),
    );
    // the new members receive the log: they apply what the leader committed
    const commit = list.commitIndex;
    for (const name of ['n4', 'n5']) {
      await waitFor(`${name} to apply index ${commit}`, async () => {
        const st = await cluster.node(name).proc.status();
        return st !== null && st.appliedIndex >= commit ? true : null;
      });
    }

    // leadership to a named node, then remove it while it leads: it hands over first
    mark = opsNow();
    expect(await admin.transferLeadership('n5')).toMatchObject({ leaderId: 'n5' });
    expect((await cluster.waitForLeader()).name).toBe('n5');
    await progressed(mark);
    for (const name of ['n5', 'n4']) {
      mark = opsNow();
      await admin.removeMember(name);
      await progressed(mark);
    }
    list = await admin.members();
    expect(list.members.map((m) => [m.id, m.role]).sort()).toEqual(['n1', 'n2', 'n3'].map((n) => [n, 'voter']));
    expect(['n1', 'n2', 'n3']).toContain(list.leaderId);

    await Promise.all(workers.map((w) => w.stop()));
    const failures = workers.flatMap((w) => w.failures);
    expect(failures, cluster.logs().slice(-5_000)).toEqual([]);
    expect(totalOps(workers)).toBeGreaterThan(WORKERS * 10);
    for (const w of workers) {
      for (let i = 1; i < w.tokens.length; i++) expect(w.tokens[i]).toBeGreaterThan(w.tokens[i - 1] as number);
    }
  });
});
