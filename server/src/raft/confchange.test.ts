/**
 * Unit and property tests for conf change encoding and the bootstrap log.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bootstrapLog, decodeConfChange, encodeConfChange } from './confchange.js';
import { RaftLog } from './log.js';
import { MemoryStorage } from './storage.js';
import type { ConfChange, ConfChangeType } from './types.js';

const FC = { seed: 42, numRuns: 200 } as const;
const TYPES: readonly ConfChangeType[] = ['addVoter', 'addLearner', 'removeNode'];
const bytes = (s: string) => new TextEncoder().encode(s);

const confChangeArb: fc.Arbitrary<ConfChange> = fc.record({
  type: fc.constantFrom(...TYPES),
  nodeId: fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
});

/** What decode may return: null, or a well-formed conf change. */
function expectWellFormedOrNull(cc: ConfChange | null): void {
  if (cc === null) return;
  expect(Object.keys(cc).sort()).toEqual(['nodeId', 'type']);
  expect(TYPES).toContain(cc.type);
  expect(Number.isInteger(cc.nodeId) && cc.nodeId > 0).toBe(true);
}

describe('encodeConfChange / decodeConfChange', () => {
  it('round-trips every well-formed conf change', () => {
    fc.assert(
      fc.property(confChangeArb, (cc) => {
        expect(decodeConfChange(encodeConfChange(cc))).toEqual(cc);
      }),
      FC,
    );
  });

  it('carries an opaque context, and ignores one that is not a string', () => {
    const cc: ConfChange = { type: 'addLearner', nodeId: 4, context: '{"name":"n4"}' };
    expect(decodeConfChange(encodeConfChange(cc))).toEqual(cc);
    expect(decodeConfChange(bytes('{"type":"addVoter","nodeId":4,"context":7}'))).toEqual({
      type: 'addVoter',
      nodeId: 4,
    });
    const boot = bootstrapLog([3, 5], new Map([[5, 'five']]));
    expect(boot.entries.map((e) => decodeConfChange(e.data))).toEqual([
      { type: 'addVoter', nodeId: 3 },
      { type: 'addVoter', nodeId: 5, context: 'five' },
    ]);
  });

  it('encodes only type and nodeId, as readable JSON', () => {
    const extra = { type: 'addLearner', nodeId: 4, junk: 1 } as ConfChange;
    expect(new TextDecoder().decode(encodeConfChange(extra))).toBe('{"type":"addLearner","nodeId":4}');
  });

  it('never throws on arbitrary bytes, and returns null or a well-formed change', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
        expectWellFormedOrNull(decodeConfChange(data));
      }),
      FC,
    );
  });

  it('never throws on arbitrary JSON; accepts exactly the well-formed shapes', () => {
    const field = fc.oneof(fc.jsonValue(), fc.constantFrom<unknown>(...TYPES), fc.integer({ min: -3, max: 3 }));
    const docArb = fc.oneof(
      fc.jsonValue(),
      fc.record({ type: field, nodeId: field }, { requiredKeys: [] }),
      fc.record({ type: fc.constantFrom(...TYPES), nodeId: field, other: fc.jsonValue() }),
    );
    fc.assert(
      fc.property(docArb, (doc) => {
        const got = decodeConfChange(bytes(JSON.stringify(doc)));
        const d = doc as { type?: unknown; nodeId?: unknown } | null;
        const ok =
          typeof d === 'object' &&
          d !== null &&
          !Array.isArray(d) &&
          TYPES.includes(d.type as ConfChangeType) &&
          typeof d.nodeId === 'number' &&
          Number.isInteger(d.nodeId) &&
          d.nodeId > 0;
        if (ok) expect(got).toEqual({ type: d.type, nodeId: d.nodeId });
        else expect(got).toBeNull();
      }),
      FC,
    );
  });

  it('rejects malformed input with null', () => {
    const bad = [
      '',
      ' ',
      'null',
      'true',
      '42',
      '"addVoter"',
      '[]',
      '[{"type":"addVoter","nodeId":1}]',
      '{}',
      '{"type":"addVoter"}',
      '{"nodeId":1}',
      '{"type":"addvoter","nodeId":1}',
      '{"type":"toString","nodeId":1}',
      '{"type":"addVoter","nodeId":0}',
      '{"type":"addVoter","nodeId":-1}',
      '{"type":"addVoter","nodeId":1.5}',
      '{"type":"addVoter","nodeId":"1"}',
      '{"type":"addVoter","nodeId":null}',
      '{"type":"addVoter","nodeId":1e400}',
      '{"type":["addVoter"],"nodeId":1}',
      '{"type":"addVoter","nodeId":1',
      '{"type":"addVoter","nodeId":1}}',
    ];
    for (const s of bad) expect(decodeConfChange(bytes(s)), s).toBeNull();
    expect(decodeConfChange(new Uint8Array([0xff, 0xfe, 0x7b]))).toBeNull(); // not UTF-8
    expect(decodeConfChange(bytes(' {"nodeId":7,"type":"removeNode","x":[1]} '))).toEqual({
      type: 'removeNode',
      nodeId: 7,
    });
  });
});

describe('bootstrapLog', () => {
  it('one committed addVoter entry per initial member, at term 1, indexes 1..n', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 9 }), (voters) => {
        const { entries, hardState } = bootstrapLog(voters);
        expect(entries.map((e) => [e.index, e.term, e.type])).toEqual(voters.map((_, k) => [k + 1, 1, 'confChange']));
        expect(entries.map((e) => decodeConfChange(e.data))).toEqual(
          voters.map((nodeId) => ({ type: 'addVoter', nodeId })),
        );
        expect(hardState).toEqual({ term: 1, vote: 0, commit: voters.length });

        // it is a valid log to start from: contiguous, and the commit index is inside it
        const storage = new MemoryStorage();
        storage.append(entries);
        storage.setHardState(hardState);
        const log = new RaftLog(storage, Number.MAX_SAFE_INTEGER);
        expect(log.lastIndex()).toBe(voters.length);
        expect(log.lastTerm()).toBe(1);
        log.commitTo(hardState.commit);
        expect(log.nextCommittedEnts()).toEqual(entries);
      }),
      FC,
    );
  });

  it('an empty member list gives an empty log at term 1', () => {
    expect(bootstrapLog([])).toEqual({ entries: [], hardState: { term: 1, vote: 0, commit: 0 } });
  });
});
