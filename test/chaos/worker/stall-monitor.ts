/**
 * Notices when this process could not run its timers on time — CPU starvation, a long GC, or a
 * SIGSTOP: a timer that should fire every STALL_TICK_MS arrives late. A holder whose process was
 * stalled cannot fire its lock's signal either, exactly as if it had been paused (DESIGN §6: that
 * is what fencing tokens are for), so the handover check treats a stall like a pause.
 */

export const STALL_TICK_MS = 50;
/** Lateness worth reporting: well under the SDK's smallest safety margin (250 ms). */
export const STALL_REPORT_MS = 100;

/** Starts the monitor; `report(startMs, endMs)` gets each stall (the last on-time tick to the late one). */
export function monitorStalls(now: () => number, report: (startMs: number, endMs: number) => void): () => void {
  let last = now();
  const timer = setInterval(() => {
    const t = now();
    if (t - last - STALL_TICK_MS >= STALL_REPORT_MS) report(last, t);
    last = t;
  }, STALL_TICK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
