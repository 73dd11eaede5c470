/**
 * The history through the lock model (check/): one object per name, unknown outcomes with
 * return ∞. A search that runs out of budget is a failure, never a pass.
 *
 * The model copies every session end (expire/close: they carry no name) into every name's
 * partition. Here each name gets only the ends of sessions that appear in its own operations —
 * a session that never asked for a name cannot hold it, so its end changes nothing there — which
 * keeps the search from trying every order of irrelevant no-ops (dozens of sessions can be lost
 * at once when a fault outlives the TTL).
 */
import {
  type CheckResult,
  checkOperations,
  formatFailure,
  type LockInput,
  type LockOperation,
  type LockOutput,
  lockModel,
  parseRecord,
  summarize,
} from '../check/index.js';
import type { HistoryRecord } from '../worker/protocol.js';
import type { Violation } from './run-data.js';

export interface LinearizabilityResult {
  readonly verdict: 'ok' | 'illegal' | 'unknown';
  /** The checker's one-line summary (first word: the verdict). */
  readonly summary: string;
  readonly violations: Violation[];
}

export function checkLinearizability(history: readonly HistoryRecord[], budgetMs: number): LinearizabilityResult {
  const ordered = [...history].sort((a, b) => a.invokeMs - b.invokeMs);
  const operations = ordered.map((rec, i) => parseRecord(rec, i + 1));
  const checked = checkPerName(operations, budgetMs);
  const summary = summarize(checked, operations.length);
  const violations: Violation[] = [];
  if (checked.result === 'illegal') {
    for (const f of checked.failures) {
      violations.push({ check: 'linearizability', message: `illegal\n${formatFailure(lockModel, f)}` });
    }
  } else if (checked.result === 'unknown') {
    violations.push({ check: 'linearizability', message: `search budget (${budgetMs} ms) spent: ${summary}` });
  }
  return { verdict: checked.result, summary, violations };
}

function checkPerName(operations: readonly LockOperation[], budgetMs: number): CheckResult<LockInput, LockOutput> {
  const startMs = performance.now();
  const names = new Map<string, LockOperation[]>();
  const sessionsOf = new Map<string, Set<string>>();
  const ends: LockOperation[] = [];
  for (const op of operations) {
    const name = op.input.name;
    if (name === null) {
      ends.push(op);
      continue;
    }
    const list = names.get(name) ?? [];
    list.push(op);
    names.set(name, list);
    if ('session' in op.input) {
      const set = sessionsOf.get(name) ?? new Set<string>();
      set.add(op.input.session);
      sessionsOf.set(name, set);
    }
  }
  const merged: CheckResult<LockInput, LockOutput> = {
    result: 'ok',
    partitions: [],
    failures: [],
    steps: 0,
    elapsedMs: 0,
  };
  for (const [name, ops] of names) {
    const sessions = sessionsOf.get(name) ?? new Set<string>();
    const relevantEnds = ends.filter((op) => 'session' in op.input && sessions.has(op.input.session));
    const part = [...ops, ...relevantEnds].sort((a, b) => a.callTime - b.callTime);
    const leftMs = budgetMs - (performance.now() - startMs);
    const one = checkOperations(lockModel, part, { budget: { maxMs: Math.max(1, leftMs) } });
    merged.partitions.push(...one.partitions);
    merged.failures.push(...one.failures);
    merged.steps += one.steps;
    if (one.result === 'illegal') merged.result = 'illegal';
    else if (one.result === 'unknown' && merged.result === 'ok') merged.result = 'unknown';
    if (one.result !== 'ok') break;
  }
  merged.elapsedMs = performance.now() - startMs;
  return merged;
}

/** The history as JSON lines, in invoke order (the file check-history reads). */
export function historyJsonl(history: readonly HistoryRecord[]): string {
  const ordered = [...history].sort((a, b) => a.invokeMs - b.invokeMs);
  return `${ordered.map((r) => JSON.stringify(r)).join('\n')}\n`;
}
