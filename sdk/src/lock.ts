/** A held lock (or one slot of a semaphore): its fencing token and a signal that fires when it is lost. */
import './dispose.js';
import type { LazySignal } from './lazy-signal.js';

export interface LockInit {
  readonly name: string;
  readonly token: number;
  readonly generation: number;
  readonly limit: number;
  readonly sessionId: string;
  readonly signal: LazySignal;
  readonly release: () => Promise<void>;
}

export class Lock implements AsyncDisposable {
  /** The lock's (or semaphore's) name. */
  readonly name: string;
  /**
   * The fencing token: the log index of the grant, strictly increasing per name and cluster-wide.
   * Pass it to every downstream write so a store can refuse an older holder.
   */
  readonly token: number;
  /** The grant counter of this name: 1, 2, 3… */
  readonly generation: number;
  /** Holders allowed at once: 1 for a lock, more for a semaphore. */
  readonly limit: number;
  readonly sessionId: string;
  private readonly lazySignal: LazySignal;
  private readonly releaseHold: () => Promise<void>;

  /** Locks come from session.acquire / tryAcquire; this constructor is not for applications. */
  constructor(init: LockInit) {
    this.name = init.name;
    this.token = init.token;
    this.generation = init.generation;
    this.limit = init.limit;
    this.sessionId = init.sessionId;
    this.lazySignal = init.signal;
    this.releaseHold = init.release;
  }

  /**
   * Aborted the moment the lock must be treated as lost (the session is lost or closed, the server
   * says it ended) or is released. `signal.reason` is a BatonError: SESSION_EXPIRED, NOT_HOLDER
   * (revoked) or CLOSED (released, or the session was closed).
   */
  get signal(): AbortSignal {
    return this.lazySignal.signal;
  }

  /** True until the lock is released or lost. */
  get held(): boolean {
    return !this.lazySignal.aborted;
  }

  /**
   * Gives the lock back. Idempotent; releasing a lock that was already lost does nothing. Rejects
   * (UNAVAILABLE) only when the cluster could not be reached: the server then frees the lock when
   * the session expires.
   */
  release(): Promise<void> {
    return this.releaseHold();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}
