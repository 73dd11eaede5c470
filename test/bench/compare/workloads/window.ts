/**
 * A measured window for closed-loop workers: they run through a warm-up, then the window is
 * measured, then they are told to stop and finish the cycle they are in. Samples count only when
 * they fall inside the window.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Progress } from '../progress.js';
import { ResourceMeter, type ResourceUse } from '../resources.js';

export class MeasureWindow {
  startMs = Number.POSITIVE_INFINITY;
  endMs = Number.POSITIVE_INFINITY;
  stopped = false;

  inside(t: number): boolean {
    return t >= this.startMs && t <= this.endMs;
  }

  get lengthMs(): number {
    return this.endMs - this.startMs;
  }
}

/**
 * A window that has not gathered enough samples by its planned end goes on for at most this
 * much longer (a quick run on a busy machine may otherwise measure nothing).
 */
const EXTENSION_MAX_MS = 30_000;

/**
 * Runs `workers` loops (each `loop(i, window)` returns when window.stopped) through warm-up and
 * measurement; returns the window and what it cost. A worker failing fails the run.
 */
export async function runWindow(options: {
  readonly workers: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly pids: () => readonly (number | null)[];
  readonly progress: Progress;
  readonly describe: () => string;
  readonly loop: (i: number, window: MeasureWindow) => Promise<void>;
  /** True once the window holds enough samples to report; checked from the planned end on. */
  readonly enough: () => boolean;
}): Promise<{ window: MeasureWindow; use: ResourceUse }> {
  const window = new MeasureWindow();
  let failure: unknown = null;
  const loops = Array.from({ length: options.workers }, (_, i) =>
    options.loop(i, window).catch((err: unknown) => {
      failure ??= err;
      window.stopped = true;
    }),
  );
  const ticker = setInterval(() => options.progress.update(options.describe()), 250);
  try {
    await delay(options.warmupMs);
    window.startMs = performance.now();
    const meter = new ResourceMeter(options.pids);
    const until = window.startMs + options.measureMs;
    const latest = until + EXTENSION_MAX_MS;
    for (;;) {
      const now = performance.now();
      if (window.stopped || now >= latest || (now >= until && options.enough())) break;
      await delay(Math.max(1, Math.min(100, (now < until ? until : latest) - now)));
    }
    window.endMs = performance.now();
    const use = meter.finish();
    window.stopped = true;
    await Promise.all(loops);
    if (failure !== null) throw failure;
    return { window, use };
  } finally {
    window.stopped = true;
    clearInterval(ticker);
  }
}
