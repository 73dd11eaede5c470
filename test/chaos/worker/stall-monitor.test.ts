/** The stall monitor reports a timer that came late, and nothing while timers are on time. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { monitorStalls, STALL_TICK_MS } from './stall-monitor.js';

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('monitorStalls', () => {
  it('reports the gap when a tick arrives late', () => {
    let t = 0;
    const stalls: [number, number][] = [];
    const stop = monitorStalls(
      () => t,
      (a, b) => stalls.push([a, b]),
    );
    for (let i = 0; i < 5; i++) {
      t += STALL_TICK_MS;
      vi.advanceTimersByTime(STALL_TICK_MS);
    }
    expect(stalls).toEqual([]);
    // the process could not run for 600 ms: the next tick sees it
    t += 600;
    vi.advanceTimersByTime(STALL_TICK_MS);
    expect(stalls).toEqual([[250, 850]]);
    stop();
  });
});
