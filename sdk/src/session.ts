/**
 * A session owns a lease on the server and keeps it alive; everything held is tied to it
 * (etcd's concurrency.Session). Loss is decided LOCALLY, before the server could hand a lock to
 * anyone else:
 *
 *   lost when no keepalive was acknowledged by  lastAckedSendMs + ttlMs − safetyMarginMs
 *
 * where lastAckedSendMs is the monotonic SEND time of the newest acknowledged keepalive (at first,
 * of session.open). The leader answers a keepalive only while its lease is valid and restarts the
 * session's TTL when it receives it, which is no earlier than we sent it; a new leader starts
 * every TTL afresh (DESIGN §4). So until that deadline no grant of our holds can happen, and the
 * margin absorbs clock-rate drift and a late timer. At the deadline, `session.signal` and every
 * held lock's and leadership's signal abort together, and waiting acquires/campaigns reject.
 */
import type { ClientEvent, ClientResultOf, Metadata } from '@baton/proto-schemas';
import { BlockingWait, type BlockingWaitDeps } from './blocking-wait.js';
import type { CallHandle } from './call.js';
import type { Channel } from './channel.js';
import type { MonotonicClock } from './clock.js';
import './dispose.js';
import { abortReasonToError, BatonError, isBatonError } from './errors.js';
import { LazySignal } from './lazy-signal.js';
import { Leadership } from './leadership.js';
import { Lock } from './lock.js';
import { checkWaitTimeout, type ResolvedSessionOptions } from './options.js';

export interface AcquireOptions {
  /** Give up (TIMEOUT) if not granted within this time. Default: wait up to LIMITS.maxWaitMs. */
  readonly timeoutMs?: number;
  /** Abort the wait (CANCELLED, or TIMEOUT for AbortSignal.timeout). The waiter is removed server-side. */
  readonly signal?: AbortSignal;
  /** Holders allowed at once: more than 1 makes the name a semaphore. Default 1. */
  readonly limit?: number;
  /** After this hold's session EXPIRES (not a release), the name is not granted for this long. */
  readonly lockDelayMs?: number;
  /** Shown by describe: who holds or waits. */
  readonly metadata?: Metadata;
}

export type TryAcquireOptions = Omit<AcquireOptions, 'timeoutMs' | 'signal'>;

export interface CampaignOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export type SessionState = 'open' | 'lost' | 'closed';

export interface SessionDeps extends BlockingWaitDeps {
  readonly channel: Channel;
  readonly clock: MonotonicClock;
  readonly requestTimeoutMs: number;
  /** The session ended (lost or closed): the client forgets it. */
  readonly ended: (session: Session) => void;
}

interface Hold<H> {
  readonly handle: H;
  readonly token: number;
  readonly controller: LazySignal;
}

/** Keepalive retry after an error that was not an expiry (the Channel already retried inside). */
const KEEPALIVE_RETRY_MS = 100;

export class Session implements AsyncDisposable {
  readonly id: string;
  readonly ttlMs: number;
  readonly keepaliveIntervalMs: number;
  readonly safetyMarginMs: number;
  private readonly controller = new AbortController();
  private stateNow: SessionState = 'open';
  private lastAckedSendMs: number;
  /** lastAckedSendMs + min(ttl, remaining) − margin: the local loss deadline. */
  private safeUntilMs: number;
  private lossTimer: ReturnType<typeof setTimeout> | null = null;
  private keepaliveTimer: ReturnType<typeof setTimeout> | null = null;
  private keepaliveInFlight = false;
  private readonly locks = new Map<string, Hold<Lock>>();
  private readonly leaderships = new Map<string, Hold<Leadership>>();
  /** Names with an acquire/campaign in progress: one hold or wait per session and name. */
  private readonly busyNames = new Set<string>();
  private readonly waits = new Set<{ abandon(reason: BatonError): void }>();
  private readonly unsubscribe: (() => void)[] = [];
  private closing: Promise<void> | null = null;

  /** Opens a session; `openSentAtMs` is the send time of the session.open that created it. */
  private constructor(
    private readonly deps: SessionDeps,
    opened: ClientResultOf<'session.open'>,
    options: ResolvedSessionOptions,
    openSentAtMs: number,
  ) {
    this.id = opened.sessionId;
    this.ttlMs = opened.ttlMs;
    this.safetyMarginMs = options.safetyMarginMs;
    this.keepaliveIntervalMs = options.keepaliveIntervalMs;
    this.lastAckedSendMs = openSentAtMs;
    this.safeUntilMs = openSentAtMs + this.ttlMs - this.safetyMarginMs;
  }

  static async open(deps: SessionDeps, options: ResolvedSessionOptions): Promise<Session> {
    // the FIRST send counts: a retried open is answered from the entry the first one created
    let firstSentAtMs: number | null = null;
    const opened = await deps.channel.call({
      type: 'session.open',
      build: () =>
        options.label === undefined ? { ttlMs: options.ttlMs } : { ttlMs: options.ttlMs, label: options.label },
      seq: 'stable',
      deadlineMs: deps.clock.now() + deps.requestTimeoutMs,
      onSent: (attempt) => {
        firstSentAtMs ??= attempt.sentAtMs;
      },
    }).promise;
    const session = new Session(deps, opened, options, firstSentAtMs ?? deps.clock.now());
    if (deps.clock.now() >= session.safeUntilMs) {
      // answered too late to know the session is still safe: give it back, report it
      session.lose(new BatonError('SESSION_EXPIRED', `session ${session.id} was confirmed too late to be safe`));
      throw new BatonError('UNAVAILABLE', `session.open took longer than ttlMs − safetyMarginMs`);
    }
    session.start();
    return session;
  }

  /** Aborted when the session is lost (reason SESSION_EXPIRED) or closed (reason CLOSED). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get state(): SessionState {
    return this.stateNow;
  }

  /** Milliseconds (monotonic) until the session counts as lost unless a keepalive is acknowledged. */
  get safeForMs(): number {
    return this.stateNow === 'open' ? Math.max(0, this.safeUntilMs - this.deps.clock.now()) : 0;
  }

  /** Waits for the lock (FIFO with other waiters); rejects TIMEOUT, CANCELLED or SESSION_EXPIRED. */
  async acquire(name: string, options: AcquireOptions = {}): Promise<Lock> {
    const timeoutMs = checkWaitTimeout(options.timeoutMs);
    const limit = options.limit ?? 1;
    this.claimName(name);
    try {
      if (options.signal?.aborted) throw abortError(options.signal, 'lock.acquire');
      const wait = new BlockingWait(this.deps, {
        type: 'lock.acquire',
        body: {
          sessionId: this.id,
          name,
          limit,
          wait: true,
          ...(options.lockDelayMs === undefined ? {} : { lockDelayMs: options.lockDelayMs }),
          ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
        },
        timeoutMs,
        signal: options.signal,
        undo: (result) => (result.acquired ? this.sendRelease(name, result.token) : Promise.resolve()),
      });
      this.waits.add(wait);
      let result: ClientResultOf<'lock.acquire'>;
      try {
        result = await wait.promise;
      } finally {
        this.waits.delete(wait);
      }
      if (!result.acquired) throw new BatonError('INTERNAL', 'a waiting acquire was answered "not acquired"');
      return this.adoptLock(name, result.token, result.generation, limit);
    } finally {
      this.busyNames.delete(name);
    }
  }

  /** Takes the lock if it is free right now; null when it is held (or the semaphore is full). */
  async tryAcquire(name: string, options: TryAcquireOptions = {}): Promise<Lock | null> {
    const limit = options.limit ?? 1;
    this.claimName(name);
    try {
      const { requestTimeoutMs, clock } = this.deps;
      // The call may outlive the caller's wait by one more requestTimeoutMs: that is the window in
      // which an answer that comes late can still be given back (see answerOrGiveBack).
      const call = this.deps.channel.call({
        type: 'lock.acquire',
        build: () => ({
          sessionId: this.id,
          name,
          limit,
          wait: false,
          ...(options.lockDelayMs === undefined ? {} : { lockDelayMs: options.lockDelayMs }),
          ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
        }),
        seq: 'stable',
        deadlineMs: clock.now() + 2 * requestTimeoutMs,
      });
      const result = await this.answerOrGiveBack(call, requestTimeoutMs, (late) =>
        late.acquired ? this.sendRelease(name, late.token) : Promise.resolve(),
      );
      if (!result.acquired) return null;
      return this.adoptLock(name, result.token, result.generation, limit);
    } finally {
      this.busyNames.delete(name);
    }
  }

  /**
   * The answer of a one-shot grant request, or TIMEOUT after `waitMs`. A request that timed out may
   * still have been applied (the outcome is unknown), so it is not forgotten: unless it never left
   * the queue, its answer is awaited in the background (same seq, so the server answers the one
   * request it applied, at most once) and a grant in it is given back. Without this a tryAcquire
   * that timed out could leave the lock held by this session, with nobody knowing, until the
   * session ended.
   */
  private answerOrGiveBack(
    call: CallHandle<'lock.acquire'>,
    waitMs: number,
    giveBack: (late: ClientResultOf<'lock.acquire'>) => Promise<unknown>,
  ): Promise<ClientResultOf<'lock.acquire'>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new BatonError('TIMEOUT', `lock.acquire: no answer within ${waitMs} ms`));
        if (call.dropIfUnsent()) return;
        this.deps.track(call.promise.then(giveBack, () => {}).catch(() => {}));
      }, waitMs);
      call.promise.then(
        (result) => {
          clearTimeout(timer);
          resolve(result);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  /** Acquires, runs `fn`, releases (also when `fn` throws). `fn` should watch `lock.signal`. */
  async withLock<T>(name: string, fn: (lock: Lock) => Promise<T> | T, options: AcquireOptions = {}): Promise<T> {
    const lock = await this.acquire(name, options);
    let failed = false;
    try {
      return await fn(lock);
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      // fn's own error wins over a failed release
      if (failed) await lock.release().catch(() => {});
      else await lock.release();
    }
  }

  /** Waits until this session leads `name` with `value`; rejects TIMEOUT, CANCELLED or SESSION_EXPIRED. */
  async campaign(name: string, value: string, options: CampaignOptions = {}): Promise<Leadership> {
    const timeoutMs = checkWaitTimeout(options.timeoutMs);
    this.claimName(name);
    try {
      if (options.signal?.aborted) throw abortError(options.signal, 'election.campaign');
      const wait = new BlockingWait(this.deps, {
        type: 'election.campaign',
        body: { sessionId: this.id, name, value },
        timeoutMs,
        signal: options.signal,
        undo: (result) => this.sendResign(name, result.term),
      });
      this.waits.add(wait);
      let result: ClientResultOf<'election.campaign'>;
      try {
        result = await wait.promise;
      } finally {
        this.waits.delete(wait);
      }
      return this.adoptLeadership(name, result.term, value);
    } finally {
      this.busyNames.delete(name);
    }
  }

  /**
   * Ends the session: everything it holds is released at once on the server, every signal aborts
   * (reason CLOSED) and waiting calls reject CLOSED. Never rejects: when the cluster cannot be
   * reached, the server expires the session after its TTL.
   */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    if (this.stateNow !== 'open') {
      this.closing = Promise.resolve();
      return this.closing;
    }
    this.end('closed', new BatonError('CLOSED', `session ${this.id} was closed`));
    this.closing = this.sendClose();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ------------------------------------------------------------------ keepalive and loss

  private start(): void {
    this.unsubscribe.push(
      this.deps.channel.onConnected(() => this.sendKeepalive()),
      this.deps.channel.onEvent((event) => this.onEvent(event)),
    );
    this.armLossTimer();
    this.scheduleKeepalive(this.lastAckedSendMs + this.keepaliveIntervalMs - this.deps.clock.now());
  }

  private scheduleKeepalive(delayMs: number): void {
    if (this.keepaliveTimer !== null) clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = setTimeout(
      () => {
        this.keepaliveTimer = null;
        this.sendKeepalive();
      },
      Math.max(0, delayMs),
    );
  }

  private sendKeepalive(): void {
    if (this.stateNow !== 'open' || this.keepaliveInFlight) return;
    this.keepaliveInFlight = true;
    let sentAtMs: number | null = null;
    this.deps.channel
      .call({
        type: 'session.keepalive',
        build: () => ({ sessionId: this.id }),
        seq: 'none',
        priority: true,
        // past the loss deadline an answer no longer matters
        deadlineMs: this.safeUntilMs,
        // the leader answers keepalives from memory: silence means a stuck node
        attemptTimeoutMs: this.keepaliveIntervalMs,
        onSent: (attempt) => {
          sentAtMs = attempt.sentAtMs;
        },
      })
      .promise.then(
        (result) => {
          this.keepaliveInFlight = false;
          if (sentAtMs !== null) this.onKeepaliveAck(sentAtMs, result);
        },
        (err: unknown) => {
          this.keepaliveInFlight = false;
          if (this.stateNow !== 'open') return;
          if (isBatonError(err, 'SESSION_EXPIRED')) {
            this.lose(new BatonError('SESSION_EXPIRED', `session ${this.id} expired on the server`, { cause: err }));
            return;
          }
          this.scheduleKeepalive(KEEPALIVE_RETRY_MS);
        },
      );
  }

  private onKeepaliveAck(sentAtMs: number, result: ClientResultOf<'session.keepalive'>): void {
    if (this.stateNow !== 'open') return;
    const nowMs = this.deps.clock.now();
    if (nowMs >= this.safeUntilMs) {
      // the answer came after the deadline: the timer is late, the rule is not
      this.lose(this.expiredLocally());
      return;
    }
    if (sentAtMs > this.lastAckedSendMs) {
      this.lastAckedSendMs = sentAtMs;
      // the leader counts `remainingMs` from a moment after our send: never trust more than it says
      this.safeUntilMs = sentAtMs + Math.min(this.ttlMs, result.remainingMs) - this.safetyMarginMs;
      this.armLossTimer();
    }
    this.scheduleKeepalive(this.lastAckedSendMs + this.keepaliveIntervalMs - nowMs);
  }

  private armLossTimer(): void {
    if (this.lossTimer !== null) clearTimeout(this.lossTimer);
    this.lossTimer = setTimeout(() => this.checkLoss(), Math.max(0, this.safeUntilMs - this.deps.clock.now()));
  }

  private checkLoss(): void {
    this.lossTimer = null;
    if (this.stateNow !== 'open') return;
    if (this.deps.clock.now() >= this.safeUntilMs) this.lose(this.expiredLocally());
    else this.armLossTimer();
  }

  private expiredLocally(): BatonError {
    return new BatonError(
      'SESSION_EXPIRED',
      `session ${this.id}: no keepalive acknowledged within ${this.ttlMs - this.safetyMarginMs} ms of the last acknowledged send`,
    );
  }

  private onEvent(event: ClientEvent): void {
    if (this.stateNow !== 'open') return;
    switch (event.event) {
      case 'sessionExpired':
        if (event.sessionId === this.id) {
          this.lose(new BatonError('SESSION_EXPIRED', `session ${this.id} expired on the server`));
        }
        return;
      case 'lost': {
        if (event.sessionId !== this.id) return;
        const reason = new BatonError(
          event.reason === 'expired' ? 'SESSION_EXPIRED' : event.reason === 'closed' ? 'CLOSED' : 'NOT_HOLDER',
          `${event.name}: hold ${event.token} ended on the server (${event.reason})`,
        );
        for (const holds of [this.locks, this.leaderships] as Map<string, Hold<unknown>>[]) {
          const hold = holds.get(event.name);
          if (hold !== undefined && hold.token === event.token) {
            holds.delete(event.name);
            hold.controller.abort(() => reason);
          }
        }
        return;
      }
      default:
        // granted: the waiting request's own answer carries the same token
        return;
    }
  }

  /** The session is lost: every signal aborts now; the server is told to drop it, best effort. */
  private lose(reason: BatonError): void {
    if (this.stateNow !== 'open') return;
    this.end('lost', reason);
    this.deps.track(this.sendClose());
  }

  private end(state: 'lost' | 'closed', reason: BatonError): void {
    this.stateNow = state;
    if (this.lossTimer !== null) clearTimeout(this.lossTimer);
    if (this.keepaliveTimer !== null) clearTimeout(this.keepaliveTimer);
    this.lossTimer = this.keepaliveTimer = null;
    for (const off of this.unsubscribe.splice(0)) off();
    // every signal in the same tick: a holder must not see its session gone but its lock alive
    this.controller.abort(reason);
    for (const holds of [this.locks, this.leaderships] as Map<string, Hold<unknown>>[]) {
      for (const hold of holds.values()) hold.controller.abort(() => reason);
      holds.clear();
    }
    for (const wait of [...this.waits]) wait.abandon(reason);
    this.deps.ended(this);
  }

  private async sendClose(): Promise<void> {
    try {
      await this.deps.channel.call({
        type: 'session.close',
        build: () => ({ sessionId: this.id }),
        seq: 'stable',
        deadlineMs: this.deps.clock.now() + this.deps.requestTimeoutMs,
      }).promise;
    } catch {
      // SESSION_EXPIRED: already gone; anything else: the server expires it after its TTL
    }
  }

  // ------------------------------------------------------------------ holds

  private claimName(name: string): void {
    if (this.stateNow !== 'open') {
      throw this.stateNow === 'lost'
        ? new BatonError('SESSION_EXPIRED', `session ${this.id} is lost`)
        : new BatonError('CLOSED', `session ${this.id} is closed`);
    }
    if (this.busyNames.has(name) || this.locks.has(name) || this.leaderships.has(name)) {
      // the server keeps one hold or wait per session and name: a second one would alias the first
      throw new BatonError(
        'INVALID_ARGUMENT',
        `session ${this.id} already holds or waits for ${JSON.stringify(name)}; use another session`,
        { field: 'name' },
      );
    }
    this.busyNames.add(name);
  }

  private assertStillOpen(): void {
    if (this.stateNow === 'open') return;
    throw this.controller.signal.reason instanceof BatonError
      ? this.controller.signal.reason
      : new BatonError('SESSION_EXPIRED', `session ${this.id} ended`);
  }

  private adoptLock(name: string, token: number, generation: number, limit: number): Lock {
    // an answer that raced the loss: the session is gone, and with it the hold
    this.assertStillOpen();
    const controller = new LazySignal();
    let releasing: Promise<void> | null = null;
    const lock = new Lock({
      name,
      token,
      generation,
      limit,
      sessionId: this.id,
      signal: controller,
      release: () => {
        releasing ??= this.releaseLock(name, token, controller);
        return releasing;
      },
    });
    this.locks.set(name, { handle: lock, token, controller });
    return lock;
  }

  private async releaseLock(name: string, token: number, controller: LazySignal): Promise<void> {
    const hold = this.locks.get(name);
    if (hold === undefined || hold.token !== token || this.stateNow !== 'open') return;
    this.locks.delete(name);
    controller.abort(() => new BatonError('CLOSED', `${name}: released`));
    await this.sendRelease(name, token);
  }

  private sendRelease(name: string, token: number): Promise<void> {
    return this.giveBack('lock.release', () => ({ sessionId: this.id, name, token }));
  }

  private sendResign(name: string, term: number): Promise<void> {
    return this.giveBack('election.resign', () => ({ sessionId: this.id, name, term }));
  }

  /** Sends a release or resign; a hold that is no longer ours (lost, expired) needs nothing given back. */
  private async giveBack(
    type: 'lock.release' | 'election.resign',
    build: () => { sessionId: string; name: string; token: number } | { sessionId: string; name: string; term: number },
  ): Promise<void> {
    try {
      await this.deps.channel.call({
        type,
        build,
        seq: 'stable',
        deadlineMs: this.deps.clock.now() + this.deps.requestTimeoutMs,
      } as Parameters<typeof this.deps.channel.call>[0]).promise;
    } catch (err) {
      if (isBatonError(err, 'NOT_HOLDER') || isBatonError(err, 'SESSION_EXPIRED')) return;
      throw err;
    }
  }

  private adoptLeadership(name: string, term: number, value: string): Leadership {
    this.assertStillOpen();
    const controller = new LazySignal();
    let resigning: Promise<void> | null = null;
    const leadership = new Leadership({
      name,
      term,
      value,
      sessionId: this.id,
      signal: controller,
      proclaim: (next) => this.proclaim(name, term, next),
      resign: () => {
        resigning ??= this.resignLeadership(name, term, controller);
        return resigning;
      },
    });
    this.leaderships.set(name, { handle: leadership, token: term, controller });
    return leadership;
  }

  private async proclaim(name: string, term: number, value: string): Promise<void> {
    const hold = this.leaderships.get(name);
    if (hold === undefined || hold.token !== term || this.stateNow !== 'open') {
      throw new BatonError('NOT_HOLDER', `${name}: leadership of term ${term} is over`);
    }
    try {
      await this.deps.channel.call({
        type: 'election.proclaim',
        build: () => ({ sessionId: this.id, name, term, value }),
        seq: 'stable',
        deadlineMs: this.deps.clock.now() + this.deps.requestTimeoutMs,
      }).promise;
    } catch (err) {
      if (isBatonError(err, 'NOT_HOLDER') && this.leaderships.get(name) === hold) {
        this.leaderships.delete(name);
        hold.controller.abort(() => err);
      }
      throw err;
    }
  }

  private async resignLeadership(name: string, term: number, controller: LazySignal): Promise<void> {
    const hold = this.leaderships.get(name);
    if (hold === undefined || hold.token !== term || this.stateNow !== 'open') return;
    this.leaderships.delete(name);
    controller.abort(() => new BatonError('CLOSED', `${name}: resigned`));
    await this.sendResign(name, term);
  }
}

function abortError(signal: AbortSignal, what: string): BatonError {
  return abortReasonToError(signal.reason, what);
}
