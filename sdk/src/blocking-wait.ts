/**
 * A blocking acquire or campaign: waits for the grant and, when the caller stops waiting (abort,
 * timeout, session lost or closed), leaves nothing behind on the server.
 *
 * Every attempt carries a FRESH seq. The state machine keeps one hold or wait per session and
 * name, and answers a repeated acquire/campaign from the current state (held → the token,
 * queued → waiting). Re-using the first seq instead would return the stored "waiting" answer even
 * when the grant happened while the connection was down, and the re-attached request would then
 * wait for a grant that already came.
 *
 * Giving up:
 * - never sent: dropped from the queue, the server never heard of it;
 * - in flight on a live connection: `lock.cancel {requestId}` removes the waiter (the server
 *   answers the wait CANCELLED);
 * - otherwise (connection lost): the next attempt is sent with `timeoutMs: 0`, so the server
 *   cancels the wait at once (and releases a grant that raced it).
 * A grant that still arrives (it raced the cancel) is released/resigned. Either way the cleanup
 * is bounded by requestTimeoutMs; past that, the session's expiry frees what is left.
 */
import { type ClientResultOf, LIMITS } from '@baton/proto-schemas';
import type { CallHandle, RequestBody } from './call.js';
import type { Channel } from './channel.js';
import type { MonotonicClock } from './clock.js';
import { abortReasonToError, BatonError } from './errors.js';

export type BlockingType = 'lock.acquire' | 'election.campaign';

export interface BlockingWaitDeps {
  readonly channel: Channel;
  readonly clock: MonotonicClock;
  readonly requestTimeoutMs: number;
  /** Keeps background cleanup visible to client.close(). */
  readonly track: (work: Promise<unknown>) => void;
}

export interface BlockingWaitSpec<T extends BlockingType> {
  readonly type: T;
  readonly body: Omit<RequestBody<T>, 'timeoutMs'>;
  readonly timeoutMs: number | undefined;
  readonly signal: AbortSignal | undefined;
  /** Gives back a grant that arrived after the caller stopped waiting. */
  readonly undo: (result: ClientResultOf<T>) => Promise<unknown>;
}

export class BlockingWait<T extends BlockingType> {
  readonly promise: Promise<ClientResultOf<T>>;
  private readonly call: CallHandle<T>;
  private abandoned: BatonError | null = null;
  private settled = false;
  private resolve!: (result: ClientResultOf<T>) => void;
  private reject!: (err: BatonError) => void;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly onAbort: () => void;

  constructor(
    private readonly deps: BlockingWaitDeps,
    private readonly spec: BlockingWaitSpec<T>,
  ) {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    const startMs = deps.clock.now();
    const deadlineMs = spec.timeoutMs === undefined ? null : startMs + spec.timeoutMs;
    const remainingMs = (): number | undefined => {
      if (this.abandoned !== null) return 0;
      if (deadlineMs === null) return undefined;
      return Math.min(LIMITS.maxWaitMs, Math.max(0, Math.ceil(deadlineMs - deps.clock.now())));
    };
    this.onAbort = () => this.abandon(abortReasonToError(spec.signal?.reason, spec.type));
    this.call = deps.channel.call<T>({
      type: spec.type,
      build: () => {
        const timeoutMs = remainingMs();
        return (timeoutMs === undefined ? { ...spec.body } : { ...spec.body, timeoutMs }) as RequestBody<T>;
      },
      seq: 'perAttempt',
      deadlineMs: null,
    });
    this.call.promise.then(
      (result) => this.onResult(result),
      (err: BatonError) => this.finish(err),
    );
    if (spec.signal !== undefined) {
      if (spec.signal.aborted) this.onAbort();
      else spec.signal.addEventListener('abort', this.onAbort, { once: true });
    }
    if (deadlineMs !== null && !this.settled) {
      this.timer = setTimeout(
        () => this.abandon(new BatonError('TIMEOUT', `${spec.type}: not granted within ${spec.timeoutMs} ms`)),
        spec.timeoutMs,
      );
    }
  }

  /** The caller stops waiting: reject now, clean up on the server in the background. */
  abandon(reason: BatonError): void {
    if (this.settled) return;
    this.abandoned = reason;
    this.finish(reason);
    if (this.call.dropIfUnsent()) return;
    const { channel, clock, requestTimeoutMs } = this.deps;
    this.call.setDeadline(clock.now() + requestTimeoutMs);
    const attempt = this.call.attempt;
    if (this.call.state === 'inflight' && attempt !== null && attempt.conn.isOpen) {
      channel.call({
        type: 'lock.cancel',
        build: () => ({ requestId: attempt.requestId }),
        seq: 'none',
        priority: true,
        pinned: attempt.conn,
        deadlineMs: clock.now() + requestTimeoutMs,
      });
    }
    // whatever the wait answers now decides the cleanup: a grant is given back, an error means none
    this.deps.track(
      this.call.promise.then(
        (result) => this.spec.undo(result).catch(() => {}),
        () => {},
      ),
    );
  }

  private onResult(result: ClientResultOf<T>): void {
    if (this.abandoned !== null) return;
    this.finish(null, result);
  }

  private finish(err: BatonError | null, result?: ClientResultOf<T>): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.spec.signal?.removeEventListener('abort', this.onAbort);
    if (err !== null) this.reject(err);
    else this.resolve(result as ClientResultOf<T>);
  }
}
