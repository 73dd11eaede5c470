/**
 * Jepsen's etcd register log (the corpus' jepsen-etcd-register/*.log):
 *   INFO  jepsen.util - <process>\t<:invoke|:ok|:fail|:info>\t<:read|:write|:cas>\t<value>
 * Times are line numbers. `:fail :cas` is an answer (it did not swap); `:fail :read :timed-out`
 * returned with an unknown value; any other `:fail` did not happen; `:info` never returned.
 */
import type { RegisterInput, RegisterOutput } from '../models/register.js';
import type { Operation } from '../types.js';
import { HistoryParseError } from './errors.js';
import { PendingByProcess } from './pending.js';

type RegisterOp = Operation<RegisterInput, RegisterOutput>;

const LINE = /^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:(invoke|ok|fail|info)\s+:(read|write|cas)\s+(.*?)\s*$/;
const CAS_ARGS = /^\[(-?\d+)\s+(-?\d+)\]$/;
const INT = /^-?\d+$/;

export function parseJepsenRegister(text: string): RegisterOp[] {
  const pending = new PendingByProcess<RegisterInput, RegisterOutput>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const lineNo = i + 1;
    if (raw.trim() === '') continue;
    const m = LINE.exec(raw);
    if (m === null) throw new HistoryParseError(lineNo, `not a Jepsen register line: ${raw}`);
    const process = Number(m[1]);
    const type = m[2]!;
    const f = m[3] as RegisterInput['f'];
    const value = m[4]!;
    if (type === 'invoke') {
      pending.invoke(
        process,
        {
          clientId: process,
          input: parseInput(f, value, lineNo),
          output: undefined,
          callTime: lineNo,
          returnTime: null,
          meta: { line: lineNo, process },
        },
        lineNo,
      );
    } else if (type === 'info') {
      pending.crash(process, lineNo);
    } else if (type === 'ok') {
      const op = pending.complete(process, lineNo);
      expectSameF(op, f, lineNo);
      op.returnTime = lineNo;
      op.output = f === 'read' ? parseReadValue(value, lineNo) : f === 'cas' ? true : null;
    } else {
      const timedOutRead = f === 'read' && value === ':timed-out';
      const op = pending.complete(process, lineNo, f !== 'cas' && !timedOutRead);
      expectSameF(op, f, lineNo);
      op.returnTime = lineNo;
      op.output = f === 'cas' ? false : undefined;
    }
  }
  return pending.finish();
}

function parseInput(f: RegisterInput['f'], value: string, line: number): RegisterInput {
  if (f === 'read') return { f };
  if (f === 'write') return { f, value: integer(value, line) };
  const m = CAS_ARGS.exec(value);
  if (m === null) throw new HistoryParseError(line, `cas wants [from to], got ${value}`);
  return { f, from: Number(m[1]), to: Number(m[2]) };
}

function parseReadValue(value: string, line: number): number | null {
  return value === 'nil' ? null : integer(value, line);
}

function integer(value: string, line: number): number {
  if (!INT.test(value)) throw new HistoryParseError(line, `expected an integer, got ${value}`);
  return Number(value);
}

function expectSameF(op: RegisterOp, f: string, line: number): void {
  if (op.input.f !== f)
    throw new HistoryParseError(line, `completes a :${f} but the open operation is a :${op.input.f}`);
}
