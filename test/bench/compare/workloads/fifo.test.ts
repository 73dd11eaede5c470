import { describe, expect, it } from 'vitest';
import { checkFifo, type GrantRecord, REORDER_TOLERANCE_MS } from './fifo.js';

const g = (worker: number, requestedAt: number, grantedAt: number, queueOrder?: number): GrantRecord => ({
  worker,
  requestedAt,
  grantedAt,
  ...(queueOrder === undefined ? {} : { queueOrder }),
});

describe('checkFifo', () => {
  it('counts no overtake when grants follow the request order', () => {
    const r = checkFifo([g(0, 0, 10), g(1, 5, 20), g(2, 8, 30), g(0, 12, 40)], 3);
    expect(r).toEqual({ method: 'request time', grants: 4, overtakes: 0, minPerWorker: 1, maxPerWorker: 2 });
  });

  it('counts a grant whose request was issued clearly before an earlier grant’s request', () => {
    // worker 1 asked at 5, worker 2 at 50, yet worker 2 was granted first
    const r = checkFifo([g(1, 5, 100), g(2, 50, 60)], 3);
    expect(r.overtakes).toBe(1);
    expect(r.minPerWorker).toBe(0);
  });

  it('does not count requests issued within the reordering tolerance of each other', () => {
    const r = checkFifo([g(1, 10, 100), g(2, 10 + REORDER_TOLERANCE_MS / 2, 60)], 3);
    expect(r.overtakes).toBe(0);
  });

  it('uses the system’s queue order, exactly, when every grant carries one', () => {
    // by request time these are in order; by queue position worker 1 was overtaken
    const r = checkFifo([g(0, 0, 10, 7), g(1, 1, 20, 5)], 2);
    expect(r.method).toBe('queue order');
    expect(r.overtakes).toBe(1);
    // and requests close in time but queued in order are fine
    expect(checkFifo([g(0, 1, 10, 5), g(1, 0.5, 20, 7)], 2).overtakes).toBe(0);
  });
});
