/**
 * Reconnect delays: exponential with jitter. The n-th consecutive failure waits a uniformly
 * random time in [minMs, min(maxMs, minMs·2^n)], so a peer that is down is not hammered and
 * nodes restarted together do not retry in lockstep ("full jitter" above a floor).
 */

/** 2^30 · minMs is past any sensible maximum; capping the exponent keeps the arithmetic exact. */
const MAX_DOUBLINGS = 30;

export function reconnectDelayMs(failures: number, minMs: number, maxMs: number, random: () => number): number {
  const ceilingMs = Math.min(maxMs, minMs * 2 ** Math.min(Math.max(failures, 0), MAX_DOUBLINGS));
  const jittered = minMs + Math.floor(random() * (ceilingMs - minMs + 1));
  // a random() that misbehaves must not produce a delay outside the bounds
  return Math.min(Math.max(jittered, minMs), ceilingMs);
}
