/**
 * Test support: turns a sequential execution (each operation took effect at its own instant, in
 * order) into a concurrent-looking history by giving every operation a call..return window
 * around that instant. Any such history is linearizable by construction: the instants are a
 * linearization that respects every window.
 */
import type { Operation } from '../types.js';

/** One operation of a sequential run: what it was, what it answered, and how it is recorded. */
export interface SequentialStep<I, O> {
  input: I;
  output: O;
  /** How far before/after its instant the call/return are (0 = at the instant). */
  callBefore: number;
  returnAfter: number;
  /**
   * 'known': answered; 'unknown-applied': took effect but the answer was lost;
   * 'unknown-skipped': never took effect and never answered (the caller did not apply it).
   */
  record: 'known' | 'unknown-applied' | 'unknown-skipped';
}

/** Instants are this far apart, so windows of up to a few gaps overlap their neighbours. */
export const INSTANT_GAP = 10;

export function placeOnTimeline<I, O>(steps: readonly SequentialStep<I, O>[]): Operation<I, O>[] {
  return steps.map((step, i) => {
    const instant = (i + 1) * INSTANT_GAP;
    const known = step.record === 'known';
    return {
      clientId: `c${i}`,
      input: step.input,
      output: known ? step.output : undefined,
      callTime: instant - step.callBefore,
      returnTime: known ? instant + step.returnAfter : null,
    };
  });
}

/** A history with no concurrency at all: each operation returns before the next is called. */
export function sequentialHistory<I, O>(steps: readonly { input: I; output: O }[]): Operation<I, O>[] {
  return steps.map((step, i) => ({
    clientId: `c${i % 3}`,
    input: step.input,
    output: step.output,
    callTime: i * INSTANT_GAP,
    returnTime: i * INSTANT_GAP + INSTANT_GAP / 2,
  }));
}
