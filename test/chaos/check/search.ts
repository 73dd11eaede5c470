/**
 * Checks one partition: Wing & Gong's backtracking search with Lowe's memo, as Porcupine runs it
 * (checker.go `checkSingle`), iterative with an explicit stack.
 *
 * Walk the event list from the front. At a call, try to linearize that operation now: if the
 * model accepts its output and (linearized set, new state) is not in the memo, lift it out of the
 * list and start again from the front. At a return, the operation it belongs to should have been
 * linearized already: undo the most recent linearization and try the next call after it. The
 * list empties = every operation found a place = linearizable; nothing left to undo = illegal.
 */
import { buildEventList, HEAD, lift, NIL, unlift } from './event-list.js';
import { LinearizedSet, Memo } from './memo.js';
import { type CheckOutcome, ILLEGAL, type Model, type Operation } from './types.js';

/** How often (in steps) the clock is read: often enough to stop within a few ms. */
const CLOCK_CHECK_INTERVAL_STEPS = 1024;

/** The budget shared by every partition of one check. */
export interface SearchBudget {
  stepsLeft: number;
  deadlineMs: number;
  maxMemoBytes: number;
  nowMs: () => number;
}

export interface SearchFailure<S> {
  /** Operation indexes, in linearization order. */
  prefix: number[];
  state: S;
  blocking: number;
  /** Operation indexes, in call order. */
  pending: number[];
}

export interface SearchResult<S> {
  result: CheckOutcome;
  steps: number;
  /** The deepest dead end found, when result is 'illegal'. */
  failure?: SearchFailure<S>;
}

export function searchPartition<S, I, O>(
  model: Model<S, I, O>,
  operations: readonly Operation<I, O>[],
  budget: SearchBudget,
): SearchResult<S> {
  const n = operations.length;
  const list = buildEventList(operations);
  const { next, opOf, matchOf } = list;
  const linearized = new LinearizedSet(n);
  const memo = new Memo(n);
  const maxMemoEntries = Math.floor(budget.maxMemoBytes / memo.bytesPerEntry);

  // the stack of linearized operations: the call node and the state before it
  const stackNode = new Int32Array(n);
  const stackState: S[] = new Array<S>(n);
  const stackStateId = new Int32Array(n);
  let depth = 0;

  let state = model.init();
  let stateId = memo.stateId(model.key(state));
  let failure: SearchFailure<S> | undefined;
  let steps = 0;
  let entry = next[HEAD]!;

  while (next[HEAD] !== NIL) {
    steps++;
    if (steps > budget.stepsLeft || (steps % CLOCK_CHECK_INTERVAL_STEPS === 0 && budget.nowMs() > budget.deadlineMs)) {
      budget.stepsLeft -= steps;
      return { result: 'unknown', steps };
    }
    const ret = matchOf[entry]!;
    if (ret !== NIL) {
      const op = opOf[entry]!;
      const operation = operations[op]!;
      const after = model.step(state, operation.input, operation.output);
      if (after !== ILLEGAL) {
        const afterId = memo.stateId(model.key(after));
        linearized.toggle(op);
        if (memo.add(linearized, afterId)) {
          if (memo.size > maxMemoEntries) {
            budget.stepsLeft -= steps;
            return { result: 'unknown', steps };
          }
          stackNode[depth] = entry;
          stackState[depth] = state;
          stackStateId[depth] = stateId;
          depth++;
          state = after;
          stateId = afterId;
          lift(list, entry);
          entry = next[HEAD]!;
          continue;
        }
        linearized.toggle(op);
      }
      entry = next[entry]!;
    } else {
      // a return whose operation is not linearized yet: this branch is a dead end
      if (failure === undefined || depth > failure.prefix.length) {
        failure = describeDeadEnd(list, stackNode, depth, state, entry);
      }
      if (depth === 0) {
        budget.stepsLeft -= steps;
        return { result: 'illegal', steps, failure };
      }
      depth--;
      const call = stackNode[depth]!;
      state = stackState[depth]!;
      stateId = stackStateId[depth]!;
      linearized.toggle(opOf[call]!);
      unlift(list, call);
      entry = next[call]!;
    }
  }
  budget.stepsLeft -= steps;
  return { result: 'ok', steps };
}

function describeDeadEnd<S>(
  list: ReturnType<typeof buildEventList>,
  stackNode: Int32Array,
  depth: number,
  state: S,
  returnNode: number,
): SearchFailure<S> {
  const prefix: number[] = [];
  for (let i = 0; i < depth; i++) prefix.push(list.opOf[stackNode[i]!]!);
  const pending: number[] = [];
  for (let node = list.next[HEAD]!; node !== returnNode && node !== NIL; node = list.next[node]!) {
    if (list.matchOf[node] !== NIL) pending.push(list.opOf[node]!);
  }
  return { prefix, state, blocking: list.opOf[returnNode]!, pending };
}
