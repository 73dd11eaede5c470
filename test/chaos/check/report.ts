/**
 * Human-readable answers: a one-line summary (whose first word is the verdict) and, for an
 * illegal history, the failing window — in the spirit of Porcupine's visualization, as text: the
 * partition, the end of the longest linearizable prefix, the state it leaves, and the operations
 * that could not be placed after it.
 */
import type { CheckResult, FailureWindow, Model, Operation } from './types.js';

/** How much of the prefix to show before the failure point: enough context, not the whole run. */
export const PREFIX_TAIL_OPS = 6;
/** Pending operations shown; a history with many never-answered ones would print them all. */
export const PENDING_OPS_MAX = 24;

export const VERDICT = { ok: 'linearizable', illegal: 'illegal', unknown: 'unknown' } as const;

export function summarize<I, O>(checked: CheckResult<I, O>, operations: number): string {
  const parts = checked.partitions.length;
  const word = VERDICT[checked.result];
  const detail = `${operations} operations, ${parts} partition${parts === 1 ? '' : 's'} checked, ${checked.steps} steps, ${Math.round(checked.elapsedMs)} ms`;
  if (checked.result === 'unknown') return `${word} (search budget spent) ${detail}`;
  return `${word} ${detail}`;
}

export function formatFailure<S, I, O>(model: Model<S, I, O>, failure: FailureWindow<I, O>): string {
  const lines: string[] = [];
  const key = failure.partitionKey === '' ? '' : ` ${JSON.stringify(failure.partitionKey)}`;
  lines.push(`partition${key}: the longest linearizable prefix has ${failure.prefix.length} operations`);
  const tail = failure.prefix.slice(-PREFIX_TAIL_OPS);
  if (tail.length > 0) {
    const skipped = failure.prefix.length - tail.length;
    lines.push(`  its last ${tail.length} (in linearization order${skipped > 0 ? `, after ${skipped} more` : ''}):`);
    for (const op of tail) lines.push(`    ${formatOperation(model, op)}`);
  }
  lines.push(`  state after it: ${failure.stateAfterPrefix}`);
  lines.push('  cannot be placed next (called before the blocking return, not linearized):');
  const shown = failure.pending.slice(0, PENDING_OPS_MAX);
  if (!shown.includes(failure.blocking)) shown.push(failure.blocking);
  for (const op of shown) {
    const mark = op === failure.blocking ? '! ' : '  ';
    lines.push(
      `  ${mark}${formatOperation(model, op)}${op === failure.blocking ? '   <- returned before it could take effect' : ''}`,
    );
  }
  if (failure.pending.length > PENDING_OPS_MAX)
    lines.push(`    … and ${failure.pending.length - PENDING_OPS_MAX} more`);
  return lines.join('\n');
}

export function formatOperation<S, I, O>(model: Model<S, I, O>, op: Operation<I, O>): string {
  const ret = op.returnTime === null ? '∞' : formatTime(op.returnTime);
  const where: string[] = [];
  if (op.meta?.line !== undefined) where.push(`line ${op.meta.line}`);
  if (op.meta?.node !== undefined) where.push(`node ${op.meta.node}`);
  const suffix = where.length > 0 ? `  (${where.join(', ')})` : '';
  return `client ${op.clientId} [${formatTime(op.callTime)} .. ${ret}] ${model.describeOperation(op.input, op.output)}${suffix}`;
}

function formatTime(t: number): string {
  return Number.isInteger(t) ? String(t) : t.toFixed(3);
}
