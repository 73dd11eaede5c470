/**
 * Turns the frames the wire tap sees into what the SDK does not tell its caller:
 * - release / resign / proclaim / close as history operations with the server's real answer
 *   (the SDK resolves a release answered NOT_HOLDER like a successful one, and closes lost
 *   sessions in the background). One operation per `seq`: retries reuse it, so the first
 *   definite answer to any attempt is the answer; none at all means the outcome is unknown.
 * - each session's expiry bound: the send time of the newest acknowledged keepalive (or of the
 *   open) plus the TTL — the server cannot expire the session before it (DESIGN §4);
 * - the first time the server says a session is gone (SESSION_EXPIRED, sessionExpired, lost).
 */
import type WebSocket from 'ws';
import type { HistoryRecord, SessionReport } from './protocol.js';
import type { Frame, WireListener } from './wire-tap.js';

/** Error answers after which the SDK does not retry and that say the request changed nothing. */
const DEFINITE_ERRORS: ReadonlySet<string> = new Set([
  'NOT_HOLDER',
  'SESSION_EXPIRED',
  'INVALID_ARGUMENT',
  'RESOURCE_EXHAUSTED',
  'PERMISSION_DENIED',
]);

const GROUPED: Readonly<Record<string, string>> = {
  'lock.release': 'release',
  'election.resign': 'resign',
  'election.proclaim': 'proclaim',
  'session.close': 'close',
};

interface SentRequest {
  readonly type: string;
  readonly seq: number | null;
  readonly sessionId: string | null;
  readonly sentMs: number;
}

interface GroupedOp {
  readonly rec: HistoryRecord;
  done: boolean;
}

export interface WireRecorderDeps {
  readonly now: () => number;
  readonly emit: (rec: HistoryRecord) => void;
  readonly nodeOf: (url: string) => string | undefined;
  /** The lane that owns a session (known once `client.session()` resolved). */
  readonly clientOf: (sessionId: string) => string | undefined;
  /** Client id for frames of sessions no lane claimed (should not happen). */
  readonly fallbackClient: string;
}

export class WireRecorder implements WireListener {
  private readonly requests = new WeakMap<WebSocket, Map<string, SentRequest>>();
  private readonly grouped = new Map<number, GroupedOp>();
  private readonly openFirstSentMs = new Map<number, number>();
  readonly sessions = new Map<string, SessionReport>();

  constructor(private readonly deps: WireRecorderDeps) {}

  sent(socket: WebSocket, frame: Frame): void {
    const now = this.deps.now();
    const type = typeof frame.type === 'string' ? frame.type : '';
    const id = typeof frame.id === 'string' ? frame.id : null;
    const seq = typeof frame.seq === 'number' ? frame.seq : null;
    const sessionId = typeof frame.sessionId === 'string' ? frame.sessionId : null;
    if (id === null) return;
    let byId = this.requests.get(socket);
    if (byId === undefined) {
      byId = new Map();
      this.requests.set(socket, byId);
    }
    byId.set(id, { type, seq, sessionId, sentMs: now });
    if (type === 'session.open' && seq !== null && !this.openFirstSentMs.has(seq)) this.openFirstSentMs.set(seq, now);
    const op = GROUPED[type];
    if (op === undefined || seq === null || sessionId === null || this.grouped.has(seq)) return;
    if (type === 'session.close') {
      const s = this.sessions.get(sessionId);
      if (s !== undefined) s.closeSentMs ??= now;
    }
    this.grouped.set(seq, {
      done: false,
      rec: {
        client: this.deps.clientOf(sessionId) ?? this.deps.fallbackClient,
        invokeMs: now,
        returnMs: null,
        op,
        ...(type === 'session.close' ? {} : { name: String(frame.name) }),
        args: argsOf(type, sessionId, frame),
        result: null,
      },
    });
  }

  received(socket: WebSocket, frame: Frame): void {
    const now = this.deps.now();
    if (frame.type === 'event') {
      this.onEvent(frame, now);
      return;
    }
    if (frame.type !== 'response' || typeof frame.id !== 'string') return;
    const byId = this.requests.get(socket);
    const req = byId?.get(frame.id);
    if (req === undefined) return;
    byId?.delete(frame.id);
    const node = this.deps.nodeOf(socket.url);
    if (frame.ok === true) {
      const result = (frame.result ?? {}) as Frame;
      this.onOk(req, result, now);
      this.complete(req, req.type === 'lock.release' ? { released: true } : {}, node, now);
      return;
    }
    const error = (frame.error ?? {}) as Frame;
    const code = typeof error.code === 'string' ? error.code : 'INTERNAL';
    if (code === 'SESSION_EXPIRED' && req.sessionId !== null) this.serverExpired(req.sessionId, now, 'answer');
    if (DEFINITE_ERRORS.has(code)) this.complete(req, { error: { code } }, node, now);
  }

  /** The SDK stopped trusting a session (its signal aborted). */
  sessionEnded(sessionId: string, reason: string, atMs: number): void {
    const s = this.sessions.get(sessionId);
    if (s === undefined || s.endedMs !== null) return;
    s.endedMs = atMs;
    s.endReason = reason;
  }

  /**
   * Emits what is still open: operations without a definite answer (unknown outcome), and for
   * each session that ended without an acknowledged close, the `expire` operation the lock model
   * needs — from its expiry bound to the moment the server confirmed it (or ∞).
   */
  flush(): SessionReport[] {
    for (const g of this.grouped.values()) {
      if (!g.done) this.deps.emit(g.rec);
      g.done = true;
    }
    const reports: SessionReport[] = [];
    for (const s of this.sessions.values()) {
      s.client = this.deps.clientOf(s.session) ?? s.client;
      reports.push({ ...s });
      if (s.closedOk || (s.endedMs === null && s.serverExpiredMs === null)) continue;
      const confirmed = s.serverExpiredMs;
      this.deps.emit({
        client: s.client,
        invokeMs: confirmed === null ? s.expiryBoundMs : Math.min(s.expiryBoundMs, confirmed),
        returnMs: confirmed,
        op: 'expire',
        args: { session: s.session },
        result: confirmed === null ? null : {},
      });
    }
    return reports;
  }

  private onOk(req: SentRequest, result: Frame, now: number): void {
    if (req.type === 'session.open' && typeof result.sessionId === 'string' && typeof result.ttlMs === 'number') {
      const firstSent = (req.seq === null ? undefined : this.openFirstSentMs.get(req.seq)) ?? req.sentMs;
      if (this.sessions.has(result.sessionId)) return;
      this.sessions.set(result.sessionId, {
        client: this.deps.fallbackClient,
        session: result.sessionId,
        ttlMs: result.ttlMs,
        openedMs: now,
        expiryBoundMs: firstSent + result.ttlMs,
        expiryBoundAtServerExpiryMs: null,
        endedMs: null,
        endReason: null,
        closeSentMs: null,
        closedOk: false,
        serverExpiredMs: null,
        expiryEvidence: null,
      });
      return;
    }
    if (req.type === 'session.keepalive' && req.sessionId !== null) {
      const s = this.sessions.get(req.sessionId);
      if (s === undefined) return;
      const remaining = typeof result.remainingMs === 'number' ? result.remainingMs : s.ttlMs;
      s.expiryBoundMs = Math.max(s.expiryBoundMs, req.sentMs + Math.min(s.ttlMs, remaining));
      return;
    }
    if (req.type === 'session.close' && req.sessionId !== null) {
      const s = this.sessions.get(req.sessionId);
      if (s !== undefined) s.closedOk = true;
    }
  }

  private complete(req: SentRequest, result: Record<string, unknown>, node: string | undefined, now: number): void {
    if (req.seq === null || GROUPED[req.type] === undefined) return;
    const g = this.grouped.get(req.seq);
    if (g === undefined || g.done) return;
    g.done = true;
    this.deps.emit({ ...g.rec, returnMs: now, ...(node === undefined ? {} : { node }), result });
  }

  private onEvent(frame: Frame, now: number): void {
    const sessionId = typeof frame.sessionId === 'string' ? frame.sessionId : null;
    if (sessionId === null) return;
    if (frame.event === 'sessionExpired' || (frame.event === 'lost' && frame.reason === 'expired')) {
      this.serverExpired(sessionId, now, 'event');
    }
  }

  private serverExpired(sessionId: string, now: number, evidence: 'event' | 'answer'): void {
    const s = this.sessions.get(sessionId);
    if (s === undefined || s.serverExpiredMs !== null) return;
    s.serverExpiredMs = now;
    s.expiryEvidence = evidence;
    s.expiryBoundAtServerExpiryMs = s.expiryBoundMs;
  }
}

function argsOf(type: string, session: string, frame: Frame): Record<string, unknown> {
  switch (type) {
    case 'lock.release':
      return { session, token: frame.token };
    case 'election.resign':
      return { session, term: frame.term };
    case 'election.proclaim':
      return { session, term: frame.term, value: frame.value };
    default:
      return { session };
  }
}
