/**
 * The history as Porcupine keeps it: call and return events sorted by time in one doubly linked
 * list, stored in typed arrays. Linearizing an operation lifts its call and return out of the
 * list; backtracking puts them back (lifted nodes keep their own links, so undo is O(1)).
 */
import type { Operation } from './types.js';

export const NIL = -1;
/** Node 0 is a sentinel before the first event. */
export const HEAD = 0;

export interface EventList {
  /** next[node], prev[node]; NIL ends the list. */
  next: Int32Array;
  prev: Int32Array;
  /** The operation (index into the partition's operations) of each node. */
  opOf: Int32Array;
  /** For a call node, its return node; NIL for return nodes. */
  matchOf: Int32Array;
}

export class HistoryOrderError extends Error {
  readonly code = 'RETURN_BEFORE_CALL';
}

/**
 * Sorts by time; at equal times calls come before returns, so operations that touch at one instant
 * count as concurrent (the conservative reading). A never-answered operation returns at ∞.
 */
export function buildEventList<I, O>(operations: readonly Operation<I, O>[]): EventList {
  const n = operations.length;
  const eventCount = 2 * n;
  const times = new Float64Array(eventCount);
  for (let i = 0; i < n; i++) {
    const op = operations[i]!;
    const returnTime = op.returnTime ?? Number.POSITIVE_INFINITY;
    if (!(returnTime >= op.callTime)) {
      throw new HistoryOrderError(`operation ${i} returns at ${op.returnTime}, before its call at ${op.callTime}`);
    }
    times[2 * i] = op.callTime;
    times[2 * i + 1] = returnTime;
  }
  // event e: operation e >> 1, a call when e is even; ties keep calls first, then input order
  const order = Array.from({ length: eventCount }, (_, e) => e);
  order.sort((a, b) => times[a]! - times[b]! || (a & 1) - (b & 1) || a - b);

  const nodes = eventCount + 1;
  const list: EventList = {
    next: new Int32Array(nodes),
    prev: new Int32Array(nodes),
    opOf: new Int32Array(nodes).fill(NIL),
    matchOf: new Int32Array(nodes).fill(NIL),
  };
  const callNodeOf = new Int32Array(n);
  const returnNodeOf = new Int32Array(n);
  for (let k = 0; k < eventCount; k++) {
    const event = order[k]!;
    const node = k + 1;
    const op = event >> 1;
    list.opOf[node] = op;
    if ((event & 1) === 0) callNodeOf[op] = node;
    else returnNodeOf[op] = node;
  }
  for (let op = 0; op < n; op++) list.matchOf[callNodeOf[op]!] = returnNodeOf[op]!;
  for (let node = 0; node < nodes; node++) {
    list.next[node] = node + 1 < nodes ? node + 1 : NIL;
    list.prev[node] = node - 1;
  }
  return list;
}

/** Takes a call node and its return out of the list. */
export function lift(list: EventList, call: number): void {
  const { next, prev } = list;
  const ret = list.matchOf[call]!;
  next[prev[call]!] = next[call]!;
  // a call is always followed by its own return, so next[call] is never NIL
  prev[next[call]!] = prev[call]!;
  next[prev[ret]!] = next[ret]!;
  if (next[ret] !== NIL) prev[next[ret]!] = prev[ret]!;
}

/** Undoes `lift` (must be called in reverse order of the lifts). */
export function unlift(list: EventList, call: number): void {
  const { next, prev } = list;
  const ret = list.matchOf[call]!;
  next[prev[ret]!] = ret;
  if (next[ret] !== NIL) prev[next[ret]!] = ret;
  next[prev[call]!] = call;
  prev[next[call]!] = call;
}
