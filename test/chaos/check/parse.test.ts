/** The history parsers: what each format line becomes, and what is refused (with its line). */
import { describe, expect, it } from 'vitest';
import { parseBatonJsonl } from './parse/baton-jsonl.js';
import { HistoryParseError } from './parse/errors.js';
import { parseJepsenKv } from './parse/jepsen-kv.js';
import { parseJepsenRegister } from './parse/jepsen-register.js';
import { jsonl, rec } from './testing/baton-lines.js';

const jepsen = (lines: string[]) => lines.map((l) => `INFO  jepsen.util - ${l.split(' ').join('\t')}`).join('\n');

describe('Jepsen register log', () => {
  it('pairs invokes with completions per process; :info and missing completions never return', () => {
    const ops = parseJepsenRegister(
      jepsen([
        '0 :invoke :write 3',
        '1 :invoke :read nil',
        '2 :invoke :cas [3 4]',
        '0 :ok :write 3',
        '1 :ok :read 3',
        '2 :fail :cas [3 4]',
        '0 :invoke :cas [1 2]',
        '1 :invoke :write 9',
        '0 :info :cas :timed-out',
      ]),
    );
    expect(ops.map((o) => [o.input, o.output, o.callTime, o.returnTime])).toEqual([
      [{ f: 'write', value: 3 }, null, 1, 4],
      [{ f: 'read' }, 3, 2, 5],
      [{ f: 'cas', from: 3, to: 4 }, false, 3, 6],
      [{ f: 'cas', from: 1, to: 2 }, undefined, 7, null],
      [{ f: 'write', value: 9 }, undefined, 8, null],
    ]);
  });

  it('a timed-out read returns with an unknown value; a failed write did not happen', () => {
    const ops = parseJepsenRegister(
      jepsen(['0 :invoke :read nil', '0 :fail :read :timed-out', '1 :invoke :write 2', '1 :fail :write 2']),
    );
    expect(ops).toHaveLength(1);
    expect(ops[0]).toMatchObject({ input: { f: 'read' }, output: undefined, returnTime: 2 });
  });

  it('refuses a line it cannot read, naming it', () => {
    expect(() => parseJepsenRegister(jepsen(['0 :invoke :read nil', '0 :ok :read banana']))).toThrow(/line 2/);
    expect(() => parseJepsenRegister('hello')).toThrow(HistoryParseError);
    expect(() => parseJepsenRegister(jepsen(['0 :ok :read 1']))).toThrow(/completes nothing/);
  });
});

describe('Jepsen kv EDN lines', () => {
  it('reads get/put/append with string values and escapes', () => {
    const ops = parseJepsenKv(
      [
        '{:process 1, :type :invoke, :f :append, :key "5", :value "x \\"1\\" y"}',
        '{:process 2, :type :invoke, :f :get, :key "5", :value nil}',
        '{:process 1, :type :ok, :f :append, :key "5", :value "x \\"1\\" y"}',
        '{:process 2, :type :ok, :f :get, :key "5", :value ""}',
      ].join('\n'),
    );
    expect(ops.map((o) => [o.input, o.output, o.callTime, o.returnTime])).toEqual([
      [{ f: 'append', key: '5', value: 'x "1" y' }, null, 1, 3],
      [{ f: 'get', key: '5' }, '', 2, 4],
    ]);
  });

  it('refuses a completion of another key', () => {
    const text = [
      '{:process 1, :type :invoke, :f :get, :key "5", :value nil}',
      '{:process 1, :type :ok, :f :get, :key "6", :value ""}',
    ].join('\n');
    expect(() => parseJepsenKv(text)).toThrow(/line 2/);
  });
});

describe('Baton JSON lines', () => {
  it('reads every operation kind', () => {
    const ops = parseBatonJsonl(
      jsonl([
        rec('a', [0, 1], 'acquire', 'L', { sessionId: '7', limit: 2 }, { acquired: true, token: 9, generation: 1 }),
        rec('a', [1, 2], 'tryAcquire', 'L', { session: 7 }, { acquired: false }),
        rec('a', [2, 3], 'release', 'L', { session: '7', token: 9 }, { error: 'NOT_HOLDER' }),
        rec('b', [3, 4], 'fenceCheck', 'L', { token: 9 }, { current: true, newestToken: 9 }),
        rec('b', [4, 5], 'describe', 'L', {}, { holders: [{ sessionId: '7', token: 9, sinceMs: 3 }] }),
        rec('c', [5, null], 'campaign', 'E', { session: '8', value: 'v' }, null),
        rec('c', [6, 7], 'leader', 'E', {}, { leader: null }),
        rec('x', [7, 8], 'expire', null, { session: '8' }, {}),
        rec('d', [8, 9], 'write', 'L', { token: 9, value: 'w' }, { accepted: true }),
        rec('d', [9, 10], 'read', 'L', {}, { value: 'w' }),
      ]),
    );
    expect(ops.map((o) => [o.input, o.output, o.returnTime])).toEqual([
      [{ f: 'acquire', name: 'L', session: '7', limit: 2, wait: true }, { kind: 'granted', token: 9 }, 1],
      [{ f: 'acquire', name: 'L', session: '7', limit: 1, wait: false }, { kind: 'notAcquired' }, 2],
      [{ f: 'release', name: 'L', session: '7', token: 9 }, { kind: 'error', code: 'NOT_HOLDER' }, 3],
      [{ f: 'fenceCheck', name: 'L', token: 9 }, { kind: 'fence', current: true, newestToken: 9 }, 4],
      [{ f: 'describe', name: 'L' }, { kind: 'holders', holders: [{ session: '7', token: 9 }] }, 5],
      [{ f: 'campaign', name: 'E', session: '8', value: 'v' }, undefined, null],
      [{ f: 'leader', name: 'E' }, { kind: 'leader', leader: null }, 7],
      [{ f: 'expire', name: null, session: '8' }, { kind: 'done' }, 8],
      [{ f: 'write', name: 'L', token: 9, value: 'w' }, { kind: 'write', accepted: true }, 9],
      [{ f: 'read', name: 'L' }, { kind: 'read', value: 'w' }, 10],
    ]);
    expect(ops[0]!.meta).toEqual({ line: 1, node: 'n1', process: 97 });
  });

  it('an unknown result never returns, whatever returnMs says (it may still take effect)', () => {
    const [op] = parseBatonJsonl(jsonl([rec('a', [0, 5], 'acquire', 'L', { session: '1' }, null)]));
    expect(op!.returnTime).toBeNull();
  });

  it('refuses malformed lines, naming them', () => {
    const good = JSON.stringify(rec('a', [0, 1], 'read', 'L', {}, { value: null }));
    const bad = (line: string) => () => parseBatonJsonl(`${good}\n${line}\n`);
    expect(bad('{not json')).toThrow(/line 2: not JSON/);
    expect(bad(JSON.stringify(rec('a', [0, 1], 'fly', 'L', {}, {})))).toThrow(/unknown op/);
    expect(bad(JSON.stringify(rec('a', [0, 1], 'acquire', null, { session: '1' }, {})))).toThrow(/name must be/);
    expect(bad(JSON.stringify(rec('a', [5, 1], 'read', 'L', {}, { value: null })))).toThrow(/before invokeMs/);
    expect(bad(JSON.stringify(rec('a', [0, 1], 'release', 'L', { session: '1', token: 0 }, {})))).toThrow(/token/);
    const noResult = { ...rec('a', [0, 1], 'read', 'L', {}, null), result: undefined };
    expect(bad(JSON.stringify(noResult))).toThrow(/result must be/);
  });
});
