/**
 * The bookkeeping every Jepsen-style parser shares: one open operation per process; an invoke
 * opens it, a completion closes it, and whatever is still open at the end (`:info`, or no
 * completion at all) never returned.
 */
import type { Operation } from '../types.js';
import { HistoryParseError } from './errors.js';

export class PendingByProcess<I, O> {
  readonly operations: (Operation<I, O> | undefined)[] = [];
  private readonly open = new Map<string | number, number>();

  invoke(process: string | number, op: Operation<I, O>, line: number): void {
    if (this.open.has(process)) {
      throw new HistoryParseError(line, `process ${process} invokes while its previous operation is still open`);
    }
    this.open.set(process, this.operations.length);
    this.operations.push(op);
  }

  /** The open operation of `process`, closed; `drop` removes it (it definitely did not happen). */
  complete(process: string | number, line: number, drop = false): Operation<I, O> {
    const index = this.open.get(process);
    if (index === undefined) throw new HistoryParseError(line, `process ${process} completes nothing`);
    this.open.delete(process);
    const op = this.operations[index]!;
    if (drop) this.operations[index] = undefined;
    return op;
  }

  /**
   * A crashed process (`:info`): its operation stays open forever — it may take effect at any
   * moment after its call, or never — and the process number is never reused (Jepsen's rule).
   */
  crash(process: string | number, line: number): void {
    if (!this.open.delete(process)) throw new HistoryParseError(line, `process ${process} crashes with nothing open`);
  }

  finish(): Operation<I, O>[] {
    this.open.clear();
    return this.operations.filter((op) => op !== undefined);
  }
}
