/**
 * The one clock of a chaos run. Every process of the run (the harness, each worker) reads
 * CLOCK_MONOTONIC through process.hrtime, which on Linux is one system-wide clock: a time taken in
 * a worker and one taken in the harness are comparable without any offset estimation. Histories
 * record times relative to the run's origin (`originMs`, handed to every worker).
 */

/** Milliseconds on the system's monotonic clock (fractional). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** A clock that reads milliseconds since `originMs` (itself a monotonicMs() reading). */
export function runClock(originMs: number): () => number {
  return () => round3(monotonicMs() - originMs);
}

/** Three decimals (microseconds) keep the history readable and exact enough. */
export function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Resolves after `ms` (the harness's own pacing; tests of logic never sleep). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, ms));
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
