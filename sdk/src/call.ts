/** One request the Channel carries until it is answered, retried, redirected or given up. */
import type { ClientRequestInputOf, ClientResultOf, RequestType } from '@baton/proto-schemas';
import type { Connection } from './connection.js';
import type { BatonError } from './errors.js';

/** A request's own fields: the Channel adds `v`, `id`, `type` and (for mutating requests) `seq`. */
export type RequestBody<T extends RequestType> = Omit<ClientRequestInputOf<T>, 'v' | 'id' | 'type' | 'seq'>;

export interface Attempt {
  readonly requestId: string;
  readonly conn: Connection;
  /** Monotonic clock time the frame was handed to the socket. */
  readonly sentAtMs: number;
}

export interface CallSpec<T extends RequestType> {
  readonly type: T;
  /** Called at each send: a retried wait carries its remaining timeout. */
  readonly build: () => RequestBody<T>;
  /**
   * Mutating requests get a `seq`, kept across retries so the server applies them once. A
   * blocking acquire/campaign takes a fresh one per attempt instead (see blocking-wait.ts).
   */
  readonly seq: 'none' | 'stable' | 'perAttempt';
  /** Keepalives and cancels: sent before queued requests, on slots kept free for them. */
  readonly priority?: boolean;
  /** Absolute clock time after which the call fails UNAVAILABLE; null: only the caller ends it. */
  readonly deadlineMs: number | null;
  /** Connection-scoped requests (lock.cancel, election.unobserve) go only there, never retried. */
  readonly pinned?: Connection;
  /** An attempt unanswered this long means the node is stuck: the connection is replaced. */
  readonly attemptTimeoutMs?: number;
  readonly onSent?: (attempt: Attempt) => void;
}

export type CallState = 'queued' | 'delayed' | 'inflight' | 'done';

/** What callers see of a call in flight. */
export interface CallHandle<T extends RequestType> {
  readonly promise: Promise<ClientResultOf<T>>;
  readonly state: CallState;
  /** Whether any attempt ever reached a socket. */
  readonly everSent: boolean;
  /** The attempt in flight, if any. */
  readonly attempt: Attempt | null;
  /** Removes a call that never reached a socket; false (and no effect) once one attempt was sent. */
  dropIfUnsent(): boolean;
  /** Moves the call's deadline (absolute clock time). */
  setDeadline(deadlineMs: number): void;
}

export class Call<T extends RequestType> implements CallHandle<T> {
  state: CallState = 'queued';
  everSent = false;
  attempt: Attempt | null = null;
  seq: number | null = null;
  /** UNAVAILABLE answers so far, for the retry backoff. */
  retries = 0;
  deadlineTimer: ReturnType<typeof setTimeout> | null = null;
  retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** Delayed because no leader was at hand (not a rate limit): a new connection sends it at once. */
  retryOnConnect = false;
  attemptTimer: ReturnType<typeof setTimeout> | null = null;
  readonly promise: Promise<ClientResultOf<T>>;
  resolve!: (result: ClientResultOf<T>) => void;
  reject!: (err: BatonError) => void;

  constructor(
    readonly spec: CallSpec<T>,
    /** Creation order: retried calls go back in this order. */
    readonly order: number,
    private readonly hooks: { drop(call: Call<T>): boolean; setDeadline(call: Call<T>, deadlineMs: number): void },
  ) {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // a caller that only cares about side effects must not crash the process with an unhandled rejection
    this.promise.catch(() => {});
  }

  dropIfUnsent(): boolean {
    return this.hooks.drop(this);
  }

  setDeadline(deadlineMs: number): void {
    this.hooks.setDeadline(this, deadlineMs);
  }
}
