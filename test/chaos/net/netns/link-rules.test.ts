/** The netns mode's command plans (pure): which rule each fault adds, and that heals undo exactly them. */
import { describe, expect, it } from 'vitest';
import type { LinkFault } from '../peer-net.js';
import { blockCommands, delayCommands, pairKey, setupCommands, teardownCommands } from './link-rules.js';
import { netnsLayout } from './names.js';

const layout = netnsLayout('00ab10', ['n1', 'n2', 'n3'], [201, 7]);
const blocks = (...pairs: [string, string, LinkFault][]) => new Map(pairs.map(([f, t, m]) => [pairKey(f, t), m]));
const text = (phases: readonly (readonly (readonly string[])[])[]) => phases.map((p) => p.map((a) => a.join(' ')));

describe('blockCommands', () => {
  it('drops from → to on the bridge port toward `to`, matching from’s address', () => {
    expect(text(blockCommands(layout, new Map(), blocks(['n1', 'n2', 'drop'])))).toEqual([
      ['tc filter add dev bcv00ab10n2 parent 1: protocol ip prio 100 u32 match ip src 10.201.7.1/32 flowid 1:2'],
    ]);
  });

  it('cuts from → to with a route in from’s namespace, then aborts its connections to `to`', () => {
    expect(text(blockCommands(layout, new Map(), blocks(['n3', 'n1', 'cut'])))).toEqual([
      ['ip -n baton-chaos-00ab10-n3 route replace unreachable 10.201.7.1/32'],
      ['ip netns exec baton-chaos-00ab10-n3 ss -K dst 10.201.7.1'],
    ]);
  });

  it('changes only what differs, removing before adding', () => {
    const before = blocks(['n1', 'n2', 'drop'], ['n2', 'n1', 'drop'], ['n1', 'n3', 'cut']);
    const after = blocks(['n1', 'n2', 'drop'], ['n2', 'n1', 'cut']);
    expect(text(blockCommands(layout, before, after))).toEqual([
      [
        'tc filter del dev bcv00ab10n1 parent 1: protocol ip prio 101',
        'ip -n baton-chaos-00ab10-n1 route del unreachable 10.201.7.3/32',
      ],
      ['ip -n baton-chaos-00ab10-n2 route replace unreachable 10.201.7.1/32'],
      ['ip netns exec baton-chaos-00ab10-n2 ss -K dst 10.201.7.1'],
    ]);
  });

  it('heals every rule it added, and nothing is left to do twice', () => {
    const all = blocks(['n1', 'n2', 'drop'], ['n2', 'n3', 'drop'], ['n3', 'n1', 'cut']);
    const heal = blockCommands(layout, all, new Map());
    expect(heal).toHaveLength(1);
    expect(heal[0]).toHaveLength(3);
    expect(blockCommands(layout, all, all)).toEqual([]);
    expect(blockCommands(layout, new Map(), new Map())).toEqual([]);
  });
});

describe('setup, teardown and delay', () => {
  it('creates the bridge first and tears down every namespace and the bridge', () => {
    const setup = setupCommands(layout).map((a) => a.join(' '));
    expect(setup[0]).toBe('ip link add bcb00ab10 type bridge');
    for (const n of layout.nodes) {
      expect(setup).toContain(`ip netns add ${n.ns}`);
      expect(setup).toContain(`ip -n ${n.ns} addr add ${n.address}/24 dev eth0`);
      expect(setup).toContain(`tc qdisc add dev ${n.veth} parent 1:2 handle 2: pfifo limit 0`);
    }
    expect(teardownCommands(layout).map((a) => a.join(' '))).toEqual([
      'ip netns del baton-chaos-00ab10-n1',
      'ip netns del baton-chaos-00ab10-n2',
      'ip netns del baton-chaos-00ab10-n3',
      'ip link del bcb00ab10',
    ]);
  });

  it('puts netem on every bridge port and takes it off again', () => {
    const on = delayCommands(layout, null, { delayMs: 80, jitterMs: 20 }).map((a) => a.join(' '));
    expect(on).toEqual(
      layout.nodes.map((n) => `tc qdisc replace dev ${n.veth} parent 1:1 handle 10: netem delay 80ms 20ms`),
    );
    expect(delayCommands(layout, { delayMs: 80, jitterMs: 20 }, null)).toHaveLength(3);
    expect(delayCommands(layout, null, null)).toEqual([]);
  });
});
