import type { AddressInfo } from 'node:net';
import { PEER_CLOSE_CODES, type PeerHello } from '@baton/proto-schemas';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { message, type NodeId } from '../raft/types.js';
import { TransportConfigError } from './errors.js';
import { welcomeProof } from './handshake-proof.js';
import type { WsTransportOptions } from './options.js';
import { append, Closer, heartbeat, PeerHttpServer, RawPeer, Recorder, vacantPort } from './test-support.js';
import type { PeerAddress } from './types.js';
import { WsTransport } from './ws-transport.js';

const CLUSTER = 'test-cluster';
const SECRET = new TextEncoder().encode('a-peer-secret-of-32-bytes-length');
/** Bounded waits: generous, because CI machines are slow; nothing here is timed. */
const WAIT = { timeout: 10_000, interval: 5 };

const closer = new Closer();
afterEach(() => closer.closeAll());

interface Node {
  readonly id: NodeId;
  readonly name: string;
  readonly server: PeerHttpServer;
  transport: WsTransport;
  recorder: Recorder;
}

async function server(port = 0): Promise<PeerHttpServer> {
  const s = await new PeerHttpServer().listen(port);
  closer.add(() => s.close());
  return s;
}

function startTransport(
  id: NodeId,
  s: PeerHttpServer,
  peers: ReadonlyMap<NodeId, PeerAddress>,
  options: Partial<WsTransportOptions> = {},
): { transport: WsTransport; recorder: Recorder } {
  const transport = new WsTransport({
    selfId: id,
    selfName: `n${id}`,
    clusterId: CLUSTER,
    reconnectMinMs: 10,
    reconnectMaxMs: 100,
    random: () => 0.5,
    ...options,
  });
  closer.add(() => transport.close());
  const recorder = new Recorder(transport);
  s.transport = transport;
  transport.setPeers(peers);
  return { transport, recorder };
}

/** Nodes 1..count on loopback, each knowing all the others. */
async function cluster(count: number, options: Partial<WsTransportOptions> = {}): Promise<Node[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => server()));
  const peers = new Map<NodeId, PeerAddress>(servers.map((s, i) => [i + 1, { name: `n${i + 1}`, url: s.url }]));
  return servers.map((s, i) => ({
    id: i + 1,
    name: `n${i + 1}`,
    server: s,
    ...startTransport(i + 1, s, peers, options),
  }));
}

function peerStats(t: WsTransport, id: NodeId) {
  const p = t.stats().peers.find((s) => s.id === id);
  if (p === undefined) throw new Error(`no stats for peer ${id}`);
  return p;
}

async function connected(nodes: readonly Node[]): Promise<void> {
  await vi.waitFor(() => {
    for (const n of nodes) for (const p of n.transport.stats().peers) expect(p.connected).toBe(true);
  }, WAIT);
}

describe('WsTransport', () => {
  it('two nodes exchange batches both ways, one frame per turn', async () => {
    const [a, b] = (await cluster(2)) as [Node, Node];
    await connected([a, b]);
    a.transport.send([heartbeat(1, 2, 1), heartbeat(1, 2, 2), heartbeat(1, 2, 3)]);
    b.transport.send([heartbeat(2, 1, 9)]);
    await vi.waitFor(() => expect(b.recorder.messages).toHaveLength(3), WAIT);
    await vi.waitFor(() => expect(a.recorder.messages).toHaveLength(1), WAIT);
    // the three messages of one turn travelled as one frame
    expect(b.recorder.batches).toEqual([[heartbeat(1, 2, 1), heartbeat(1, 2, 2), heartbeat(1, 2, 3)]]);
    expect(a.recorder.batches).toEqual([[heartbeat(2, 1, 9)]]);
    expect(peerStats(a.transport, 2)).toMatchObject({ sentFrames: 1, sentMessages: 3, inboundLinks: 1 });
    expect(peerStats(b.transport, 1)).toMatchObject({ receivedFrames: 1, receivedMessages: 3 });
  });

  it('flushNow() writes the queued frame at once; a later send in the same turn waits for the turn', async () => {
    const [a, b] = (await cluster(2)) as [Node, Node];
    await connected([a, b]);
    a.transport.send([heartbeat(1, 2, 1)]);
    a.transport.flushNow();
    // handed to the socket before this turn ends (the write callback counts it later)
    const sent = peerStats(a.transport, 2);
    a.transport.send([heartbeat(1, 2, 2)]);
    await vi.waitFor(() => expect(b.recorder.messages).toHaveLength(2), WAIT);
    expect(b.recorder.batches).toEqual([[heartbeat(1, 2, 1)], [heartbeat(1, 2, 2)]]);
    expect(sent.queuedMessages).toBe(0);
    expect(peerStats(a.transport, 2)).toMatchObject({ sentFrames: 2, sentMessages: 2 });
  });

  it('three nodes: every node reaches every other, entries and snapshots intact', async () => {
    const nodes = await cluster(3);
    await connected(nodes);
    const snap = message({
      type: 'snap',
      from: 1,
      to: 3,
      term: 2,
      snapshot: {
        metadata: { index: 10, term: 2, confState: { voters: [1, 2, 3], learners: [] } },
        data: Uint8Array.of(1, 2, 3),
      },
    });
    nodes[0]!.transport.send([append(1, 2, 5, 100), snap]);
    nodes[1]!.transport.send([heartbeat(2, 1), heartbeat(2, 3)]);
    nodes[2]!.transport.send([heartbeat(3, 1), heartbeat(3, 2)]);
    await vi.waitFor(() => {
      expect(nodes[0]!.recorder.messages).toHaveLength(2);
      expect(nodes[1]!.recorder.messages).toHaveLength(2);
      expect(nodes[2]!.recorder.messages).toHaveLength(2);
    }, WAIT);
    expect(nodes[1]!.recorder.messages).toContainEqual(append(1, 2, 5, 100));
    expect(nodes[2]!.recorder.messages).toContainEqual(snap);
    await vi.waitFor(() => expect(nodes[0]!.recorder.snapshots).toEqual([[3, true]]), WAIT);
  });

  it('drops messages whose sender is not the authenticated peer, or not addressed to this node', async () => {
    const [a, b] = (await cluster(2)) as [Node, Node];
    await connected([a, b]);
    a.transport.send([heartbeat(3, 2), heartbeat(1, 2, 1)]);
    await vi.waitFor(() => expect(b.recorder.messages).toEqual([heartbeat(1, 2, 1)]), WAIT);
    expect(peerStats(b.transport, 1).droppedMisaddressed).toBe(1);
  });

  it('counts what it cannot send without throwing', async () => {
    const [a] = (await cluster(2)) as [Node, Node];
    a.transport.send([
      message({ type: 'hup', from: 1, to: 2 }),
      heartbeat(1, 1),
      heartbeat(1, 7),
      { ...heartbeat(1, 2), term: -1 },
    ]);
    expect(a.transport.stats()).toMatchObject({
      droppedLocal: 1,
      droppedSelf: 1,
      droppedUnknownPeer: 1,
      droppedInvalid: 1,
    });
    expect(peerStats(a.transport, 2).queuedMessages).toBe(0);
  });

  it('reports a down peer unreachable, keeps its messages queued, and delivers them once it is up', async () => {
    const port = await vacantPort();
    const sa = await server();
    const peers = new Map<NodeId, PeerAddress>([
      [1, { name: 'n1', url: sa.url }],
      [2, { name: 'n2', url: `http://127.0.0.1:${port}` }],
    ]);
    const a = startTransport(1, sa, peers);
    a.transport.send([heartbeat(1, 2, 1)]);
    await vi.waitFor(() => expect(a.recorder.unreachable).toContain(2), WAIT);
    await vi.waitFor(() => expect(peerStats(a.transport, 2).connectFailures).toBeGreaterThanOrEqual(2), WAIT);
    expect(peerStats(a.transport, 2)).toMatchObject({ connected: false, queuedMessages: 1 });

    const sb = await server(port);
    const b = startTransport(2, sb, peers);
    await vi.waitFor(() => expect(b.recorder.messages).toEqual([heartbeat(1, 2, 1)]), WAIT);
    expect(peerStats(a.transport, 2)).toMatchObject({ connected: true, connects: 1, queuedMessages: 0 });
  });

  it('reports a down peer unreachable on every turn that has messages for it', async () => {
    const port = await vacantPort();
    const sa = await server();
    const peers = new Map<NodeId, PeerAddress>([[2, { name: 'n2', url: `http://127.0.0.1:${port}` }]]);
    // one failed attempt, then a retry far beyond the test: only send() can report the peer again
    const a = startTransport(1, sa, peers, { reconnectMinMs: 60_000, reconnectMaxMs: 60_000 });
    await vi.waitFor(() => expect(a.recorder.unreachable).toEqual([2]), WAIT);
    a.transport.send([heartbeat(1, 2, 1), heartbeat(1, 2, 2)]);
    await vi.waitFor(() => expect(a.recorder.unreachable).toEqual([2, 2]), WAIT);
    a.transport.send([heartbeat(1, 2, 3)]);
    await vi.waitFor(() => expect(a.recorder.unreachable).toEqual([2, 2, 2]), WAIT);
  });

  it('reconnects after the peer restarts, and reports it unreachable meanwhile', async () => {
    const [a, b] = (await cluster(2)) as [Node, Node];
    await connected([a, b]);
    const port = b.server.port;
    await b.transport.close();
    await b.server.close();
    await vi.waitFor(() => expect(peerStats(a.transport, 2).connected).toBe(false), WAIT);
    a.transport.send([heartbeat(1, 2, 5)]);
    await vi.waitFor(() => expect(a.recorder.unreachable).toContain(2), WAIT);

    const sb = await server(port);
    const b2 = startTransport(2, sb, new Map([[1, { name: 'n1', url: a.server.url }]]));
    await vi.waitFor(() => expect(b2.recorder.messages).toEqual([heartbeat(1, 2, 5)]), WAIT);
    expect(peerStats(a.transport, 2).connects).toBe(2);
  });

  it('redials a restarted peer as soon as it dials in, not after the backoff', async () => {
    // a backoff far beyond the test: only the inbound link of the restarted peer can bring a redial
    const slow = { reconnectMinMs: 60_000, reconnectMaxMs: 60_000 };
    const [a, b] = (await cluster(2, slow)) as [Node, Node];
    await connected([a, b]);
    const port = b.server.port;
    await b.transport.close();
    await b.server.close();
    await vi.waitFor(() => expect(peerStats(a.transport, 2).connected).toBe(false), WAIT);

    const sb = await server(port);
    const b2 = startTransport(2, sb, new Map([[1, { name: 'n1', url: a.server.url }]]), slow);
    a.transport.send([heartbeat(1, 2, 7)]);
    await vi.waitFor(() => expect(peerStats(a.transport, 2).connected).toBe(true), WAIT);
    a.transport.send([heartbeat(1, 2, 8)]);
    await vi.waitFor(() => expect(b2.recorder.messages).toContainEqual(heartbeat(1, 2, 8)), WAIT);
  });

  it('bounds the queue: drops the oldest, counts them, and reports the peer', async () => {
    const port = await vacantPort();
    const sa = await server();
    const peers = new Map<NodeId, PeerAddress>([
      [1, { name: 'n1', url: sa.url }],
      [2, { name: 'n2', url: `http://127.0.0.1:${port}` }],
    ]);
    const a = startTransport(1, sa, peers, { maxQueueMessages: 5 });
    a.transport.send(Array.from({ length: 12 }, (_, i) => heartbeat(1, 2, i + 1)));
    expect(peerStats(a.transport, 2)).toMatchObject({ queuedMessages: 5, droppedQueueFull: 7 });
    await vi.waitFor(() => expect(a.recorder.unreachable).toContain(2), WAIT);

    const b = startTransport(2, await server(port), peers);
    await vi.waitFor(() => expect(b.recorder.messages).toHaveLength(5), WAIT);
    expect(b.recorder.messages.map((m) => m.commit)).toEqual([8, 9, 10, 11, 12]);
  });

  it('reports a dropped snapshot as failed', async () => {
    const port = await vacantPort();
    const sa = await server();
    const peers = new Map<NodeId, PeerAddress>([
      [1, { name: 'n1', url: sa.url }],
      [2, { name: 'n2', url: `http://127.0.0.1:${port}` }],
    ]);
    const a = startTransport(1, sa, peers, { maxQueueMessages: 1 });
    const snap = message({
      type: 'snap',
      from: 1,
      to: 2,
      snapshot: {
        metadata: { index: 1, term: 1, confState: { voters: [1, 2], learners: [] } },
        data: new Uint8Array(8),
      },
    });
    a.transport.send([snap, heartbeat(1, 2)]);
    await vi.waitFor(() => expect(a.recorder.snapshots).toEqual([[2, false]]), WAIT);
  });

  it('splits a long queue into frames no larger than maxFrameBytes, in order', async () => {
    const nodes = await cluster(2, { maxFrameBytes: 2_048 });
    const [a, b] = nodes as [Node, Node];
    await connected(nodes);
    const appends = Array.from({ length: 10 }, (_, i) => append(1, 2, i + 1, 600));
    a.transport.send(appends);
    await vi.waitFor(() => expect(b.recorder.messages).toHaveLength(10), WAIT);
    expect(b.recorder.messages).toEqual(appends);
    const stats = peerStats(a.transport, 2);
    expect(stats.sentFrames).toBeGreaterThanOrEqual(4);
    expect(stats.sentBytes / stats.sentFrames).toBeLessThanOrEqual(2_048);
    expect(b.recorder.batches.length).toBe(stats.sentFrames);
  });

  it('drops a message larger than a frame may be, and reports the peer', async () => {
    const nodes = await cluster(2, { maxFrameBytes: 2_048 });
    const [a, b] = nodes as [Node, Node];
    await connected(nodes);
    a.transport.send([append(1, 2, 1, 4_096), heartbeat(1, 2, 7)]);
    await vi.waitFor(() => expect(b.recorder.messages).toEqual([heartbeat(1, 2, 7)]), WAIT);
    expect(peerStats(a.transport, 2).droppedOversize).toBe(1);
    expect(a.recorder.unreachable).toContain(2);
  });

  it('closes a link that sends a frame over maxFrameBytes with 1009, and keeps serving', async () => {
    const nodes = await cluster(2, { maxFrameBytes: 2_048 });
    const [a, b] = nodes as [Node, Node];
    b.transport.setPeers(
      new Map([
        [1, { name: 'n1', url: a.server.url }],
        [3, { name: 'n3', url: `http://127.0.0.1:${await vacantPort()}` }],
      ]),
    );
    const raw = new RawPeer(b.server.url);
    closer.add(() => raw.close());
    expect(JSON.parse((await raw.hello()) ?? 'null')).toMatchObject({ type: 'peerWelcome', nodeName: 'n2' });
    raw.ws.send(new Uint8Array(3_000));
    expect((await raw.closed).code).toBe(PEER_CLOSE_CODES.frameTooLarge);
    await vi.waitFor(() => expect(peerStats(b.transport, 3).badFrames).toBe(1), WAIT);

    await connected([a]);
    a.transport.send([heartbeat(1, 2, 4)]);
    await vi.waitFor(() => expect(b.recorder.messages).toEqual([heartbeat(1, 2, 4)]), WAIT);
  });

  it('closes only the link that sent a garbage frame; the transport keeps working', async () => {
    const nodes = await cluster(2);
    const [a, b] = nodes as [Node, Node];
    b.transport.setPeers(
      new Map([
        [1, { name: 'n1', url: a.server.url }],
        [3, { name: 'n3', url: `http://127.0.0.1:${await vacantPort()}` }],
      ]),
    );
    await connected([a]);
    const raw = new RawPeer(b.server.url);
    closer.add(() => raw.close());
    await raw.hello();
    raw.ws.send(Uint8Array.of(1, 200, 3, 4, 5));
    expect(await raw.closed).toMatchObject({ code: PEER_CLOSE_CODES.badFrame });
    expect(peerStats(b.transport, 3).badFrames).toBe(1);

    a.transport.send([heartbeat(1, 2, 3)]);
    await vi.waitFor(() => expect(b.recorder.messages).toEqual([heartbeat(1, 2, 3)]), WAIT);
    expect(peerStats(a.transport, 2)).toMatchObject({ connected: true, connects: 1 });
  });

  it('closes a link that sends text after the handshake', async () => {
    const [, b] = (await cluster(2)) as [Node, Node];
    b.transport.setPeers(new Map([[3, { name: 'n3', url: `http://127.0.0.1:${await vacantPort()}` }]]));
    const raw = new RawPeer(b.server.url);
    closer.add(() => raw.close());
    await raw.hello();
    raw.ws.send('{"type":"heartbeat"}');
    expect((await raw.closed).code).toBe(PEER_CLOSE_CODES.badFrame);
  });

  it('keeps only the newest inbound link from a peer', async () => {
    const [, b] = (await cluster(2)) as [Node, Node];
    b.transport.setPeers(new Map([[3, { name: 'n3', url: `http://127.0.0.1:${await vacantPort()}` }]]));
    const first = new RawPeer(b.server.url);
    closer.add(() => first.close());
    await first.hello();
    const second = new RawPeer(b.server.url);
    closer.add(() => second.close());
    await second.hello();
    expect((await first.closed).code).toBe(PEER_CLOSE_CODES.replaced);
    expect(peerStats(b.transport, 3).inboundLinks).toBe(1);
  });

  it('redials at once when a peer moves to another URL', async () => {
    const [a, b] = (await cluster(2, { reconnectMinMs: 60_000, reconnectMaxMs: 60_000 })) as [Node, Node];
    await connected([a, b]);
    const wrong = new Map<NodeId, PeerAddress>([[2, { name: 'n2', url: `http://127.0.0.1:${await vacantPort()}` }]]);
    a.transport.setPeers(wrong);
    await vi.waitFor(() => expect(peerStats(a.transport, 2).connectFailures).toBe(1), WAIT);
    // the next retry is a minute away: only the move can bring the link back within the wait
    a.transport.setPeers(new Map([[2, { name: 'n2', url: b.server.url }]]));
    await vi.waitFor(() => expect(peerStats(a.transport, 2).connected).toBe(true), WAIT);
  });

  it('closes the links of a removed peer and stops sending to it', async () => {
    const [a, b] = (await cluster(2)) as [Node, Node];
    await connected([a, b]);
    b.transport.setPeers(new Map());
    await vi.waitFor(() => expect(peerStats(a.transport, 2).connected).toBe(false), WAIT);
    b.transport.send([heartbeat(2, 1)]);
    expect(b.transport.stats()).toMatchObject({ droppedUnknownPeer: 1, peers: [] });
    // a's redials are refused: n1 is no longer one of n2's peers
    await vi.waitFor(() => expect(b.transport.stats().refusedHandshakes.unknownPeer).toBeGreaterThanOrEqual(1), WAIT);
  });

  it('sends nothing and accepts nothing after close()', async () => {
    const [a, b] = (await cluster(2)) as [Node, Node];
    await connected([a, b]);
    await b.transport.close();
    b.transport.send([heartbeat(2, 1)]);
    const raw = new RawPeer(b.server.url);
    closer.add(() => raw.close());
    expect(await raw.next()).toBeNull();
    expect(a.recorder.messages).toEqual([]);
  });
});

describe('WsTransport handshake', () => {
  async function acceptor(options: Partial<WsTransportOptions> = {}): Promise<Node> {
    const s = await server();
    const peers = new Map<NodeId, PeerAddress>([
      [2, { name: 'n2', url: s.url }],
      [3, { name: 'n3', url: `http://127.0.0.1:${await vacantPort()}` }],
    ]);
    return { id: 2, name: 'n2', server: s, ...startTransport(2, s, peers, options) };
  }

  async function refusal(node: Node, fields: Parameters<RawPeer['hello']>[0]): Promise<number> {
    const raw = new RawPeer(node.server.url);
    closer.add(() => raw.close());
    expect(await raw.hello(fields)).toBeNull();
    return (await raw.closed).code;
  }

  it('accepts a configured peer of the same cluster that names this node', async () => {
    const node = await acceptor();
    const raw = new RawPeer(node.server.url);
    closer.add(() => raw.close());
    expect(JSON.parse((await raw.hello()) ?? 'null')).toEqual({
      type: 'peerWelcome',
      protocol: 1,
      clusterId: CLUSTER,
      nodeName: 'n2',
    });
    await vi.waitFor(() => expect(peerStats(node.transport, 3).inboundLinks).toBe(1), WAIT);
  });

  it('refuses a wrong cluster id, a wrong target, an unknown sender, another protocol, a garbled hello', async () => {
    const node = await acceptor();
    expect(await refusal(node, { clusterId: 'other-cluster' })).toBe(PEER_CLOSE_CODES.wrongCluster);
    expect(await refusal(node, { toNodeName: 'n9' })).toBe(PEER_CLOSE_CODES.wrongTarget);
    expect(await refusal(node, { fromNodeName: 'n9' })).toBe(PEER_CLOSE_CODES.unknownPeer);
    expect(await refusal(node, { fromNodeName: 'n2' })).toBe(PEER_CLOSE_CODES.unknownPeer);
    expect(await refusal(node, { raw: '{"type":"peerHello","protocol":2}' })).toBe(
      PEER_CLOSE_CODES.unsupportedProtocol,
    );
    expect(await refusal(node, { raw: 'not json' })).toBe(PEER_CLOSE_CODES.badHandshake);
    expect(node.transport.stats().refusedHandshakes).toMatchObject({
      wrongCluster: 1,
      wrongTarget: 1,
      unknownPeer: 2,
      unsupportedProtocol: 1,
      badHandshake: 1,
    });
  });

  it('refuses a binary frame before the hello', async () => {
    const node = await acceptor();
    const raw = new RawPeer(node.server.url);
    closer.add(() => raw.close());
    await raw.next();
    raw.ws.send(Uint8Array.of(1, 0));
    expect((await raw.closed).code).toBe(PEER_CLOSE_CODES.badHandshake);
  });

  it('closes a link that never says hello', async () => {
    const node = await acceptor({ handshakeTimeoutMs: 50 });
    const raw = new RawPeer(node.server.url);
    closer.add(() => raw.close());
    expect((await raw.closed).code).toBe(PEER_CLOSE_CODES.handshakeTimeout);
    expect(node.transport.stats().refusedHandshakes.handshakeTimeout).toBe(1);
  });

  it('with a peer secret: accepts the right proof, refuses a missing or wrong one', async () => {
    const node = await acceptor({ peerSecret: SECRET });
    const ok = new RawPeer(node.server.url);
    closer.add(() => ok.close());
    const welcome = JSON.parse((await ok.hello({ secret: SECRET })) ?? 'null');
    expect(welcome).toMatchObject({ type: 'peerWelcome', nodeName: 'n2' });
    expect(welcome.proof).toMatch(/^[0-9a-f]{64}$/);

    expect(await refusal(node, {})).toBe(PEER_CLOSE_CODES.unauthenticated);
    expect(await refusal(node, { proof: '0'.repeat(64) })).toBe(PEER_CLOSE_CODES.unauthenticated);
    const otherSecret = new TextEncoder().encode('another-secret-also-long-enough!');
    expect(await refusal(node, { secret: otherSecret })).toBe(PEER_CLOSE_CODES.unauthenticated);
    // without the secret, even a wrong cluster id learns only "unauthenticated"
    expect(await refusal(node, { clusterId: 'other-cluster' })).toBe(PEER_CLOSE_CODES.unauthenticated);
    expect(node.transport.stats().refusedHandshakes.unauthenticated).toBe(4);
  });

  it('nodes sharing a secret exchange messages; a node with another secret never links', async () => {
    const nodes = await cluster(2, { peerSecret: SECRET });
    const [a, b] = nodes as [Node, Node];
    await connected(nodes);
    a.transport.send([heartbeat(1, 2, 1)]);
    await vi.waitFor(() => expect(b.recorder.messages).toEqual([heartbeat(1, 2, 1)]), WAIT);

    const sc = await server();
    const c = startTransport(3, sc, new Map([[2, { name: 'n2', url: b.server.url }]]), {
      peerSecret: 'another-secret-also-long-enough!',
    });
    b.transport.setPeers(
      new Map([
        [1, { name: 'n1', url: a.server.url }],
        [3, { name: 'n3', url: sc.url }],
      ]),
    );
    await vi.waitFor(() => expect(peerStats(c.transport, 2).connectFailures).toBeGreaterThanOrEqual(2), WAIT);
    expect(peerStats(c.transport, 2).connected).toBe(false);
    expect(b.transport.stats().refusedHandshakes.unauthenticated).toBeGreaterThanOrEqual(2);
    // and b, dialing c, does not accept c's welcome either (c refuses b's hello first)
    await vi.waitFor(() => expect(peerStats(b.transport, 3).connectFailures).toBeGreaterThanOrEqual(1), WAIT);
    expect(peerStats(b.transport, 3).connected).toBe(false);
  });

  it('the dialing side refuses an acceptor that is not the node it meant', async () => {
    // n1 believes n2 lives where n3 does: n3 refuses the hello (wrong target), n1 never links
    const nodes = await cluster(3);
    const [a, , c] = nodes as [Node, Node, Node];
    a.transport.setPeers(
      new Map([
        [2, { name: 'n2', url: c.server.url }],
        [3, { name: 'n3', url: c.server.url }],
      ]),
    );
    await vi.waitFor(() => expect(c.transport.stats().refusedHandshakes.wrongTarget).toBeGreaterThanOrEqual(1), WAIT);
    expect(peerStats(a.transport, 2).connected).toBe(false);
  });
});

describe('WsTransport dialing a fake acceptor', () => {
  /** An acceptor that answers every hello with `welcome(hello)` and records how the caller closes. */
  async function fakeAcceptor(welcome: (hello: PeerHello, challengeNonce: string) => object) {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    closer.add(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    const closeCodes: number[] = [];
    wss.on('connection', (ws) => {
      const challengeNonce = 'cd'.repeat(16);
      ws.on('close', (code) => closeCodes.push(code));
      ws.once('message', (data) => ws.send(JSON.stringify(welcome(JSON.parse(String(data)), challengeNonce))));
      ws.send(JSON.stringify({ type: 'peerChallenge', protocol: 1, nonce: challengeNonce }));
    });
    return { url: `http://127.0.0.1:${(wss.address() as AddressInfo).port}`, closeCodes };
  }

  async function dial(url: string, options: Partial<WsTransportOptions> = {}) {
    const t = startTransport(1, await server(), new Map([[2, { name: 'n2', url }]]), options);
    await vi.waitFor(() => expect(peerStats(t.transport, 2).connectFailures).toBeGreaterThanOrEqual(1), WAIT);
    expect(peerStats(t.transport, 2)).toMatchObject({ connected: false, connects: 0 });
  }

  it('refuses a welcome from another node or another cluster', async () => {
    const impostor = await fakeAcceptor(() => ({
      type: 'peerWelcome',
      protocol: 1,
      clusterId: CLUSTER,
      nodeName: 'n3',
    }));
    await dial(impostor.url);
    await vi.waitFor(() => expect(impostor.closeCodes[0]).toBe(PEER_CLOSE_CODES.wrongTarget), WAIT);
    const foreign = await fakeAcceptor(() => ({
      type: 'peerWelcome',
      protocol: 1,
      clusterId: 'other',
      nodeName: 'n2',
    }));
    await dial(foreign.url);
    await vi.waitFor(() => expect(foreign.closeCodes[0]).toBe(PEER_CLOSE_CODES.wrongCluster), WAIT);
  });

  it('with a peer secret, refuses a welcome without the right proof', async () => {
    const replayed = await fakeAcceptor(() => ({
      type: 'peerWelcome',
      protocol: 1,
      clusterId: CLUSTER,
      nodeName: 'n2',
      proof: 'e'.repeat(64),
    }));
    await dial(replayed.url, { peerSecret: SECRET });
    await vi.waitFor(() => expect(replayed.closeCodes[0]).toBe(PEER_CLOSE_CODES.unauthenticated), WAIT);
  });

  it('links with an acceptor that proves the secret over its own nonce', async () => {
    const honest = await fakeAcceptor((hello, challengeNonce) => ({
      type: 'peerWelcome',
      protocol: 1,
      clusterId: CLUSTER,
      nodeName: 'n2',
      proof: welcomeProof(SECRET, {
        clusterId: CLUSTER,
        connectorName: hello.fromNodeName,
        acceptorName: 'n2',
        challengeNonce,
        helloNonce: hello.nonce,
      }),
    }));
    const t = startTransport(1, await server(), new Map([[2, { name: 'n2', url: honest.url }]]), {
      peerSecret: SECRET,
    });
    await vi.waitFor(() => expect(peerStats(t.transport, 2).connected).toBe(true), WAIT);
  });

  it('refuses a garbled welcome', async () => {
    const garbled = await fakeAcceptor(() => ({ type: 'peerWelcome', protocol: 1 }));
    await dial(garbled.url);
    await vi.waitFor(() => expect(garbled.closeCodes[0]).toBe(PEER_CLOSE_CODES.badHandshake), WAIT);
  });
});

describe('WsTransport configuration', () => {
  const base = { selfId: 1, selfName: 'n1', clusterId: CLUSTER };

  it('refuses bad options with a code', () => {
    const bad: Partial<WsTransportOptions>[] = [
      { selfId: 0 },
      { selfName: 'has space' },
      { clusterId: '' },
      { peerSecret: 'short' },
      { maxQueueMessages: 0 },
      { maxFrameBytes: 100 },
      { maxFrameBytes: 2 ** 40 },
      { maxFrameBytes: 4_096, maxQueueBytes: 1_024 },
      { reconnectMinMs: 100, reconnectMaxMs: 10 },
      { handshakeTimeoutMs: 1.5 },
    ];
    for (const options of bad) {
      expect(() => new WsTransport({ ...base, ...options }), JSON.stringify(options)).toThrow(TransportConfigError);
    }
  });

  it('refuses a bad peer set and keeps the previous one', async () => {
    const transport = new WsTransport({ ...base, reconnectMinMs: 60_000, reconnectMaxMs: 60_000 });
    closer.add(() => transport.close());
    const good = new Map<NodeId, PeerAddress>([
      [1, { name: 'n1', url: 'http://127.0.0.1:1' }],
      [2, { name: 'n2', url: `http://127.0.0.1:${await vacantPort()}` }],
    ]);
    transport.setPeers(good);
    const bad: [NodeId, PeerAddress][][] = [
      [[1, { name: 'nX', url: 'http://127.0.0.1:1' }]],
      [[3, { name: 'n1', url: 'http://127.0.0.1:1' }]],
      [
        [3, { name: 'n3', url: 'http://127.0.0.1:1' }],
        [4, { name: 'n3', url: 'http://127.0.0.1:2' }],
      ],
      [[3, { name: 'n3', url: 'ftp://127.0.0.1:1' }]],
      [[3, { name: 'n3', url: 'not a url' }]],
      [[0, { name: 'n0', url: 'http://127.0.0.1:1' }]],
    ];
    for (const entries of bad) {
      expect(() => transport.setPeers(new Map(entries)), JSON.stringify(entries)).toThrow(
        expect.objectContaining({ code: 'INVALID_PEERS' }),
      );
    }
    expect(transport.stats().peers.map((p) => p.name)).toEqual(['n2']);
  });
});
