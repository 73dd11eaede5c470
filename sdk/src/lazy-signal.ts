/**
 * The AbortSignal of a hold (a Lock's or a Leadership's), created only when someone asks for it.
 * Most holds are released without anybody listening: an AbortController per hold, and a
 * BatonError (with its stack trace) to abort it with, cost more than the rest of a lock cycle
 * on the client. The reason is built only if the signal exists or is asked for afterwards.
 */
export class LazySignal {
  private controller: AbortController | null = null;
  private reasonOf: (() => unknown) | null = null;

  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.reasonOf !== null) this.controller.abort(this.reasonOf());
    }
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.reasonOf !== null;
  }

  /** Aborts once; `reason` is called only if the signal exists now or is asked for later. */
  abort(reason: () => unknown): void {
    if (this.reasonOf !== null) return;
    this.reasonOf = reason;
    this.controller?.abort(reason());
  }
}
