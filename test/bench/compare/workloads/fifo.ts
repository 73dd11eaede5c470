/**
 * FIFO check for a contended lock, from client-side times only. Grants are taken in the order
 * they happened; a grant whose request was issued clearly before the request of an earlier grant
 * was overtaken: someone who asked later got the lock first. Requests issued within
 * REORDER_TOLERANCE_MS of each other may reach the servers in either order (separate
 * connections, separate event-loop turns), so they are not counted.
 */

export const REORDER_TOLERANCE_MS = 2;

export interface GrantRecord {
  readonly worker: number;
  readonly requestedAt: number;
  readonly grantedAt: number;
}

export interface FifoReport {
  readonly grants: number;
  readonly overtakes: number;
  /** Fewest and most grants any worker got in the window. */
  readonly minPerWorker: number;
  readonly maxPerWorker: number;
}

export function checkFifo(records: readonly GrantRecord[], workers: number): FifoReport {
  const byGrant = [...records].sort((a, b) => a.grantedAt - b.grantedAt);
  let overtakes = 0;
  let latestRequestGranted = Number.NEGATIVE_INFINITY;
  for (const r of byGrant) {
    if (r.requestedAt < latestRequestGranted - REORDER_TOLERANCE_MS) overtakes++;
    latestRequestGranted = Math.max(latestRequestGranted, r.requestedAt);
  }
  const perWorker = new Array<number>(workers).fill(0);
  for (const r of records) perWorker[r.worker] = (perWorker[r.worker] ?? 0) + 1;
  return {
    grants: records.length,
    overtakes,
    minPerWorker: Math.min(...perWorker),
    maxPerWorker: Math.max(...perWorker),
  };
}
