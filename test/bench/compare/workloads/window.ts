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
    while (!window.stopped && performance.now() < until) await delay(Math.min(100, until - performance.now()));
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
