/**
 * Graceful shutdown (issue 7): SIGTERM on the leader hands leadership to the most up-to-date
 * voter that is alive — not to a member that stopped answering — and then exits 0. An SDK
 * client fails over to the new leader and keeps its session and the lock it holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../cluster/harness.js';
import { MembersCluster } from './harness.js';

const HOOK_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 120_000;
/** The SDK's default: the hand-off must fit well inside it (also on a loaded CI machine). */
const TTL_MS = 10_000;

let cluster: MembersCluster;

beforeAll(async () => {
  cluster = await MembersCluster.start(['n1', 'n2', 'n3', 'n4', 'n5']);
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  for (const n of cluster?.nodes.values() ?? []) n.proc.proc?.kill('SIGCONT');
  await cluster?.stop();
}, HOOK_TIMEOUT_MS);

describe('SIGTERM on the leader', { timeout: TEST_TIMEOUT_MS }, () => {
  it('hands leadership to a live voter; the session and its lock survive', async () => {
    const client = await cluster.client();
    try {
      const session = await client.session({ ttlMs: TTL_MS });
      const lock = await session.acquire('sigterm/held');
      const leader = await cluster.waitForLeader();

      // one follower stops answering: the hand-off must not pick it
      const frozen = [...cluster.nodes.values()].find((n) => n.name !== leader.name);
      if (frozen === undefined) throw new Error('no follower');
      frozen.proc.proc?.kill('SIGSTOP');
      await waitFor(`the leader to see ${frozen.name} unreachable`, async () => {
        const m = (await client.members()).members.find((x) => x.id === frozen.name);
        return m?.reachable === false ? true : null;
      });

      const killedAtMs = Date.now();
      const exited = new Promise<number | null>((resolve) => leader.proc.proc?.once('exit', (code) => resolve(code)));
      leader.proc.proc?.kill('SIGTERM');
      expect(await exited).toBe(0);
      const handoff = leader.proc.output.split('\n').find((l) => l.includes('leadership hand-off before shutdown'));
      expect(handoff, leader.proc.output.slice(-3_000)).toContain('"transferred":true');

      const next = await cluster.waitForLeader();
      expect([leader.name, frozen.name]).not.toContain(next.name);

      // a keepalive sent after the kill was acknowledged (by the new leader): the session lives on
      await waitFor(
        'a keepalive acknowledged after the hand-off',
        () => {
          if (session.state !== 'open') throw new Error(`the session was lost: ${String(session.signal.reason)}`);
          return Date.now() + session.safeForMs > killedAtMs + TTL_MS - session.safetyMarginMs ? true : null;
        },
        30_000,
      );
      expect(session.state).toBe('open');
      expect(lock.held).toBe(true);
      expect(lock.signal.aborted).toBe(false);
      const described = await client.describe('sigterm/held');
      expect(described.holders.map((h) => [h.sessionId, h.token])).toEqual([[session.id, lock.token]]);

      await lock.release();
      expect((await client.describe('sigterm/held')).holders).toEqual([]);
      await session.close();
      frozen.proc.proc?.kill('SIGCONT');
    } finally {
      await client.close();
    }
  });
});
