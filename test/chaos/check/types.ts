/**
 * The checker's vocabulary: an operation history and a sequential model (Porcupine's `Model`,
 * github.com/anishathalye/porcupine), typed for TypeScript.
 */

/** Returned by `Model.step` when the observed output cannot follow the given state. */
export const ILLEGAL: unique symbol = Symbol('illegal');
export type Illegal = typeof ILLEGAL;

/** Where an operation came from, only for printing. */
export interface OperationMeta {
  /** 1-based line of the history file. */
  line?: number;
  /** The server node the client talked to (Baton histories). */
  node?: string;
  /** Jepsen-style process number. */
  process?: number;
}

/**
 * One client operation. Times are any monotonic unit (ms, or line numbers for Jepsen logs); the
 * checker only compares them.
 */
export interface Operation<I, O> {
  clientId: string | number;
  input: I;
  /**
   * What the operation answered; `undefined` when the answer is unknown (timed out, `:info`): the
   * model must then accept any answer.
   */
  output: O | undefined;
  callTime: number;
  /**
   * When the answer arrived; `null` when it never did: the operation may take effect at any moment
   * after its call, or never (return time = ∞).
   */
  returnTime: number | null;
  meta?: OperationMeta;
}

/** A sub-history the checker checks on its own (P-compositionality: one object per key/name). */
export interface Partition<I, O> {
  key: string;
  operations: Operation<I, O>[];
}

/**
 * A sequential specification. `key` must be canonical: two states are equal exactly when their
 * keys are equal (the memo relies on it), so keep states small and their keys cheap.
 */
export interface Model<S, I, O> {
  readonly name: string;
  init(): S;
  /** The state after `input` answered `output` (undefined = unknown answer), or ILLEGAL. */
  step(state: S, input: I, output: O | undefined): S | Illegal;
  key(state: S): string | number;
  /** Splits a history into independent objects; absent = one object. */
  partition?(history: readonly Operation<I, O>[]): Partition<I, O>[];
  describeOperation(input: I, output: O | undefined): string;
  describeState(state: S): string;
}

export type CheckOutcome = 'ok' | 'illegal' | 'unknown';

/** Bounds the search; whichever runs out first makes the answer 'unknown'. */
export interface Budget {
  /** Wall-clock limit over all partitions. */
  maxMs?: number;
  /** Search steps (one step = one attempt to linearize or one backtrack) over all partitions. */
  maxSteps?: number;
  /** Memory the memo of one partition may take (it holds a bitset per explored state). */
  maxMemoBytes?: number;
}

export interface CheckOptions {
  budget?: Budget;
  /** Monotonic clock in ms; injectable so a test can run out of time deterministically. */
  nowMs?: () => number;
  /** Keep checking the other partitions after an illegal one (to report every failing key). */
  checkAllPartitions?: boolean;
}

export interface PartitionReport {
  key: string;
  operations: number;
  result: CheckOutcome;
  steps: number;
  elapsedMs: number;
}

/**
 * Where a partition stopped being linearizable: the longest linearizable prefix the search found,
 * and the operations it could not place after it.
 */
export interface FailureWindow<I, O> {
  partitionKey: string;
  /** The longest linearizable prefix, in linearization order. */
  prefix: Operation<I, O>[];
  /** The model state after that prefix, described. */
  stateAfterPrefix: string;
  /** The operation whose return came before it could be linearized (the search could go no further). */
  blocking: Operation<I, O>;
  /** Every operation called before that return and not in the prefix, in call order (blocking included). */
  pending: Operation<I, O>[];
}

export interface CheckResult<I, O> {
  result: CheckOutcome;
  partitions: PartitionReport[];
  /** Present when result is 'illegal': the failing partitions' windows (the first one at least). */
  failures: FailureWindow<I, O>[];
  steps: number;
  elapsedMs: number;
}
