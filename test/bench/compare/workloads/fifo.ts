/**
 * FIFO check for a contended lock. Grants are taken in the order they happened; a grant whose
 * request was queued before the request of an earlier grant was overtaken: someone who asked
 * later got the lock first.
 *
 * "Queued before" is the system's own queue order when the client sees it (ZooKeeper's sequence
 * numbers, etcd's create revisions): exact. Otherwise it is the time the request was issued
 * (Baton, whose workers' requests share one connection and so reach the server in that order;
 * Redis, which has no queue). Requests issued within REORDER_TOLERANCE_MS of each other may
 * still reach a server in either order, so they are not counted.
 */

export const REORDER_TOLERANCE_MS = 2;

export interface GrantRecord {
  readonly worker: number;
  readonly requestedAt: number;
  readonly grantedAt: number;
  /** The system's queue position of the request, when the client sees it. */
  readonly queueOrder?: number;
}

export interface FifoReport {
  readonly method: 'queue order' | 'request time';
  readonly grants: number;
  readonly overtakes: number;
  /** Fewest and most grants any worker got in the window. */
  readonly minPerWorker: number;
  readonly maxPerWorker: number;
}

export function checkFifo(records: readonly GrantRecord[], workers: number): FifoReport {
  const byGrant = [...records].sort((a, b) => a.grantedAt - b.grantedAt);
  const byQueue = records.length > 0 && records.every((r) => r.queueOrder !== undefined);
  const position = (r: GrantRecord): number => (byQueue ? (r.queueOrder as number) : r.requestedAt);
  const tolerance = byQueue ? 0 : REORDER_TOLERANCE_MS;
  let overtakes = 0;
  let latestGranted = Number.NEGATIVE_INFINITY;
  for (const r of byGrant) {
    if (position(r) < latestGranted - tolerance) overtakes++;
    latestGranted = Math.max(latestGranted, position(r));
  }
  const perWorker = new Array<number>(workers).fill(0);
  for (const r of records) perWorker[r.worker] = (perWorker[r.worker] ?? 0) + 1;
  return {
    method: byQueue ? 'queue order' : 'request time',
    grants: records.length,
    overtakes,
    minPerWorker: Math.min(...perWorker),
    maxPerWorker: Math.max(...perWorker),
  };
}
