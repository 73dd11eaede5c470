/**
 * Baton's recorded histories: JSON lines, one operation per line (the format is documented in
 * ../README.md). Parsed strictly: a malformed line is a harness bug worth stopping for, never
 * something to skip.
 */
import type { HolderView, LeaderView, LockInput, LockOutput } from '../models/lock-types.js';
import type { Operation } from '../types.js';
import { HistoryParseError } from './errors.js';

export type LockOperation = Operation<LockInput, LockOutput>;

type Json = Record<string, unknown>;

const NAMELESS_OPS = new Set(['expire', 'close']);

export function parseBatonJsonl(text: string): LockOperation[] {
  const operations: LockOperation[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(raw);
    } catch (error) {
      throw new HistoryParseError(i + 1, `not JSON: ${(error as Error).message}`);
    }
    operations.push(parseRecord(record, i + 1));
  }
  return operations;
}

/** One history line (already JSON-parsed) as an operation. */
export function parseRecord(record: unknown, line: number): LockOperation {
  const r = object(record, 'the line', line);
  const op = string(r, 'op', line);
  const client = r.client;
  if (typeof client !== 'string' && typeof client !== 'number') throw bad(line, 'client', 'a string');
  const process = r.process === undefined ? undefined : int(r, 'process', line, 0);
  const node = r.node === undefined || r.node === null ? undefined : string(r, 'node', line);
  const invokeMs = finite(r, 'invokeMs', line);
  const returnMs = r.returnMs === null || r.returnMs === undefined ? null : finite(r, 'returnMs', line);
  if (returnMs !== null && returnMs < invokeMs) throw new HistoryParseError(line, 'returnMs is before invokeMs');
  const name = NAMELESS_OPS.has(op) ? null : string(r, 'name', line);
  if (name === null && r.name !== undefined) throw new HistoryParseError(line, `${op} concerns a session, not a name`);
  const args = r.args === undefined ? {} : object(r.args, 'args', line);
  const input = parseInput(op, name, args, line);
  if (r.result === undefined) throw bad(line, 'result', 'an object, or null for an unknown outcome');
  const known = r.result !== null;
  return {
    clientId: client,
    input,
    output: known ? parseOutput(input, object(r.result, 'result', line), line) : undefined,
    // an unknown outcome may still take effect after the client gave up: its return is ∞
    callTime: invokeMs,
    returnTime: known ? returnMs : null,
    meta: { line, ...(node === undefined ? {} : { node }), ...(process === undefined ? {} : { process }) },
  };
}

function parseInput(op: string, name: string | null, a: Json, line: number): LockInput {
  switch (op) {
    case 'acquire':
    case 'tryAcquire': {
      const wait = op === 'acquire' && (a.wait === undefined || bool(a, 'wait', line));
      const limit = a.limit === undefined ? 1 : int(a, 'limit', line, 1);
      return { f: 'acquire', name, session: session(a, line), limit, wait };
    }
    case 'campaign':
      return { f: 'campaign', name, session: session(a, line), value: string(a, 'value', line) };
    case 'release':
      return { f: 'release', name, session: session(a, line), token: int(a, 'token', line, 1) };
    case 'resign':
      return { f: 'resign', name, session: session(a, line), term: int(a, 'term', line, 1) };
    case 'proclaim':
      return {
        f: 'proclaim',
        name,
        session: session(a, line),
        term: int(a, 'term', line, 1),
        value: string(a, 'value', line),
      };
    case 'fenceCheck':
      return { f: 'fenceCheck', name, token: int(a, 'token', line, 1) };
    case 'describe':
    case 'leader':
    case 'read':
      return { f: op, name };
    case 'expire':
    case 'close':
      return { f: op, name, session: session(a, line) };
    case 'write':
      return { f: 'write', name, token: int(a, 'token', line, 1), value: string(a, 'value', line) };
    default:
      throw new HistoryParseError(line, `unknown op ${JSON.stringify(op)}`);
  }
}

function parseOutput(input: LockInput, r: Json, line: number): LockOutput {
  if (r.error !== undefined) {
    const e = r.error;
    const code = typeof e === 'string' ? e : typeof e === 'object' && e !== null ? (e as Json).code : undefined;
    if (typeof code !== 'string') throw bad(line, 'result.error', 'a code, or an object with a code');
    return { kind: 'error', code };
  }
  switch (input.f) {
    case 'acquire':
      if (r.acquired === false) return { kind: 'notAcquired' };
      if (r.acquired !== true) throw bad(line, 'result.acquired', 'true or false');
      return { kind: 'granted', token: int(r, 'token', line, 1) };
    case 'campaign':
      if (r.elected === false) throw new HistoryParseError(line, 'a campaign is recorded when it is elected or fails');
      return { kind: 'granted', token: int(r, 'term', line, 1) };
    case 'release':
    case 'resign':
    case 'proclaim':
    case 'expire':
    case 'close':
      return { kind: 'done' };
    case 'fenceCheck': {
      const current = bool(r, 'current', line);
      if (r.newestToken === undefined) return { kind: 'fence', current };
      return { kind: 'fence', current, newestToken: r.newestToken === null ? null : int(r, 'newestToken', line, 1) };
    }
    case 'describe': {
      if (!Array.isArray(r.holders)) throw bad(line, 'result.holders', 'an array');
      const holders: HolderView[] = r.holders.map((h) => {
        const o = object(h, 'a holder', line);
        return { session: session(o, line), token: int(o, 'token', line, 1) };
      });
      return { kind: 'holders', holders };
    }
    case 'leader': {
      if (r.leader === null) return { kind: 'leader', leader: null };
      const o = object(r.leader, 'result.leader', line);
      const leader: LeaderView = {
        session: session(o, line),
        value: string(o, 'value', line),
        term: int(o, 'term', line, 1),
      };
      return { kind: 'leader', leader };
    }
    case 'write':
      return { kind: 'write', accepted: bool(r, 'accepted', line) };
    case 'read':
      if (r.value !== null && typeof r.value !== 'string') throw bad(line, 'result.value', 'a string or null');
      return { kind: 'read', value: r.value };
  }
}

/** `session`, or the protocol's `sessionId`; session ids are decimal strings on the wire. */
function session(o: Json, line: number): string {
  const s = o.session ?? o.sessionId;
  if (typeof s === 'string' && s !== '') return s;
  if (typeof s === 'number' && Number.isSafeInteger(s)) return String(s);
  throw bad(line, 'session', 'a session id');
}

function object(v: unknown, what: string, line: number): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(line, what, 'an object');
  return v as Json;
}

function string(o: Json, key: string, line: number): string {
  const v = o[key];
  if (typeof v !== 'string') throw bad(line, key, 'a string');
  return v;
}

function bool(o: Json, key: string, line: number): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') throw bad(line, key, 'true or false');
  return v;
}

function int(o: Json, key: string, line: number, min: number): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw bad(line, key, `an integer ≥ ${min}`);
  return v;
}

function finite(o: Json, key: string, line: number): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(line, key, 'a number');
  return v;
}

function bad(line: number, field: string, wanted: string): HistoryParseError {
  return new HistoryParseError(line, `${field} must be ${wanted}`);
}
