/**
 * The Channel keeps one connection to the cluster, preferably to the leader, and carries every
 * request over it: bounded queueing, the server's in-flight limit, retries with the same
 * `(clientId, seq)` after a lost connection or an UNAVAILABLE answer, NOT_LEADER hints followed,
 * and reconnection that walks the endpoints with backoff and jitter.
 */
import {
  type ClientEvent,
  type ClientResponse,
  fastClientRequest,
  LIMITS,
  PROTOCOL_VERSION,
  parseClientFrame,
  parseResult,
  type RequestType,
} from '@baton/proto-schemas';
import { backoffDelayMs } from './backoff.js';
import { type Attempt, Call, type CallHandle, type CallSpec } from './call.js';
import { Connection } from './connection.js';
import { normalizeHint } from './endpoints.js';
import { BatonError } from './errors.js';
import type { ResolvedClientOptions } from './options.js';

/** In-flight slots kept free for keepalives and cancels, so waiting acquires cannot starve them. */
export const PRIORITY_RESERVED_SLOTS = 16;
/** UNAVAILABLE answers in a row from one node before the Channel tries another. */
export const UNAVAILABLE_BEFORE_ROTATE = 3;
/** Leader hints from hellos followed in one reconnect before settling for the node at hand. */
export const MAX_HINT_HOPS = 2;
/**
 * An endpoint that refused a connection, or whose connection just dropped, is "suspect" this
 * long: it is tried last, and a hint naming it is not followed. After a leader dies, its
 * followers keep naming it until their election timeout: following them back to the dead node,
 * with a growing backoff each time, kept clients away for seconds after a new leader was up.
 */
export const SUSPECT_MS = 1_000;
/**
 * While the node at hand cannot name a live leader (NOT_LEADER pointing at a suspect endpoint,
 * or UNAVAILABLE), retries are spaced at most this much: an election is probably under way, and
 * the new leader should be found within this of its first heartbeat.
 */
export const ELECTION_RETRY_MAX_MS = 50;
/** Retries of one call spaced by ELECTION_RETRY_MAX_MS at most, before the usual backoff resumes (~1 s). */
export const ELECTION_RETRIES = 20;
/**
 * The server answers a retry from its exactly-once table for a client's newest this-many seqs
 * (the state machine's dedup window is LIMITS.maxInflightRequestsPerConnection).
 */
export const DEDUP_WINDOW_SEQS = LIMITS.maxInflightRequestsPerConnection;
/** A rate-limited request is sent again no sooner than this, whatever the server's hint. */
export const RATE_LIMIT_MIN_RETRY_MS = 5;

/**
 * When to send a rate-limited request again: the server's hint (when its bucket has a token),
 * stretched by up to 2× at random so the refused requests of a busy connection do not return
 * together, and never growing with the retries: an exponential backoff left a refused request
 * waiting for seconds while newer ones were admitted (and, since newer seqs now wait for it to
 * stay in the server's exactly-once window, stalled the connection: bench W1 fell to 104
 * cycles/s at 32 workers on one connection).
 */
export function rateLimitRetryDelayMs(retryAfterMs: number, random: () => number): number {
  return Math.ceil(Math.max(RATE_LIMIT_MIN_RETRY_MS, retryAfterMs) * (1 + random()));
}

/** Hello errors that no other node would answer differently: connect() gives up on them. */
const FATAL_HELLO_CODES: ReadonlySet<string> = new Set([
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'UNSUPPORTED_VERSION',
  'INVALID_ARGUMENT',
]);

/** Requests only the leader can answer. */
const LEADER_ONLY: ReadonlySet<RequestType> = new Set<RequestType>([
  'session.open',
  'session.close',
  'session.keepalive',
  'lock.acquire',
  'lock.release',
  'election.campaign',
  'election.proclaim',
  'election.resign',
]);

type AnyCall = Call<RequestType>;

export class Channel {
  private conn: Connection | null = null;
  private loop: Promise<void> | null = null;
  /** Ready to send: priority calls first, then by creation order. */
  private readonly queue: AnyCall[] = [];
  /** Every call not yet settled (queued, delayed or in flight): the pending-request bound. */
  private readonly live = new Set<AnyCall>();
  private lastSeq = 0;
  private pumping = false;
  private nextOrder = 0;
  /** Failed connection attempts and redirects since the last leader answer; drives backoff. */
  private failures = 0;
  private cursor = 0;
  private preferredUrl: string | null = null;
  /** Endpoint URL → monotonic time until which it is suspect (SUSPECT_MS). */
  private readonly suspects = new Map<string, number>();
  /** Connections this side left after a streak of UNAVAILABLE answers (their node is alive). */
  private readonly movedAway = new WeakSet<Connection>();
  private closed = false;
  private lastError: BatonError | null = null;
  private sleepTimer: ReturnType<typeof setTimeout> | null = null;
  private wakeSleeper: (() => void) | null = null;
  private readonly connectedListeners = new Set<(conn: Connection) => void>();
  private readonly eventListeners = new Set<(event: ClientEvent) => void>();
  private readonly firstConnection: Promise<void>;
  private resolveFirst!: () => void;
  private rejectFirst!: (err: BatonError) => void;
  private everConnected = false;

  constructor(private readonly options: ResolvedClientOptions) {
    this.firstConnection = new Promise((resolve, reject) => {
      this.resolveFirst = resolve;
      this.rejectFirst = reject;
    });
    this.firstConnection.catch(() => {});
  }

  /** Starts connecting; resolves once a connection is up, rejects on a fatal hello answer or at `timeoutMs`. */
  start(timeoutMs: number): Promise<void> {
    this.ensureLoop();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const cause = this.lastError;
        reject(
          new BatonError(
            'UNAVAILABLE',
            `no endpoint answered within ${timeoutMs} ms${cause === null ? '' : ` (last: ${cause.message})`}`,
            { cause },
          ),
        );
      }, timeoutMs);
    });
    return Promise.race([this.firstConnection, timeout]).finally(() => {
      if (timer !== null) clearTimeout(timer);
    });
  }

  /** The URL of the connection in use, or null while (re)connecting. */
  get connectedUrl(): string | null {
    return this.conn?.url ?? null;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Calls `fn` with each new connection (sessions resume, observers re-register). */
  onConnected(fn: (conn: Connection) => void): () => void {
    this.connectedListeners.add(fn);
    return () => this.connectedListeners.delete(fn);
  }

  onEvent(fn: (event: ClientEvent) => void): () => void {
    this.eventListeners.add(fn);
    return () => this.eventListeners.delete(fn);
  }

  call<T extends RequestType>(spec: CallSpec<T>): CallHandle<T> {
    const call = new Call<T>(spec, this.nextOrder++, {
      drop: (c) => this.drop(c as unknown as AnyCall),
      setDeadline: (c, ms) => this.armDeadline(c as unknown as AnyCall, ms),
    });
    const any = call as unknown as AnyCall;
    if (this.closed) {
      this.settle(any, new BatonError('CLOSED', 'the client is closed'));
      return call;
    }
    // keepalives and cancels are exempt: one per session or abandoned wait, and refusing them
    // would lose a session because the application queued too much
    if (spec.priority !== true && this.live.size >= this.options.maxPendingRequests) {
      this.settle(
        any,
        new BatonError(
          'RESOURCE_EXHAUSTED',
          `${this.options.maxPendingRequests} requests are already pending (maxPendingRequests)`,
        ),
      );
      return call;
    }
    // the cheap checks before sending: the server's own parser, on the frame as it will be sent
    // (the hot requests pass its hand-written checks without a round trip through JSON)
    const body = spec.build();
    if (fastClientRequest(frameObject(spec.type, body, 'probe', spec.seq === 'none' ? null : 1)) === null) {
      const parsed = parseClientFrame(frameFor(spec.type, body, 'probe', spec.seq === 'none' ? null : 1));
      if (!parsed.ok) {
        this.settle(any, BatonError.fromBody(parsed.error));
        return call;
      }
    }
    if (spec.pinned !== undefined && (spec.pinned !== this.conn || !spec.pinned.isOpen)) {
      this.settle(any, new BatonError('UNAVAILABLE', 'the connection this request belongs to is gone'));
      return call;
    }
    this.live.add(any);
    if (spec.deadlineMs !== null) this.armDeadline(any, spec.deadlineMs);
    this.enqueue(any);
    this.pump();
    this.ensureLoop();
    return call;
  }

  /** Stops everything: pending calls fail CLOSED, the connection closes with a close frame. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wakeSleeper?.();
    this.rejectFirst(new BatonError('CLOSED', 'the client was closed before it connected'));
    for (const call of [...this.live]) this.settle(call, new BatonError('CLOSED', 'the client is closed'));
    const conn = this.conn;
    this.conn = null;
    conn?.shutdown(new BatonError('CLOSED', 'the client is closed'), true);
  }

  // ------------------------------------------------------------------ sending

  private enqueue(call: AnyCall): void {
    call.state = 'queued';
    const before = (other: AnyCall): boolean =>
      call.spec.priority === true
        ? other.spec.priority !== true || other.order > call.order
        : other.spec.priority !== true && other.order > call.order;
    const at = this.queue.findIndex(before);
    if (at < 0) this.queue.push(call);
    else this.queue.splice(at, 0, call);
  }

  private pump(): void {
    const conn = this.conn;
    if (conn === null || !conn.isOpen || this.pumping) return;
    this.pumping = true;
    try {
      this.pumpOn(conn);
    } finally {
      this.pumping = false;
    }
  }

  private pumpOn(conn: Connection): void {
    // Exactly-once holds only within the server's window of a client's newest seqs: a request
    // still pending with an old seq (a retry waiting out a rate limit, say) must not be pushed out
    // of it by newer ones, or its retry is refused as stale. New seqs wait until it is answered.
    let oldestSeq = this.oldestPendingSeq();
    while (this.queue.length > 0) {
      const call = this.queue[0]!;
      if (call.spec.pinned !== undefined && call.spec.pinned !== conn) {
        this.queue.shift();
        this.settle(call, new BatonError('UNAVAILABLE', 'the connection this request belongs to is gone'));
        continue;
      }
      const slots =
        LIMITS.maxInflightRequestsPerConnection - (call.spec.priority === true ? 0 : PRIORITY_RESERVED_SLOTS);
      if (conn.inflight >= slots) return;
      const newSeq = call.spec.seq === 'perAttempt' || (call.spec.seq === 'stable' && call.seq === null);
      if (newSeq && oldestSeq !== null && this.lastSeq + 1 - oldestSeq >= DEDUP_WINDOW_SEQS) return;
      this.queue.shift();
      this.send(conn, call);
      if (call.spec.seq === 'stable' && oldestSeq === null) oldestSeq = call.seq;
    }
  }

  /** The lowest seq of a call that keeps its seq across attempts and is not answered yet. */
  private oldestPendingSeq(): number | null {
    let oldest: number | null = null;
    for (const c of this.live) {
      if (c.spec.seq === 'stable' && c.seq !== null && (oldest === null || c.seq < oldest)) oldest = c.seq;
    }
    return oldest;
  }

  private send(conn: Connection, call: AnyCall): void {
    const { spec } = call;
    if (spec.seq === 'perAttempt' || (spec.seq === 'stable' && call.seq === null)) call.seq = ++this.lastSeq;
    const requestId = conn.nextRequestId();
    const attempt: Attempt = { requestId, conn, sentAtMs: this.options.clock.now() };
    call.state = 'inflight';
    call.everSent = true;
    call.attempt = attempt;
    if (spec.attemptTimeoutMs !== undefined) {
      const timeoutMs = spec.attemptTimeoutMs;
      call.attemptTimer = setTimeout(() => {
        call.attemptTimer = null;
        if (call.attempt !== attempt || call.state !== 'inflight') return;
        // the node took the request and went quiet (paused, partitioned): try another
        this.failures += 1;
        conn.shutdown(new BatonError('UNAVAILABLE', `${conn.url}: no answer to ${spec.type} within ${timeoutMs} ms`));
      }, timeoutMs);
    }
    conn.send(
      requestId,
      frameFor(spec.type, spec.build(), requestId, spec.seq === 'none' ? null : call.seq),
      (answer) => this.onAnswer(call, attempt, answer),
    );
    spec.onSent?.(attempt);
  }

  private onAnswer(call: AnyCall, attempt: Attempt, answer: ClientResponse | null): void {
    this.handleAnswer(call, attempt, answer);
    // an answer frees an in-flight slot (also one of an abandoned call): the queue moves on
    if (answer !== null) this.pump();
  }

  private handleAnswer(call: AnyCall, attempt: Attempt, answer: ClientResponse | null): void {
    if (call.attempt !== attempt || call.state !== 'inflight') return;
    call.attempt = null;
    clearTimer(call.attemptTimer);
    call.attemptTimer = null;
    const { spec } = call;
    if (answer === null) {
      if (spec.pinned !== undefined) {
        this.settle(call, new BatonError('UNAVAILABLE', 'the connection closed before the answer'));
      } else {
        // same seq on the next connection: the server applies it at most once
        this.enqueue(call);
      }
      return;
    }
    if (answer.ok) {
      const result = parseResult(spec.type, answer.result);
      if (!result.ok) {
        this.settle(call, BatonError.fromBody(result.error));
        return;
      }
      attempt.conn.unavailableStreak = 0;
      if (LEADER_ONLY.has(spec.type)) this.failures = 0;
      this.settle(call, null, result.result);
      return;
    }
    const error = BatonError.fromBody(answer.error);
    if (error.code === 'NOT_LEADER' || error.code === 'UNAVAILABLE') {
      this.lastError = error;
      if (spec.pinned !== undefined) {
        this.settle(call, error);
        return;
      }
      if (error.code === 'NOT_LEADER') {
        const hint = normalizeHint(error.leaderHint);
        if (hint === undefined || !this.isSuspect(hint)) {
          this.followLeader(attempt.conn, error.leaderHint);
          this.enqueue(call);
          return;
        }
        // it names a leader that just went away: stay, and ask again until it knows the new one
        this.retryLater(call, { capMs: ELECTION_RETRY_MAX_MS });
        return;
      }
      // the leader itself, not ready yet (a new leader before its lease): stay, it is the one to wait for
      if (normalizeHint(error.leaderHint) === attempt.conn.url) {
        this.retryLater(call, { capMs: ELECTION_RETRY_MAX_MS });
        return;
      }
      attempt.conn.unavailableStreak += 1;
      if (attempt.conn.unavailableStreak >= UNAVAILABLE_BEFORE_ROTATE) {
        // this node has known no leader (or no lease) for a while: maybe it is the one cut off
        // (not a suspect: it may well be the next leader)
        this.failures += 1;
        this.movedAway.add(attempt.conn);
        attempt.conn.shutdown(
          new BatonError('UNAVAILABLE', `${attempt.conn.url}: unavailable ${UNAVAILABLE_BEFORE_ROTATE} times in a row`),
        );
      }
      this.retryLater(call, { capMs: ELECTION_RETRY_MAX_MS });
      return;
    }
    if (error.code === 'RESOURCE_EXHAUSTED' && error.retryAfterMs !== undefined && spec.pinned === undefined) {
      // a server rate limit: the request was refused before it was handled, so sending it again
      // (same seq) once the hint has passed is safe; the call's deadline still bounds the wait
      this.lastError = error;
      this.retryLater(call, { exactMs: rateLimitRetryDelayMs(error.retryAfterMs, this.options.random) });
      return;
    }
    this.settle(call, error);
  }

  /** `capMs` shortens the early retries of a leader change; `exactMs` replaces the backoff. */
  private retryLater(call: AnyCall, delay: { capMs?: number; exactMs?: number } = {}): void {
    call.state = 'delayed';
    const stepMs = backoffDelayMs(this.options.reconnectBackoff, call.retries, this.options.random);
    const cappedMs = call.retries < ELECTION_RETRIES ? Math.min(delay.capMs ?? stepMs, stepMs) : stepMs;
    const delayMs = delay.exactMs ?? cappedMs;
    call.retryOnConnect = delay.exactMs === undefined;
    call.retries += 1;
    call.retryTimer = setTimeout(() => {
      call.retryTimer = null;
      if (call.state !== 'delayed') return;
      this.enqueue(call);
      this.pump();
    }, delayMs);
  }

  private followLeader(from: Connection, hint: string | undefined): void {
    if (this.conn !== from) return;
    const url = normalizeHint(hint);
    this.failures += 1;
    if (url !== undefined && url !== from.url) this.preferredUrl = url;
    from.shutdown(
      new BatonError('NOT_LEADER', `${from.url} is not the leader; following ${url ?? 'the next endpoint'}`),
    );
  }

  private drop(call: AnyCall): boolean {
    if (call.everSent || call.state === 'done') return false;
    this.settle(call, new BatonError('CANCELLED', 'dropped before it was sent'));
    return true;
  }

  private armDeadline(call: AnyCall, deadlineMs: number): void {
    if (call.state === 'done') return;
    clearTimer(call.deadlineTimer);
    call.deadlineTimer = setTimeout(
      () => {
        call.deadlineTimer = null;
        const cause = this.lastError;
        this.settle(
          call,
          new BatonError(
            'UNAVAILABLE',
            `${call.spec.type}: no answer within ${this.options.requestTimeoutMs} ms` +
              (cause === null ? '' : ` (last: ${cause.message})`),
            { cause },
          ),
        );
      },
      Math.max(0, deadlineMs - this.options.clock.now()),
    );
  }

  /** Ends a call once: with an error, or with its result. */
  private settle(call: AnyCall, error: BatonError | null, result?: unknown): void {
    if (call.state === 'done') return;
    const wasQueued = call.state === 'queued';
    call.state = 'done';
    call.attempt = null;
    clearTimer(call.deadlineTimer);
    clearTimer(call.retryTimer);
    clearTimer(call.attemptTimer);
    call.deadlineTimer = call.retryTimer = call.attemptTimer = null;
    if (wasQueued) {
      const at = this.queue.indexOf(call);
      if (at >= 0) this.queue.splice(at, 1);
    }
    this.live.delete(call);
    if (error !== null) call.reject(error);
    else call.resolve(result as never);
    // it may have held new seqs back (pumpOn); an answer pumps anyway, a deadline does not
    if (call.spec.seq === 'stable' && this.queue.length > 0) this.pump();
  }

  // ------------------------------------------------------------------ connecting

  private ensureLoop(): void {
    if (this.loop !== null || this.closed || this.conn !== null) return;
    this.loop = this.connectLoop().finally(() => {
      this.loop = null;
    });
  }

  /**
   * Endpoints in turn, a leader hint first when one is known. The first round is immediate; once
   * every endpoint failed, each attempt waits a jittered, doubling, capped delay.
   */
  private async connectLoop(): Promise<void> {
    const endpoints = this.options.endpoints;
    let hintHops = 0;
    while (!this.closed) {
      let url: string;
      if (this.preferredUrl !== null && !this.isSuspect(this.preferredUrl)) {
        url = this.preferredUrl;
        this.preferredUrl = null;
      } else {
        this.preferredUrl = null;
        url = this.nextEndpoint();
      }
      if (this.failures >= endpoints.length) {
        await this.sleep(
          backoffDelayMs(this.options.reconnectBackoff, this.failures - endpoints.length, this.options.random),
        );
        if (this.closed) return;
      }
      let conn: Connection;
      try {
        conn = await Connection.open(url, this.options, {
          onEvent: (event, from) => this.dispatchEvent(event, from),
          onClose: (closedConn, reason) => this.onConnectionClosed(closedConn, reason),
        });
      } catch (err) {
        const error = err instanceof BatonError ? err : new BatonError('UNAVAILABLE', String(err), { cause: err });
        this.lastError = error;
        this.failures += 1;
        this.suspect(url);
        if (!this.everConnected && FATAL_HELLO_CODES.has(error.code)) this.rejectFirst(error);
        continue;
      }
      if (this.closed) {
        conn.shutdown(new BatonError('CLOSED', 'the client is closed'), true);
        return;
      }
      const hint = normalizeHint(conn.hello.leaderHint);
      if (hint !== undefined && hint !== url && hintHops < MAX_HINT_HOPS && !this.isSuspect(hint)) {
        hintHops += 1;
        this.preferredUrl = hint;
        conn.shutdown(new BatonError('NOT_LEADER', `${url} is not the leader; following ${hint}`), true);
        continue;
      }
      // a node that names itself leader: the backoff starts over
      if (hint === url) this.failures = 0;
      this.adopt(conn);
      return;
    }
  }

  private adopt(conn: Connection): void {
    this.conn = conn;
    this.everConnected = true;
    this.resolveFirst();
    // Calls waiting out a retry because the last node knew no live leader go now: this is a new
    // node, most often the new leader that another call's hint led to (issue 8: each call
    // otherwise waited its own timer, up to ELECTION_RETRY_MAX_MS, after the reconnect).
    for (const call of this.live) {
      if (call.state !== 'delayed' || !call.retryOnConnect) continue;
      clearTimer(call.retryTimer);
      call.retryTimer = null;
      this.enqueue(call);
    }
    for (const fn of [...this.connectedListeners]) fn(conn);
    this.pump();
  }

  private onConnectionClosed(conn: Connection, reason: BatonError): void {
    if (this.conn !== conn) return;
    this.conn = null;
    // closed by the far end or the network (not by a redirect or a stuck-node check): a node that
    // just died keeps being named by its followers for a while
    if (reason.code === 'UNAVAILABLE' && !this.movedAway.has(conn)) this.suspect(conn.url);
    this.lastError = reason;
    this.ensureLoop();
  }

  private suspect(url: string): void {
    this.suspects.set(url, this.options.clock.now() + SUSPECT_MS);
  }

  private isSuspect(url: string): boolean {
    const until = this.suspects.get(url);
    if (until === undefined) return false;
    if (until > this.options.clock.now()) return true;
    this.suspects.delete(url);
    return false;
  }

  /** The next endpoint in turn, passing over suspect ones unless every one is. */
  private nextEndpoint(): string {
    const endpoints = this.options.endpoints;
    for (let i = 0; i < endpoints.length; i++) {
      const url = endpoints[this.cursor % endpoints.length]!;
      this.cursor = (this.cursor + 1) % endpoints.length;
      if (!this.isSuspect(url)) return url;
    }
    const url = endpoints[this.cursor % endpoints.length]!;
    this.cursor = (this.cursor + 1) % endpoints.length;
    return url;
  }

  private dispatchEvent(event: ClientEvent, from: Connection): void {
    // events of a connection being replaced are late news; the new one resynchronizes
    if (from !== this.conn) return;
    for (const fn of [...this.eventListeners]) fn(event);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeSleeper = () => {
        clearTimer(this.sleepTimer);
        this.sleepTimer = null;
        this.wakeSleeper = null;
        resolve();
      };
      this.sleepTimer = setTimeout(() => this.wakeSleeper?.(), ms);
    });
  }
}

function frameObject(type: RequestType, body: object, id: string, seq: number | null): Record<string, unknown> {
  const frame: Record<string, unknown> = { ...body, v: PROTOCOL_VERSION, id, type };
  if (seq !== null) frame.seq = seq;
  return frame;
}

function frameFor(type: RequestType, body: object, id: string, seq: number | null): string {
  return JSON.stringify(frameObject(type, body, id, seq));
}

function clearTimer(timer: ReturnType<typeof setTimeout> | null): void {
  if (timer !== null) clearTimeout(timer);
}
