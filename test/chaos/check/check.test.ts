/** The search itself, on small histories whose answers can be worked out by hand. */
import { describe, expect, it } from 'vitest';
import { checkOperations } from './check.js';
import { HistoryOrderError } from './event-list.js';
import { type KvInput, type KvOutput, kvModel } from './models/kv.js';
import { type RegisterInput, type RegisterOutput, registerModel } from './models/register.js';
import { formatFailure } from './report.js';
import type { Operation } from './types.js';

type RegOp = Operation<RegisterInput, RegisterOutput>;

function op(
  clientId: number,
  callTime: number,
  returnTime: number | null,
  input: RegisterInput,
  output: RegisterOutput | undefined,
): RegOp {
  return { clientId, callTime, returnTime, input, output };
}
const write = (v: number): RegisterInput => ({ f: 'write', value: v });
const read: RegisterInput = { f: 'read' };

describe('checkOperations on a register', () => {
  it('accepts the empty history', () => {
    expect(checkOperations(registerModel, []).result).toBe('ok');
  });

  it('accepts a read that overlaps a write and sees either value', () => {
    for (const seen of [null, 1]) {
      const h = [op(0, 0, 10, write(1), null), op(1, 5, 15, read, seen)];
      expect(checkOperations(registerModel, h).result).toBe('ok');
    }
  });

  it('rejects a stale read after the write returned', () => {
    const h = [op(0, 0, 10, write(1), null), op(1, 11, 15, read, null)];
    const checked = checkOperations(registerModel, h);
    expect(checked.result).toBe('illegal');
    const failure = checked.failures[0]!;
    expect(failure.prefix.map((o) => o.input)).toEqual([write(1)]);
    expect(failure.blocking).toBe(h[1]);
    expect(failure.stateAfterPrefix).toBe('value 1');
  });

  it('needs the order a later read forces, not the call order', () => {
    // w1 and w2 overlap; the read after both sees 1, so w2 took effect first
    const h = [op(0, 0, 10, write(1), null), op(1, 1, 11, write(2), null), op(2, 12, 13, read, 1)];
    expect(checkOperations(registerModel, h).result).toBe('ok');
    const h3 = [...h, op(2, 14, 15, read, 2)];
    expect(checkOperations(registerModel, h3).result).toBe('illegal');
  });

  it('lets a never-answered write take effect late, or never', () => {
    const lost = op(0, 0, null, write(7), undefined);
    expect(checkOperations(registerModel, [lost, op(1, 5, 6, read, null), op(1, 7, 8, read, 7)]).result).toBe('ok');
    expect(checkOperations(registerModel, [lost, op(1, 5, 6, read, null)]).result).toBe('ok');
    // but once seen it cannot be unseen
    const flip = [lost, op(1, 5, 6, read, 7), op(1, 7, 8, read, null)];
    expect(checkOperations(registerModel, flip).result).toBe('illegal');
  });

  it('treats cas answers as observations', () => {
    const cas = (from: number, to: number): RegisterInput => ({ f: 'cas', from, to });
    const ok = [op(0, 0, 1, write(1), null), op(0, 2, 3, cas(1, 2), true), op(0, 4, 5, read, 2)];
    expect(checkOperations(registerModel, ok).result).toBe('ok');
    const bad = [op(0, 0, 1, write(1), null), op(0, 2, 3, cas(1, 2), false)];
    expect(checkOperations(registerModel, bad).result).toBe('illegal');
  });

  it('counts operations that touch at one instant as concurrent', () => {
    const h = [op(0, 0, 10, write(1), null), op(1, 10, 12, read, null)];
    expect(checkOperations(registerModel, h).result).toBe('ok');
  });

  it('refuses a return before its call', () => {
    expect(() => checkOperations(registerModel, [op(0, 5, 4, read, null)])).toThrow(HistoryOrderError);
  });
});

describe('the budget', () => {
  // many concurrent writes and a final read that no order explains: the search must try them all
  const writes = Array.from({ length: 12 }, (_, i) => op(i, 0, 100, write(i), null));
  const hard = [...writes, op(99, 101, 102, read, 42)];

  it('answers unknown when the steps run out, never ok', () => {
    const checked = checkOperations(registerModel, hard, { budget: { maxSteps: 50 } });
    expect(checked.result).toBe('unknown');
    expect(checked.partitions[0]!.result).toBe('unknown');
  });

  it('answers unknown when the time runs out (injected clock)', () => {
    let nowMs = 0;
    const clock = () => {
      nowMs += 1;
      return nowMs;
    };
    const checked = checkOperations(registerModel, hard, { budget: { maxMs: 5 }, nowMs: clock });
    expect(checked.result).toBe('unknown');
  });

  it('answers unknown when the memo would outgrow its memory', () => {
    const checked = checkOperations(registerModel, hard, { budget: { maxMemoBytes: 64 * 1024 } });
    expect(checked.result).toBe('unknown');
  });

  it('finds the answer with enough budget', () => {
    expect(checkOperations(registerModel, hard).result).toBe('illegal');
  });
});

describe('partitions (P-compositionality)', () => {
  type KvOp = Operation<KvInput, KvOutput>;
  const kv = (callTime: number, returnTime: number, input: KvInput, output: KvOutput): KvOp => ({
    clientId: 0,
    callTime,
    returnTime,
    input,
    output,
  });

  it('checks each key alone and reports the failing one', () => {
    const h = [
      kv(0, 1, { f: 'put', key: 'a', value: 'x' }, null),
      kv(2, 3, { f: 'append', key: 'b', value: 'y' }, null),
      kv(4, 5, { f: 'get', key: 'a' }, 'x'),
      kv(6, 7, { f: 'get', key: 'b' }, 'yy'),
    ];
    const checked = checkOperations(kvModel, h, { checkAllPartitions: true });
    expect(checked.result).toBe('illegal');
    expect(checked.partitions.map((p) => [p.key, p.result])).toEqual([
      ['a', 'ok'],
      ['b', 'illegal'],
    ]);
    const text = formatFailure(kvModel, checked.failures[0]!);
    expect(text).toContain('partition "b"');
    expect(text).toContain('get("b") -> "yy"');
    expect(text).toContain('state after it: value "y"');
  });
});
