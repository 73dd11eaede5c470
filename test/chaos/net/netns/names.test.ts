/** Names, subnets and leftovers of the netns mode (pure). */
import { describe, expect, it } from 'vitest';
import { makeRunId, netnsLayout, ownerPid, pickSubnet, prefixesIn, staleLeftovers } from './names.js';

describe('run ids and names', () => {
  it('encode the owning pid and fit Linux interface names', () => {
    for (const pid of [1, 4242, 4_194_304]) {
      const runId = makeRunId(pid, 37);
      expect(runId).toMatch(/^[0-9a-z]{6}$/);
      expect(ownerPid(runId)).toBe(pid);
      const layout = netnsLayout(runId, ['n1', 'n2', 'n3', 'n4', 'n5'], [201, 7]);
      expect(layout.bridge.length).toBeLessThanOrEqual(15);
      for (const n of layout.nodes) expect(n.veth.length).toBeLessThanOrEqual(15);
      expect(layout.nodes.map((n) => n.ns)).toEqual([1, 2, 3, 4, 5].map((i) => `baton-chaos-${runId}-n${i}`));
      expect(layout.nodes.map((n) => n.address)).toEqual([1, 2, 3, 4, 5].map((i) => `10.201.7.${i}`));
      expect(layout.bridgeAddress).toBe('10.201.7.254');
      expect(layout.subnet).toBe('10.201.7.0/24');
    }
    expect(makeRunId(4242, 0)).not.toBe(makeRunId(4242, 1));
  });
});

describe('pickSubnet', () => {
  const ADDR = `1: lo    inet 127.0.0.1/8 scope host lo
4: eth0    inet 172.16.0.2/24 brd 172.16.0.255 scope global eth0`;

  it('avoids every prefix and address in use, other runs included', () => {
    const first = pickSubnet('abc120', prefixesIn(ADDR));
    expect(first).not.toBeNull();
    const [x, y] = first!;
    // another run holds that /24: the next pick differs
    const taken = prefixesIn(`${ADDR}\n10.${x}.${y}.0/24 dev bcbzzzzz0 proto kernel scope link src 10.${x}.${y}.254`);
    const second = pickSubnet('abc120', taken);
    expect(second).not.toBeNull();
    expect(second).not.toEqual(first);
  });

  it('gives up when a route covers all of 10/8', () => {
    expect(pickSubnet('abc120', prefixesIn('10.0.0.0/8 via 172.16.0.1 dev eth0'))).toBeNull();
  });

  it('reads addresses, prefixes and nothing else', () => {
    expect(prefixesIn('default via 172.16.0.1 dev eth0 10.1.2.0/24 999.1.1.1 1.2.3')).toEqual([
      { address: ((172 * 256 + 16) * 256 + 0) * 256 + 1, length: 32 },
      { address: ((10 * 256 + 1) * 256 + 2) * 256, length: 24 },
    ]);
  });
});

describe('staleLeftovers', () => {
  const dead = ownerPid('00zz10');
  const alive = (pid: number): boolean => pid !== dead;

  it("lists a dead run's namespaces, bridge and veths, and nothing of live runs or others", () => {
    const netns = [
      'baton-chaos-00zz10-n1 (id: 3)',
      'baton-chaos-00zz10-n2',
      'baton-chaos-01aa10-n1 (id: 5)',
      'other-ns',
    ].join('\n');
    const links = [
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536',
      '7: bcb00zz10: <BROADCAST,MULTICAST,UP> mtu 1500',
      '8: bcv00zz10n1@if2: <BROADCAST,MULTICAST,UP> mtu 1500',
      '9: bcb01aa10: <BROADCAST,MULTICAST,UP> mtu 1500',
      '10: bcbridge: <BROADCAST> mtu 1500',
    ].join('\n');
    expect(staleLeftovers(netns, links, alive)).toEqual({
      namespaces: ['baton-chaos-00zz10-n1', 'baton-chaos-00zz10-n2'],
      links: ['bcb00zz10', 'bcv00zz10n1'],
    });
  });
});
