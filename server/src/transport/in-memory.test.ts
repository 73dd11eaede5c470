import { afterEach, describe, expect, it, vi } from 'vitest';
import { message, type NodeId } from '../raft/types.js';
import { InMemoryNetwork, type InMemoryTransport } from './in-memory.js';
import { append, Closer, heartbeat, Recorder } from './test-support.js';

const WAIT = { timeout: 5_000, interval: 1 };
const closer = new Closer();
afterEach(() => closer.closeAll());

interface Node {
  readonly transport: InMemoryTransport;
  readonly recorder: Recorder;
}

function nodes(network: InMemoryNetwork, count: number): Node[] {
  return Array.from({ length: count }, (_, i) => {
    const transport = network.transport(i + 1);
    closer.add(() => transport.close());
    return { transport, recorder: new Recorder(transport) };
  });
}

/** Resolves after every delivery scheduled so far has run (deliveries are setImmediate callbacks). */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('InMemoryNetwork', () => {
  it('delivers asynchronously, one batch per destination, through the codec', async () => {
    const network = new InMemoryNetwork();
    const [a, b, c] = nodes(network, 3) as [Node, Node, Node];
    const entry = append(1, 2, 1, 16);
    a.transport.send([entry, heartbeat(1, 3), heartbeat(1, 2, 5)]);
    expect(b.recorder.batches).toEqual([]);
    await vi.waitFor(() => expect(b.recorder.batches).toEqual([[entry, heartbeat(1, 2, 5)]]), WAIT);
    expect(c.recorder.batches).toEqual([[heartbeat(1, 3)]]);
    // a copy, as over a wire: the receiver cannot alias the sender's buffers
    expect(b.recorder.messages[0]!.entries[0]!.data).not.toBe(entry.entries[0]!.data);
    expect(a.transport.stats().peers.find((p) => p.id === 2)).toMatchObject({ sentFrames: 1, sentMessages: 2 });
  });

  it('shares objects when the codec is off', async () => {
    const [a, b] = nodes(new InMemoryNetwork({ codec: false }), 2) as [Node, Node];
    const entry = append(1, 2, 1, 16);
    a.transport.send([entry]);
    await vi.waitFor(() => expect(b.recorder.messages[0]).toBe(entry), WAIT);
  });

  it('partitions: loses what crosses, reports the peer unreachable, heals', async () => {
    const network = new InMemoryNetwork();
    const [a, b, c] = nodes(network, 3) as [Node, Node, Node];
    network.partition([1], [2, 3]);
    a.transport.send([heartbeat(1, 2), heartbeat(1, 3)]);
    b.transport.send([heartbeat(2, 3), heartbeat(2, 1)]);
    await vi.waitFor(() => expect(c.recorder.messages).toEqual([heartbeat(2, 3)]), WAIT);
    await vi.waitFor(() => expect(a.recorder.unreachable.sort()).toEqual([2, 3]), WAIT);
    expect(b.recorder.unreachable).toEqual([1]);
    expect(a.recorder.messages).toEqual([]);
    expect(a.transport.stats().peers.find((p) => p.id === 2)).toMatchObject({ droppedInFlight: 1, connected: false });

    network.heal();
    a.transport.send([heartbeat(1, 2, 9)]);
    await vi.waitFor(() => expect(b.recorder.messages).toEqual([heartbeat(1, 2, 9)]), WAIT);
  });

  it('cuts one direction only', async () => {
    const network = new InMemoryNetwork();
    const [a, b] = nodes(network, 2) as [Node, Node];
    network.cut(1, 2);
    a.transport.send([heartbeat(1, 2)]);
    b.transport.send([heartbeat(2, 1)]);
    await vi.waitFor(() => expect(a.recorder.messages).toEqual([heartbeat(2, 1)]), WAIT);
    await settled();
    expect(b.recorder.messages).toEqual([]);
  });

  it('isolates a node, and drops by predicate', async () => {
    const network = new InMemoryNetwork();
    const [a, b, c] = nodes(network, 3) as [Node, Node, Node];
    network.isolate(3);
    network.dropIf((m) => m.commit === 13);
    a.transport.send([heartbeat(1, 2, 13), heartbeat(1, 2, 14), heartbeat(1, 3)]);
    c.transport.send([heartbeat(3, 1)]);
    await vi.waitFor(() => expect(b.recorder.messages).toEqual([heartbeat(1, 2, 14)]), WAIT);
    await vi.waitFor(() => expect(c.recorder.unreachable).toEqual([1]), WAIT);
    expect(c.recorder.messages).toEqual([]);
    expect(a.recorder.messages).toEqual([]);
  });

  it('reports snapshots delivered or lost', async () => {
    const network = new InMemoryNetwork();
    const [a] = nodes(network, 2) as [Node, Node];
    const snap = (to: NodeId) =>
      message({
        type: 'snap',
        from: 1,
        to,
        snapshot: {
          metadata: { index: 3, term: 1, confState: { voters: [1, 2], learners: [] } },
          data: new Uint8Array(4),
        },
      });
    a.transport.setPeers(
      new Map([
        [2, { name: 'n2', url: 'memory:' }],
        [9, { name: 'n9', url: 'memory:' }],
      ]),
    );
    a.transport.send([snap(2), snap(9)]);
    await vi.waitFor(
      () =>
        expect(a.recorder.snapshots).toEqual([
          [2, true],
          [9, false],
        ]),
      WAIT,
    );
  });

  it('drops local, self-addressed, unknown and closed-peer messages', async () => {
    const network = new InMemoryNetwork();
    const [a, b] = nodes(network, 2) as [Node, Node];
    a.transport.setPeers(new Map([[2, { name: 'n2', url: 'memory:' }]]));
    a.transport.send([message({ type: 'beat', from: 1, to: 2 }), heartbeat(1, 1), heartbeat(1, 5)]);
    expect(a.transport.stats()).toMatchObject({ droppedLocal: 1, droppedSelf: 1, droppedUnknownPeer: 1 });
    await b.transport.close();
    a.transport.send([heartbeat(1, 2)]);
    await vi.waitFor(() => expect(a.recorder.unreachable).toEqual([2]), WAIT);
    expect(b.recorder.messages).toEqual([]);
    // the id is free again: a restarted node gets a new transport
    const b2 = network.transport(2);
    closer.add(() => b2.close());
    expect(() => network.transport(2)).toThrow();
  });
});
