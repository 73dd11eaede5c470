/**
 * The fenced store, end to end: it never accepted a token older than one it had accepted, and
 * Jepsen's lock-set ends without lost updates — every element of every accepted write is in the
 * final set (each holder advanced the fence before reading, so a stale holder's late write is
 * refused instead of overwriting a newer holder's). An element is counted from the accepted
 * write that added it; a later accepted write that dropped it would lose it.
 */
import { parseSet, type StoreLogEntry } from '../workload/fenced-store.js';
import type { Violation } from './run-data.js';

export interface StoreResult {
  readonly violations: Violation[];
  readonly acceptedWrites: number;
  readonly refused: number;
  readonly elements: number;
  readonly lost: number;
}

export function checkStore(
  log: readonly StoreLogEntry[],
  finalValues: ReadonlyMap<string, string | null>,
): StoreResult {
  const violations: Violation[] = [];
  let acceptedWrites = 0;
  let refused = 0;
  const written = new Map<string, Set<string>>();
  for (const e of log) {
    if (e.op === 'read') continue;
    if (!e.accepted) {
      refused++;
      continue;
    }
    if (e.token < e.highestBefore) {
      violations.push({
        check: 'store',
        message: `${e.name}: accepted ${e.op} with token ${e.token} after token ${e.highestBefore} (${e.client})`,
        atMs: e.atMs,
      });
    }
    if (e.op !== 'write') continue;
    acceptedWrites++;
    const set = written.get(e.name) ?? new Set<string>();
    for (const el of e.added) set.add(el);
    written.set(e.name, set);
  }
  let elements = 0;
  let lost = 0;
  for (const [name, set] of written) {
    const final = new Set(parseSet(finalValues.get(name) ?? null));
    const missing = [...set].filter((el) => !final.has(el));
    elements += set.size;
    lost += missing.length;
    if (missing.length > 0) {
      violations.push({
        check: 'lost-updates',
        message: `${name}: ${missing.length} acknowledged element(s) missing from the final set: ${missing.slice(0, 10).join(', ')}`,
      });
    }
  }
  return { violations, acceptedWrites, refused, elements, lost };
}
