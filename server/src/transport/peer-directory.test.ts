import { describe, expect, it } from 'vitest';
import type { NodeId } from '../raft/types.js';
import { PeerDirectory, peerEndpoint } from './peer-directory.js';
import type { PeerAddress } from './types.js';

describe('peerEndpoint', () => {
  it('maps http(s) bases to ws(s) endpoints under /v1/peer, keeping a proxy path prefix', () => {
    expect(peerEndpoint('http://127.0.0.1:7001')).toBe('ws://127.0.0.1:7001/v1/peer');
    expect(peerEndpoint('https://node-2.example:443/')).toBe('wss://node-2.example/v1/peer');
    expect(peerEndpoint('http://proxy:9000/to/n2/')).toBe('ws://proxy:9000/to/n2/v1/peer');
    expect(peerEndpoint('ws://[::1]:7003')).toBe('ws://[::1]:7003/v1/peer');
  });

  it('refuses what is not a plain http(s)/ws(s) base', () => {
    for (const url of ['', 'tcp://x:1', 'http://x:1/?a=1', 'http://u:p@x:1', 'http://x:1/#f']) {
      expect(() => peerEndpoint(url), url).toThrow(expect.objectContaining({ code: 'INVALID_PEERS' }));
    }
  });
});

describe('PeerDirectory', () => {
  const peers = (entries: [NodeId, string, string][]) =>
    new Map<NodeId, PeerAddress>(entries.map(([id, name, url]) => [id, { name, url }]));

  it('looks peers up by id and by name, leaving this node out', () => {
    const d = new PeerDirectory(1, 'n1');
    d.replace(
      peers([
        [1, 'n1', 'http://a:1'],
        [2, 'n2', 'http://b:1'],
      ]),
    );
    expect(d.byId(2)?.name).toBe('n2');
    expect(d.byName('n2')?.id).toBe(2);
    expect(d.byId(1)).toBeUndefined();
    expect(d.byName('n1')).toBeUndefined();
  });

  it('reports what a new set adds, removes and moves', () => {
    const d = new PeerDirectory(1, 'n1');
    d.replace(
      peers([
        [2, 'n2', 'http://b:1'],
        [3, 'n3', 'http://c:1'],
        [4, 'n4', 'http://d:1'],
      ]),
    );
    const change = d.replace(
      peers([
        [2, 'n2', 'http://b:1'],
        [3, 'n3', 'http://c:2'],
        [4, 'n4-renamed', 'http://d:1'],
        [5, 'n5', 'http://e:1'],
      ]),
    );
    expect(change.added.map((p) => p.name)).toEqual(['n4-renamed', 'n5']);
    expect(change.removed.map((p) => p.name)).toEqual(['n4']);
    expect(change.moved.map((p) => p.endpoint)).toEqual(['ws://c:2/v1/peer']);
    expect(d.byName('n4')).toBeUndefined();
  });
});
