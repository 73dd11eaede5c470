/**
 * The node runtime without sockets or disks: three Coordinators over an in-memory network, on a
 * manual clock with fake timers — every millisecond is one we advance by hand.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Command } from '../fsm/index.js';
import { bootstrapLog } from '../raft/confchange.js';
import type { Message, NodeId } from '../raft/types.js';
import { ManualClock } from './clock.js';
import { Coordinator } from './coordinator.js';
import { silentLogger } from './logger.js';
import { MemoryNodeStorage } from './node-storage.js';
import type { RaftTransport } from './raft-node.js';
import { useVirtualTimers } from './virtual-cluster.testing.js';

const TICK_MS = 10;
const IDS = [1, 2, 3];

class Net {
  readonly handlers = new Map<NodeId, (m: Message[]) => void>();
  readonly down = new Set<NodeId>();

  transport(id: NodeId): RaftTransport {
    return {
      send: (msgs) => {
        if (this.down.has(id)) return;
        for (const m of msgs) {
          if (this.down.has(m.to)) continue;
          const h = this.handlers.get(m.to);
          // deliver on a later turn, as a socket would
          if (h !== undefined) setImmediate(() => h([m]));
        }
      },
      onReceive: (h) => {
        this.handlers.set(id, (m) => {
          if (!this.down.has(id)) h(m);
        });
      },
      onUnreachable: () => {},
    };
  }
}

let seed = 1;
const rng = {
  nextInt: (min: number, max: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return min + (seed % Math.max(1, max - min));
  },
};

async function makeCluster() {
  const clock = new ManualClock();
  const net = new Net();
  const nodes: Coordinator[] = [];
  for (const id of IDS) {
    const storage = new MemoryNodeStorage();
    const boot = bootstrapLog(IDS);
    await storage.persist({ entries: boot.entries, hardState: boot.hardState, snapshot: null });
    nodes.push(
      new Coordinator({
        id,
        storage,
        transport: net.transport(id),
        clock,
        rng,
        logger: silentLogger(),
        tickMs: TICK_MS,
        electionTimeoutTicks: 10,
        heartbeatTicks: 1,
        snapshotEveryEntries: 50,
        readTimeoutMs: 1_000,
      }),
    );
  }
  for (const n of nodes) n.start();
  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t += TICK_MS / 2) {
      clock.advance(TICK_MS / 2);
      await vi.advanceTimersByTimeAsync(TICK_MS / 2);
    }
  };
  const leader = async (): Promise<Coordinator> => {
    for (let i = 0; i < 500; i++) {
      const l = nodes.find((n) => n.node.isLeader && !net.down.has(n.node.id));
      if (l !== undefined && l.node.leaseRemainingMs() > 0) return l;
      await advance(TICK_MS);
    }
    throw new Error('no leader');
  };
  /** Submits and drives time until the result arrives. */
  const submit = async (c: Coordinator, clientId: string, seq: number, cmd: Command) => {
    const p = c.submit(clientId, seq, cmd);
    let done = false;
    p.finally(() => {
      done = true;
    }).catch(() => {});
    for (let i = 0; i < 200 && !done; i++) await advance(TICK_MS);
    return p;
  };
  return { clock, net, nodes, advance, leader, submit, stop: () => Promise.all(nodes.map((n) => n.stop())) };
}

describe('Coordinator (node runtime on a manual clock)', () => {
  useVirtualTimers();

  it('elects a leader, applies commands on every node, identically', async () => {
    const c = await makeCluster();
    const l = await c.leader();
    const open = await c.submit(l, 'a', 1, { op: 'openSession', ttlMs: 5_000 });
    expect(open.ok).toBe(true);
    const sessionId = (open as { value: { sessionId: number } }).value.sessionId;
    const acq = await c.submit(l, 'a', 2, {
      op: 'acquire',
      sessionId,
      name: 'job',
      limit: 1,
      wait: false,
      lockDelayMs: 0,
    });
    expect(acq).toMatchObject({ ok: true, value: { acquired: true } });
    await c.advance(200);
    const snaps = c.nodes.map((n) => Buffer.from(n.fsm.snapshot()).toString('base64'));
    expect(new Set(snaps).size).toBe(1);
    // a retry of the same (clientId, seq) answers the stored result and changes nothing
    const again = await c.submit(l, 'a', 2, {
      op: 'acquire',
      sessionId,
      name: 'job',
      limit: 1,
      wait: false,
      lockDelayMs: 0,
    });
    expect(again).toEqual(acq);
    await c.stop();
  });

  it('expires a session whose keepalives stop, after its TTL and not before', async () => {
    const c = await makeCluster();
    const l = await c.leader();
    const open = await c.submit(l, 'a', 1, { op: 'openSession', ttlMs: 1_000 });
    const sessionId = (open as { value: { sessionId: number } }).value.sessionId;
    const openedAt = c.clock.monotonicMs();
    for (let i = 0; i < 5; i++) {
      await c.advance(500);
      expect(l.leases.keepalive(sessionId)).toMatchObject({ ok: true });
    }
    const lastKeepalive = c.clock.monotonicMs();
    await c.advance(900);
    expect(l.fsm.hasSession(sessionId)).toBe(true);
    let expiredAt = -1;
    for (let i = 0; i < 100 && expiredAt < 0; i++) {
      await c.advance(TICK_MS);
      if (!l.fsm.hasSession(sessionId)) expiredAt = c.clock.monotonicMs();
    }
    expect(expiredAt).toBeGreaterThanOrEqual(lastKeepalive + 1_000);
    expect(expiredAt).toBeGreaterThan(openedAt);
    await c.stop();
  });

  it('a new leader renews every session before it expires any', async () => {
    const c = await makeCluster();
    const l1 = await c.leader();
    const open = await c.submit(l1, 'a', 1, { op: 'openSession', ttlMs: 2_000 });
    const sessionId = (open as { value: { sessionId: number } }).value.sessionId;
    await c.advance(100);
    expect(l1.leases.keepalive(sessionId)).toMatchObject({ ok: true });
    const lastKeepalive = c.clock.monotonicMs();
    c.net.down.add(l1.node.id);
    const l2 = await c.leader();
    expect(l2).not.toBe(l1);
    const electedAt = c.clock.monotonicMs();
    expect(electedAt).toBeGreaterThan(lastKeepalive + 100);
    // the old leader lost its lease before the new one could be elected
    expect(l1.node.leaseRemainingMs()).toBe(0);
    // past the TTL counted from the last keepalive, but within a full TTL from the election
    await c.advance(lastKeepalive + 2_000 + 50 - c.clock.monotonicMs());
    expect(l2.fsm.hasSession(sessionId)).toBe(true);
    // no keepalive reaches the new leader: it expires the session a TTL after its election
    await c.advance(electedAt + 2_000 + 300 - c.clock.monotonicMs());
    expect(l2.fsm.hasSession(sessionId)).toBe(false);
    await c.stop();
  });

  it('followers refuse writes with NOT_LEADER and serve linearizable reads', async () => {
    const c = await makeCluster();
    const l = await c.leader();
    const f = c.nodes.find((n) => n !== l) as Coordinator;
    await expect(f.submit('x', 1, { op: 'openSession', ttlMs: 5_000 })).rejects.toMatchObject({ code: 'NOT_LEADER' });
    await c.submit(l, 'a', 1, { op: 'openSession', ttlMs: 5_000 });
    const read = f.read((fsm) => fsm.sessions().length);
    let value: number | null = null;
    read.then((v) => {
      value = v;
    });
    for (let i = 0; i < 100 && value === null; i++) await c.advance(TICK_MS);
    expect(value).toBe(1);
    await c.stop();
  });
});
