/** Exponential backoff with jitter, so clients that lost the same node do not return in step. */

export interface BackoffPolicy {
  /** The first delay. */
  readonly initialMs: number;
  /** No delay is longer than this. */
  readonly maxMs: number;
}

/**
 * The delay before retry number `attempt` (0-based): initialMs·2^attempt capped at maxMs, then
 * scaled by a random factor in [0.5, 1) ("equal jitter": never shorter than half the step).
 */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: () => number): number {
  const exponent = Math.min(Math.max(attempt, 0), 30);
  const stepMs = Math.min(policy.maxMs, policy.initialMs * 2 ** exponent);
  return Math.round(stepMs * (0.5 + 0.5 * random()));
}
