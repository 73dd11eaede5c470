/**
 * A token bucket: `ratePerSecond` requests a second on average, bursts up to `burst`. Time comes
 * in as monotonic milliseconds (the caller's injected clock), so tests drive it by hand. Written
 * here rather than taken from a library: it is ten lines, and the libraries read the clock
 * themselves.
 */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    nowMs: number,
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new RangeError('a bucket needs a positive rate and a burst ≥ 1');
    this.tokens = burst;
    this.lastMs = nowMs;
  }

  /** Takes one token: 0 when admitted, else the milliseconds until one will be there (≥ 1). */
  take(nowMs: number): number {
    this.refill(nowMs);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.tokens) * 1_000) / this.ratePerSecond));
  }

  /** Gives back a token taken for a request that was refused elsewhere (never above the burst). */
  refund(): void {
    this.tokens = Math.min(this.burst, this.tokens + 1);
  }

  private refill(nowMs: number): void {
    const elapsedMs = nowMs - this.lastMs;
    if (elapsedMs <= 0) return;
    this.lastMs = nowMs;
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs * this.ratePerSecond) / 1_000);
  }
}
