import { describe, expect, it } from 'vitest';
import { FsmHarness } from '../fsm/test-harness.js';
import { type Member, nodeIdFromName } from '../node/members.js';
import { decodeMemberContext, encodeMemberContext } from './member-context.js';
import { MemberRegistry } from './member-registry.js';
import { decodeNodeState, encodeNodeState, NodeStateError, nodeStateHeader } from './node-state.js';

const member = (name: string, port: number): Member => ({
  name,
  id: nodeIdFromName(name),
  peerUrl: `http://127.0.0.1:${port}`,
  clientUrl: `ws://127.0.0.1:${port}/v1/client`,
});

function fsmBytes(): Uint8Array {
  const h = new FsmHarness();
  const { value } = h.client('c', { op: 'openSession', ttlMs: 5_000 }) as { value: { sessionId: number } };
  h.client('c', { op: 'acquire', sessionId: value.sessionId, name: 'a', limit: 1, wait: false, lockDelayMs: 0 });
  return h.fsm.snapshot();
}

describe('member context', () => {
  it('round-trips, and refuses a context that does not fit the id or is not ours', () => {
    const m = member('n4', 7004);
    expect(decodeMemberContext(m.id, encodeMemberContext(m))).toEqual(m);
    expect(decodeMemberContext(nodeIdFromName('n5'), encodeMemberContext(m))).toBeNull();
    for (const bad of [
      undefined,
      '',
      'not json',
      'null',
      '[]',
      '{"name":"n4"}',
      '{"name":"n 4","peerUrl":"x","clientUrl":"y"}',
    ]) {
      expect(decodeMemberContext(m.id, bad), String(bad)).toBeNull();
    }
    expect(decodeMemberContext(m.id, encodeMemberContext({ ...m, peerUrl: `http://${'a'.repeat(600)}` }))).toBeNull();
  });
});

describe('node state (snapshot envelope)', () => {
  it('carries the member directory and the state machine bytes', () => {
    const fsm = fsmBytes();
    const members = [member('n1', 7001), member('n4', 7004)];
    const out = decodeNodeState(encodeNodeState(members, fsm));
    expect(out.members).toEqual(members);
    expect(Buffer.from(out.fsm).equals(Buffer.from(fsm))).toBe(true);
  });

  it('encoded in one buffer (the header, then the state machine right behind it): the same bytes', () => {
    const h = new FsmHarness();
    const { value } = h.client('c', { op: 'openSession', ttlMs: 5_000 }) as { value: { sessionId: number } };
    for (let i = 0; i < 50; i++) {
      h.client('c', {
        op: 'acquire',
        sessionId: value.sessionId,
        name: `lock/${i}`,
        limit: 1,
        wait: false,
        lockDelayMs: 0,
      });
    }
    const members = [member('n1', 7001), member('n2', 7002), member('n3', 7003)];
    const joined = h.fsm.snapshot(nodeStateHeader(members));
    expect(Buffer.from(joined).equals(Buffer.from(encodeNodeState(members, h.fsm.snapshot())))).toBe(true);
    // and the next snapshot's size is predicted from the state machine's bytes alone
    const again = h.fsm.snapshot(nodeStateHeader(members));
    expect(again.byteLength).toBe(joined.byteLength);
    expect(again.buffer.byteLength - again.byteLength).toBeLessThan(again.byteLength / 4);
  });

  it('reads a snapshot from before the directory existed (plain state machine bytes)', () => {
    const fsm = fsmBytes();
    expect(decodeNodeState(fsm)).toEqual({ members: [], fsm });
  });

  it('refuses damaged envelopes with NODE_STATE_CORRUPT', () => {
    const good = encodeNodeState([member('n1', 7001)], fsmBytes());
    const cases: Uint8Array[] = [
      new Uint8Array([1, 2, 3]),
      good.subarray(0, 6),
      Uint8Array.from([...good.subarray(0, 4), 9, ...good.subarray(5)]),
      Uint8Array.from([...good.subarray(0, 5), 0xff, 0xff, 0xff, 0xff, ...good.subarray(9)]),
      Uint8Array.from([...good.subarray(0, 9), 0x7b, ...good.subarray(10)]),
    ];
    for (const bad of cases) {
      expect(() => decodeNodeState(bad)).toThrow(NodeStateError);
    }
  });
});

describe('member registry', () => {
  it('follows the conf changes, lets the flags route, and lists a configuration', () => {
    const flags = [member('n1', 7001), member('n2', 7002)];
    const reg = new MemberRegistry(flags);
    let changes = 0;
    reg.onChange(() => changes++);
    const n1Elsewhere = { ...member('n1', 9001) };
    const n4 = member('n4', 7004);
    reg.applyConfChange({ type: 'addVoter', nodeId: n1Elsewhere.id, context: encodeMemberContext(n1Elsewhere) });
    reg.applyConfChange({ type: 'addLearner', nodeId: n4.id, context: encodeMemberContext(n4) });
    reg.applyConfChange({ type: 'addVoter', nodeId: n4.id });
    expect(changes).toBe(2);
    // the flags win for n1 (a proxy, say); n4 is known from the log alone
    expect(reg.get(n1Elsewhere.id)?.peerUrl).toBe('http://127.0.0.1:7001');
    expect(reg.replicatedMember(n1Elsewhere.id)?.peerUrl).toBe('http://127.0.0.1:9001');
    expect(reg.get(n4.id)).toEqual(n4);
    expect(
      reg
        .known()
        .map((m) => m.name)
        .sort(),
    ).toEqual(['n1', 'n2', 'n4']);
    const stranger = 424242;
    expect(reg.members({ voters: [n4.id, stranger], learners: [] }).map((m) => m.name)).toEqual(['n4', 'node-424242']);

    const copy = new MemberRegistry([]);
    copy.restore(reg.snapshot());
    expect(copy.snapshot()).toEqual(reg.snapshot());
    reg.applyConfChange({ type: 'removeNode', nodeId: n4.id });
    expect(reg.get(n4.id)).toBeUndefined();
    expect(changes).toBe(3);
  });

  it('ignores a context that does not describe the node it adds', () => {
    const reg = new MemberRegistry([]);
    reg.applyConfChange({ type: 'addLearner', nodeId: 5, context: encodeMemberContext(member('n4', 7004)) });
    expect(reg.known()).toEqual([]);
  });
});
