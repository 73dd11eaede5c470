/**
 * Jepsen EDN maps, one per line (the corpus' kv/*.txt):
 *   {:process 3, :type :invoke, :f :append, :key "5", :value "x 3 1 y"}
 * get's invoke has `:value nil` and its `:ok` carries the value read. Times are line numbers;
 * `:fail` did not happen, `:info` never returned.
 */
import type { KvInput, KvOutput } from '../models/kv.js';
import type { Operation } from '../types.js';
import { HistoryParseError } from './errors.js';
import { PendingByProcess } from './pending.js';

const EDN_STRING = String.raw`"((?:[^"\\]|\\.)*)"`;
const LINE = new RegExp(
  String.raw`^\{:process (\d+), :type :(invoke|ok|fail|info), :f :(get|put|append), :key ${EDN_STRING}, :value (nil|${EDN_STRING})\}$`,
);
const EDN_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };

export function parseJepsenKv(text: string): Operation<KvInput, KvOutput>[] {
  const pending = new PendingByProcess<KvInput, KvOutput>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    const lineNo = i + 1;
    if (raw === '') continue;
    const m = LINE.exec(raw);
    if (m === null) throw new HistoryParseError(lineNo, `not a Jepsen kv line: ${raw}`);
    const process = Number(m[1]);
    const type = m[2]!;
    const f = m[3] as KvInput['f'];
    const key = unescapeEdn(m[4]!);
    const value = m[5] === 'nil' ? null : unescapeEdn(m[6]!);
    if (type === 'invoke') {
      const input: KvInput = f === 'get' ? { f, key } : { f, key, value: requireValue(value, lineNo) };
      pending.invoke(
        process,
        {
          clientId: process,
          input,
          output: undefined,
          callTime: lineNo,
          returnTime: null,
          meta: { line: lineNo, process },
        },
        lineNo,
      );
    } else if (type === 'info') {
      pending.crash(process, lineNo);
    } else {
      const op = pending.complete(process, lineNo, type === 'fail');
      if (op.input.f !== f || op.input.key !== key) {
        throw new HistoryParseError(
          lineNo,
          `completes :${f} ${key} but the open operation is :${op.input.f} ${op.input.key}`,
        );
      }
      op.returnTime = lineNo;
      op.output = f === 'get' ? requireValue(value, lineNo) : null;
    }
  }
  return pending.finish();
}

function requireValue(value: string | null, line: number): string {
  if (value === null) throw new HistoryParseError(line, 'expected a string value, got nil');
  return value;
}

function unescapeEdn(s: string): string {
  return s.replace(/\\(.)/g, (_, c: string) => EDN_ESCAPES[c] ?? c);
}
