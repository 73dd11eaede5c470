/**
 * The signals that ask `baton` to stop (Ctrl-C, kill, a closed terminal). Handling them keeps
 * the process alive long enough to pass them on to the command and to release what it holds.
 */
import { constants } from 'node:os';

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

export class Interrupts {
  private readonly controller = new AbortController();
  private readonly listeners = new Set<(signal: StopSignal) => void>();
  private readonly handlers = new Map<StopSignal, () => void>();
  private firstSignal: StopSignal | null = null;

  constructor(private readonly proc: NodeJS.Process = process) {
    for (const name of STOP_SIGNALS) {
      const handler = (): void => this.receive(name);
      this.handlers.set(name, handler);
      proc.on(name, handler);
    }
  }

  /** Aborted at the first stop signal. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The first stop signal received, or null. */
  get first(): StopSignal | null {
    return this.firstSignal;
  }

  /** Calls `listener` for every stop signal from now on; returns the unsubscribe. */
  onSignal(listener: (signal: StopSignal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    for (const [name, handler] of this.handlers) this.proc.off(name, handler);
    this.handlers.clear();
    this.listeners.clear();
  }

  private receive(name: StopSignal): void {
    this.firstSignal ??= name;
    if (!this.controller.signal.aborted) this.controller.abort(name);
    for (const listener of [...this.listeners]) listener(name);
  }
}

/** 128 + the signal's number: what a shell reports for a process ended by it. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/** A stop signal arrived while baton was connecting or reading: exit 128+n. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
  constructor(readonly signal: StopSignal) {
    super(`stopped by ${signal}`);
  }
}
