/**
 * A removed member on real processes: it notices the removal (by applying it, or — when it was
 * down at the time — by asking the others), stops campaigning, says "removed from the cluster" in its
 * log, in /v1/status and in /readyz (503), and exits with code 5 after a short grace; the cluster
 * goes on without an election. A joiner is not ready until it is in the configuration and
 * caught up.
 */
import type { BatonClient } from '@baton/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../cluster/harness.js';
import { httpGet } from '../cluster/http-get.js';
import { MembersCluster } from './harness.js';

const HOOK_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 120_000;
/** baton-server's exit code for a removed member (server/src/admin/removal.ts). */
const EXIT_REMOVED = 5;

let cluster: MembersCluster;
let admin: BatonClient;

beforeAll(async () => {
  cluster = await MembersCluster.start(['n1', 'n2', 'n3', 'n4']);
  admin = await cluster.client();
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await admin?.close();
  await cluster?.stop();
}, HOOK_TIMEOUT_MS);

/** The exit code of `name`'s current process, once it exits. */
function exitCode(name: string): Promise<number | null> {
  const proc = cluster.node(name).proc.proc;
  if (proc === null) throw new Error(`${name} is not running`);
  return new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
}

async function aFollower(): Promise<string> {
  const leader = (await cluster.waitForLeader()).name;
  const voters = (await admin.members()).members.filter((m) => m.role === 'voter').map((m) => m.id);
  const follower = voters.find((n) => n !== leader);
  if (follower === undefined) throw new Error('no follower');
  return follower;
}

/** Until the removed node answers /readyz 503 naming the removal; returns its /v1/status too. */
async function reportsRemoval(name: string): Promise<{ ready: string; status: Record<string, unknown> }> {
  const port = cluster.node(name).port;
  return waitFor(
    `${name} to report its removal`,
    async () => {
      const ready = await httpGet(port, '/readyz');
      if (ready?.status !== 503 || !ready.body.includes('removed from the cluster')) return null;
      const status = await httpGet(port, '/v1/status');
      return status === null ? null : { ready: ready.body, status: JSON.parse(status.body) as Record<string, unknown> };
    },
    20_000,
  );
}

describe('a removed member', { timeout: TEST_TIMEOUT_MS }, () => {
  it('that applies its removal says so, stops, and exits with code 5; no election follows', async () => {
    const name = await aFollower();
    const exited = exitCode(name);
    const termBefore = (await admin.members()).term;
    await admin.removeMember(name);
    const seen = await reportsRemoval(name);
    expect(seen.status.removed).toEqual(expect.any(String));
    expect(await exited).toBe(EXIT_REMOVED);
    expect(cluster.node(name).proc.output).toContain('removed from the cluster');
    // the others carry on, with the same leader and term
    const session = await admin.session({ ttlMs: 30_000 });
    await (await session.acquire('removed/after')).release();
    await session.close();
    expect((await admin.members()).term).toBe(termBefore);
  });

  it('that missed the commit (down meanwhile) learns it from the others when it starts again', async () => {
    const name = await aFollower();
    await cluster.node(name).proc.kill('SIGKILL');
    await admin.removeMember(name);
    // more entries, so that the others are well past what the stopped node applied
    const session = await admin.session({ ttlMs: 30_000 });
    await (await session.acquire('removed/while-down')).release();
    await session.close();
    cluster.restart(name);
    const exited = exitCode(name);
    const seen = await reportsRemoval(name);
    // nobody replicates to it any more, so the others tell it (rarely a last append of the old
    // leader reaches it first, and it applies the removal itself): either way it knows
    expect(seen.ready).toMatch(
      new RegExp(
        `applied index \\d+ \\(this node: \\d+\\) with a configuration without ${name}|applied a configuration without ${name}`,
      ),
    );
    expect(await exited).toBe(EXIT_REMOVED);
    expect(cluster.node(name).proc.output).toContain('removed from the cluster');
  });
});

describe('a joiner', { timeout: TEST_TIMEOUT_MS }, () => {
  it('is not ready until it is in the configuration and caught up', async () => {
    const members = (await admin.members()).members.map((m) => m.id);
    const joiner = await cluster.join('n5', members);
    await waitFor('the joiner to serve HTTP', async () => (await httpGet(joiner.port, '/healthz'))?.status ?? null);
    const before = await httpGet(joiner.port, '/readyz');
    expect(before?.status).toBe(503);
    expect(before?.body).toContain('not a member of the current configuration');
    const added = await admin.addMember('n5', joiner.peerUrl, { voter: false, catchUpTimeoutMs: 30_000 });
    expect(added.role).toBe('learner');
    const ready = await waitFor(
      'the joiner to be ready',
      async () => {
        const r = await httpGet(joiner.port, '/readyz');
        return r?.status === 200 ? r : null;
      },
      30_000,
    );
    expect(ready.body).toMatch(/applied index \d+ covers the leader's commit index/);
  });
});
