import { describe, expect, it } from 'vitest';
import { reconnectDelayMs } from './backoff.js';

describe('reconnectDelayMs', () => {
  it('grows exponentially up to the maximum, jittered between the minimum and the ceiling', () => {
    const ceilings = [100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000];
    ceilings.forEach((ceilingMs, failures) => {
      expect(reconnectDelayMs(failures, 100, 5_000, () => 0)).toBe(100);
      expect(reconnectDelayMs(failures, 100, 5_000, () => 0.999_999)).toBe(ceilingMs);
      const mid = reconnectDelayMs(failures, 100, 5_000, () => 0.5);
      expect(mid).toBeGreaterThanOrEqual(100);
      expect(mid).toBeLessThanOrEqual(ceilingMs);
    });
  });

  it('stays within bounds for huge failure counts and a misbehaving random source', () => {
    expect(reconnectDelayMs(10_000, 100, 5_000, () => 0.5)).toBeLessThanOrEqual(5_000);
    expect(reconnectDelayMs(3, 100, 5_000, () => 7)).toBe(800);
    expect(reconnectDelayMs(3, 100, 5_000, () => -1)).toBe(100);
    expect(reconnectDelayMs(-2, 100, 5_000, () => 0.999)).toBe(100);
  });

  it('spreads retries: different random draws give different delays', () => {
    const delays = new Set([0.1, 0.3, 0.5, 0.7, 0.9].map((r) => reconnectDelayMs(5, 100, 5_000, () => r)));
    expect(delays.size).toBe(5);
  });
});
