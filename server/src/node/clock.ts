/**
 * Time at the edge (STYLE: ticks inside, milliseconds at the edge). The node runtime reads a
 * monotonic clock for ticks, leases and session deadlines, and the wall clock only for
 * informational timestamps written into entries. Tests inject a ManualClock.
 */
export interface Clock {
  /** Monotonic milliseconds: never jumps back, unaffected by NTP or the user changing the date. */
  monotonicMs(): number;
  /** Wall-clock milliseconds since the epoch; for display only, never for a decision. */
  wallMs(): number;
}

export const systemClock: Clock = {
  monotonicMs: () => performance.now(),
  wallMs: () => Date.now(),
};

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  constructor(
    private nowMs = 0,
    private readonly wallOffsetMs = 1_700_000_000_000,
  ) {}

  monotonicMs(): number {
    return this.nowMs;
  }

  wallMs(): number {
    return this.wallOffsetMs + this.nowMs;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot move a clock back (${ms} ms)`);
    this.nowMs += ms;
  }
}
