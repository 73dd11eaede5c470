/**
 * After the run every lane closed its session and the harness waited out the TTL: no name may
 * still have a holder. A holder left over is an acknowledged release or close that was lost (or
 * a grant nobody was told about that outlived its session). The final reads are also part of the
 * history, so the linearizability check sees them against everything acknowledged before.
 */
import type { HistoryRecord } from '../worker/protocol.js';
import type { Violation } from './run-data.js';

export const FINAL_CLIENT = 'final';

export function checkEndState(history: readonly HistoryRecord[], names: readonly string[]): Violation[] {
  const violations: Violation[] = [];
  const finals = history.filter((r) => r.client === FINAL_CLIENT && r.op === 'describe');
  for (const name of names) {
    const last = finals.filter((r) => r.name === name).at(-1);
    if (last === undefined || last.result === null || last.result.error !== undefined) {
      violations.push({ check: 'end-state', message: `${name}: the final describe got no answer` });
      continue;
    }
    const holders = (last.result.holders ?? []) as { session: string; token: number }[];
    if (holders.length > 0) {
      violations.push({
        check: 'end-state',
        message: `${name}: still held after every session closed or expired: ${holders.map((h) => `session ${h.session} token ${h.token}`).join(', ')}`,
      });
    }
  }
  return violations;
}
