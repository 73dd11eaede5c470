/**
 * /healthz and /readyz on real processes whose peer links run through fault-injecting proxies:
 * a follower cut off from the leader (both ways, or only the leader's messages to it) is not
 * ready while the others stay ready, and when it turns ready again it has applied everything the
 * leader had committed meanwhile — "ready" means caught up, not merely "knows a leader".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChaosCluster } from '../chaos/cluster/chaos-cluster.js';
import type { NodeProcess } from '../chaos/cluster/node-process.js';
import { WsClient, waitFor } from './harness.js';
import { httpGet } from './http-get.js';

const PROBE_TIMEOUT_MS = 3_000;

async function readyz(node: NodeProcess): Promise<number | null> {
  return (await httpGet(node.port, '/readyz', PROBE_TIMEOUT_MS))?.status ?? null;
}

describe('/readyz on a 3-node cluster with partitions', () => {
  let cluster: ChaosCluster;
  let logDir: string;

  beforeAll(async () => {
    logDir = mkdtempSync(join(tmpdir(), 'baton-readyz-logs-'));
    cluster = await ChaosCluster.start({
      size: 3,
      logDir,
      random: () => 0.5,
      tickMs: 50,
      electionTicks: 10,
      logLevel: 'warn',
      net: 'proxy',
      log: () => {},
    });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    rmSync(logDir, { recursive: true, force: true });
  });

  /** The leader all nodes agree on, once every node is ready. */
  async function allReady(): Promise<{ leader: NodeProcess; followers: NodeProcess[] }> {
    await waitFor(
      'every node ready',
      async () => ((await Promise.all(cluster.nodes.map(readyz))).every((s) => s === 200) ? true : null),
      30_000,
    );
    const statuses = await Promise.all(cluster.names.map((n) => cluster.status(n, PROBE_TIMEOUT_MS)));
    const leaderName = statuses.find((s) => s?.role === 'leader')?.name;
    const leader = cluster.nodes.find((n) => n.name === leaderName);
    if (leader === undefined) throw new Error('no leader among ready nodes');
    return { leader, followers: cluster.nodes.filter((n) => n !== leader) };
  }

  /** Writes through the leader; returns the leader's commit index afterwards. */
  async function writeSome(leader: NodeProcess, count: number): Promise<number> {
    const c = await WsClient.connect(leader.clientUrl);
    try {
      const open = await c.request('session.open', { ttlMs: 60_000 });
      const sessionId = open.result?.sessionId;
      for (let i = 0; i < count; i++) {
        const g = await c.request('lock.acquire', { sessionId, name: 'readyz/job', wait: true });
        if (!g.ok) throw new Error(`acquire failed: ${JSON.stringify(g.error)}`);
        await c.request('lock.release', { sessionId, name: 'readyz/job', token: g.result?.token });
      }
      await c.request('session.close', { sessionId });
    } finally {
      c.close();
    }
    const st = await cluster.status(leader.name, PROBE_TIMEOUT_MS);
    if (st === null) throw new Error('the leader did not answer /v1/status');
    return st.commitIndex;
  }

  for (const mode of ['isolated', 'deaf'] as const) {
    it(`a follower that is ${mode === 'isolated' ? 'partitioned away' : 'not hearing the leader'} is not ready, then catches up before it is ready again`, async () => {
      const { leader, followers } = await allReady();
      const [lagging, healthy] = followers as [NodeProcess, NodeProcess];
      if (mode === 'isolated') {
        await cluster.net.partition([[leader.name, healthy.name], [lagging.name]], 'drop');
      } else {
        // its messages still reach the others; nothing comes back from the leader
        await cluster.net.oneWay([leader.name], [lagging.name], 'drop');
      }
      const notReady = await waitFor(
        `${lagging.name} not ready`,
        async () => {
          const a = await httpGet(lagging.port, '/readyz', PROBE_TIMEOUT_MS);
          return a !== null && a.status === 503 ? a : null;
        },
        15_000,
      );
      expect(notReady.body).toMatch(/^not ready: /);
      // the process is up all the while: alive, not ready
      expect((await httpGet(lagging.port, '/healthz'))?.status).toBe(200);
      const commitIndex = await writeSome(leader, 10);
      expect(await readyz(lagging)).toBe(503);
      // the majority side stays ready (polled: one slow heartbeat round on a loaded machine is not a failure)
      for (const n of [leader, healthy]) {
        await waitFor(`${n.name} ready`, async () => ((await readyz(n)) === 200 ? true : null), 10_000);
      }
      const behind = await cluster.status(lagging.name, PROBE_TIMEOUT_MS);
      expect(behind?.appliedIndex).toBeLessThan(commitIndex);

      await cluster.net.healAll();
      await waitFor(`${lagging.name} ready again`, async () => ((await readyz(lagging)) === 200 ? true : null), 30_000);
      const caughtUp = await cluster.status(lagging.name, PROBE_TIMEOUT_MS);
      expect(caughtUp?.appliedIndex).toBeGreaterThanOrEqual(commitIndex);
    });
  }
});
