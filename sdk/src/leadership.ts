/** Leadership of an election: its term (the fencing token), value, and a signal that fires on loss. */
import './dispose.js';
import type { LazySignal } from './lazy-signal.js';

export interface LeadershipInit {
  readonly name: string;
  readonly term: number;
  readonly value: string;
  readonly sessionId: string;
  readonly signal: LazySignal;
  readonly proclaim: (value: string) => Promise<void>;
  readonly resign: () => Promise<void>;
}

export class Leadership implements AsyncDisposable {
  readonly name: string;
  /** The leadership term: the fencing token of this leader's hold, strictly increasing per name. */
  readonly term: number;
  readonly sessionId: string;
  private readonly lazySignal: LazySignal;
  private currentValue: string;
  private readonly proclaimValue: (value: string) => Promise<void>;
  private readonly resignLeadership: () => Promise<void>;

  /** Leaderships come from session.campaign; this constructor is not for applications. */
  constructor(init: LeadershipInit) {
    this.name = init.name;
    this.term = init.term;
    this.sessionId = init.sessionId;
    this.lazySignal = init.signal;
    this.currentValue = init.value;
    this.proclaimValue = init.proclaim;
    this.resignLeadership = init.resign;
  }

  /** The value observers see (the last one proclaimed). */
  get value(): string {
    return this.currentValue;
  }

  /** Aborted the moment leadership must be treated as lost, or on resign. Reason: a BatonError. */
  get signal(): AbortSignal {
    return this.lazySignal.signal;
  }

  get isLeader(): boolean {
    return !this.lazySignal.aborted;
  }

  /** Changes the value without giving up leadership; NOT_HOLDER if leadership was lost. */
  async proclaim(value: string): Promise<void> {
    await this.proclaimValue(value);
    this.currentValue = value;
  }

  /** Passes leadership to the next candidate at once. Idempotent; a lost leadership is a no-op. */
  resign(): Promise<void> {
    return this.resignLeadership();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.resign();
  }
}
