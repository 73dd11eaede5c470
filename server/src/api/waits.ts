/**
 * Blocking acquires and campaigns waiting for their grant. A wait is registered BEFORE its
 * acquire is proposed: the grant may be applied in the same batch of committed entries as the
 * acquire itself, before the proposal's promise continuation runs, and must not be missed.
 *
 * Keyed by (sessionId, name): the state machine keeps one hold or wait per session and name.
 */

export interface Grant {
  readonly token: number;
  readonly generation: number;
}

export type WaitOutcome =
  | { readonly kind: 'granted'; readonly grant: Grant }
  | { readonly kind: 'ended'; readonly reason: 'cancelled' | 'sessionEnded' };

export class PendingWait {
  private outcome: WaitOutcome | null = null;
  private listener: ((o: WaitOutcome) => void) | null = null;
  timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly requestId: string,
    readonly sessionId: number,
    readonly name: string,
    readonly election: boolean,
    /** The connection the waiting request came on: its answer goes there. */
    readonly connection: object | null = null,
  ) {}

  get key(): string {
    return waitKey(this.sessionId, this.name, this.election);
  }

  settle(o: WaitOutcome): void {
    if (this.outcome !== null) return;
    this.outcome = o;
    this.listener?.(o);
  }

  get settled(): WaitOutcome | null {
    return this.outcome;
  }

  /** Calls `fn` once the wait settles (at once if it already has). */
  onSettled(fn: (o: WaitOutcome) => void): void {
    if (this.outcome !== null) fn(this.outcome);
    else this.listener = fn;
  }
}

export function waitKey(sessionId: number, name: string, election: boolean): string {
  return `${election ? 'e' : 'l'}:${sessionId}:${name}`;
}

/** Every pending wait on this node, for routing the state machine's events. */
export class WaitRegistry {
  private readonly waits = new Map<string, Set<PendingWait>>();

  add(w: PendingWait): void {
    let set = this.waits.get(w.key);
    if (set === undefined) {
      set = new Set();
      this.waits.set(w.key, set);
    }
    set.add(w);
  }

  remove(w: PendingWait): void {
    const set = this.waits.get(w.key);
    if (set === undefined) return;
    set.delete(w);
    if (set.size === 0) this.waits.delete(w.key);
  }

  /** Settles the matching waits; true when one of them was waiting on `on` (its answer goes there now). */
  settle(sessionId: number, name: string, election: boolean, outcome: WaitOutcome, on?: object): boolean {
    const set = this.waits.get(waitKey(sessionId, name, election));
    if (set === undefined) return false;
    let answered = false;
    for (const w of set) {
      if (w.settled === null && on !== undefined && w.connection === on) answered = true;
      w.settle(outcome);
    }
    return answered;
  }

  /** A session ended: every wait of it ends. */
  settleSession(sessionId: number): void {
    for (const set of this.waits.values()) {
      for (const w of set) if (w.sessionId === sessionId) w.settle({ kind: 'ended', reason: 'sessionEnded' });
    }
  }

  get size(): number {
    let n = 0;
    for (const set of this.waits.values()) n += set.size;
    return n;
  }
}
