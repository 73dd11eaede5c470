import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('admits a burst, then the rate, and says how long to wait', () => {
    const b = new TokenBucket(10, 20, 0);
    for (let i = 0; i < 20; i++) expect(b.take(0)).toBe(0);
    expect(b.take(0)).toBe(100);
    expect(b.take(50)).toBe(50);
    expect(b.take(100)).toBe(0);
    expect(b.take(100)).toBe(100);
  });

  it('never holds more than its burst, however long it idles', () => {
    const b = new TokenBucket(100, 5, 0);
    let admitted = 0;
    while (b.take(1_000_000) === 0 && admitted < 1_000) admitted++;
    expect(admitted).toBe(5);
  });

  it('a refund gives one back, capped at the burst', () => {
    const b = new TokenBucket(1, 1, 0);
    expect(b.take(0)).toBe(0);
    expect(b.take(0)).toBeGreaterThan(0);
    b.refund();
    expect(b.take(0)).toBe(0);
    b.refund();
    b.refund();
    expect(b.take(0)).toBe(0);
    expect(b.take(0)).toBeGreaterThan(0);
  });

  it('ignores a clock that goes back', () => {
    const b = new TokenBucket(10, 1, 1_000);
    expect(b.take(1_000)).toBe(0);
    expect(b.take(500)).toBe(100);
  });

  it('refuses nonsense rates', () => {
    expect(() => new TokenBucket(0, 1, 0)).toThrow(RangeError);
    expect(() => new TokenBucket(1, 0, 0)).toThrow(RangeError);
  });
});
