/** Waiting on the node's state from the impure side (the Raft loop itself never waits). */

/**
 * Resolves true as soon as `done()` holds, false once `timeoutMs` passed. Checks every
 * `intervalMs` (a Raft tick is the natural unit: nothing it watches changes faster).
 */
export async function pollUntil(done: () => boolean, timeoutMs: number, intervalMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (done()) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, left)));
  }
}
