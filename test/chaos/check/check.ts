/**
 * `checkOperations`: splits a history into independent objects with the model's partition
 * function (P-compositionality, Herlihy & Wing §3.3: a history is linearizable iff each object's
 * sub-history is) and searches each one within one shared budget.
 */
import { performance } from 'node:perf_hooks';
import { type SearchBudget, searchPartition } from './search.js';
import type {
  CheckOptions,
  CheckOutcome,
  CheckResult,
  FailureWindow,
  Model,
  Operation,
  Partition,
  PartitionReport,
} from './types.js';

/** Long enough for every history in the corpus many times over; a CI run sets its own. */
export const DEFAULT_BUDGET_MS = 60_000;
/** Far above what the corpus needs (a few MB), well below what a 2-core CI box has. */
export const DEFAULT_MAX_MEMO_BYTES = 1024 * 1024 * 1024;

export function checkOperations<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult<I, O> {
  const nowMs = options.nowMs ?? (() => performance.now());
  const startMs = nowMs();
  const budget: SearchBudget = {
    stepsLeft: options.budget?.maxSteps ?? Number.POSITIVE_INFINITY,
    deadlineMs: startMs + (options.budget?.maxMs ?? DEFAULT_BUDGET_MS),
    maxMemoBytes: options.budget?.maxMemoBytes ?? DEFAULT_MAX_MEMO_BYTES,
    nowMs,
  };
  const partitions: Partition<I, O>[] = model.partition?.(history) ?? [{ key: '', operations: [...history] }];
  const reports: PartitionReport[] = [];
  const failures: FailureWindow<I, O>[] = [];
  let result: CheckOutcome = 'ok';
  let steps = 0;

  for (const part of partitions) {
    const partStartMs = nowMs();
    const found = searchPartition(model, part.operations, budget);
    steps += found.steps;
    reports.push({
      key: part.key,
      operations: part.operations.length,
      result: found.result,
      steps: found.steps,
      elapsedMs: nowMs() - partStartMs,
    });
    if (found.result === 'illegal') {
      result = 'illegal';
      const f = found.failure!;
      const ops = part.operations;
      failures.push({
        partitionKey: part.key,
        prefix: f.prefix.map((i) => ops[i]!),
        stateAfterPrefix: model.describeState(f.state),
        blocking: ops[f.blocking]!,
        pending: f.pending.map((i) => ops[i]!),
      });
      if (options.checkAllPartitions !== true) break;
    } else if (found.result === 'unknown') {
      // the budget is spent: later partitions cannot be checked, and an unknown never passes
      if (result === 'ok') result = 'unknown';
      break;
    }
  }
  return { result, partitions: reports, failures, steps, elapsedMs: nowMs() - startMs };
}

/** Groups operations by a key, keeping history order inside each group and first-seen order of keys. */
export function partitionBy<I, O>(
  history: readonly Operation<I, O>[],
  keyOf: (op: Operation<I, O>) => string,
): Partition<I, O>[] {
  const byKey = new Map<string, Operation<I, O>[]>();
  for (const op of history) {
    const key = keyOf(op);
    let ops = byKey.get(key);
    if (ops === undefined) {
      ops = [];
      byKey.set(key, ops);
    }
    ops.push(op);
  }
  return [...byKey].map(([key, operations]) => ({ key, operations }));
}
