/**
 * The client API (DESIGN §5): a WebSocket endpoint at `/v1/client`. Writes go through the Raft
 * log and are answered once applied; followers answer them NOT_LEADER with the leader's client
 * URL. Reads (describe, fenceCheck, election leader/observe) are linearizable through ReadIndex
 * and may be served by any node. Keepalives are answered by the leader from memory while its
 * lease holds. Grants, losses and election changes are pushed on the connection that owns the
 * session (or observes the election) as this node applies them.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  type AdminRequest,
  type ClientRequest,
  type ClientRequestOf,
  type ClientResult,
  type ErrorCode,
  event,
  LIMITS,
  PROTOCOL_VERSION,
} from '@baton/proto-schemas';
import { WebSocketServer } from 'ws';
import type { Actor, Command, CommandResult, Describe, FsmEvent } from '../fsm/index.js';
import { DEFAULT_CLIENT_LIMITS } from '../limits/client-limits.js';
import type { Clock } from '../node/clock.js';
import type { Coordinator } from '../node/coordinator.js';
import type { Logger } from '../node/logger.js';
import type { Member } from '../node/members.js';
import { NodeError } from '../node/raft-node.js';
import { NONE } from '../raft/types.js';
import { ClientConnection, type ConnectionHost } from './connection.js';
import { ApiError } from './errors.js';
import { ClientGate } from './gate.js';
import type { ApiObserver } from './observer.js';
import { actorOf, checkSessionOwner } from './session-binding.js';
import { PendingWait, type WaitOutcome, WaitRegistry } from './waits.js';

export interface ClientApiOptions {
  readonly coordinator: Coordinator;
  /** The current members (they change with `admin.members.*`). */
  readonly members: () => readonly Member[];
  /** Answers the `admin.*` requests (admin/admin-api.ts). */
  readonly admin: { handle(r: AdminRequest): Promise<ClientResult> };
  readonly self: Member;
  readonly serverVersion: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** A write not applied within this time is answered UNAVAILABLE (outcome unknown: retry, same seq). */
  readonly writeTimeoutMs?: number;
  /**
   * A write that reaches this node while it knows no leader (an election round is running) waits
   * up to this long for one, then is handled here (this node won) or answered NOT_LEADER with the
   * new leader: the client learns the outcome at once instead of polling for it. Default
   * DEFAULT_LEADER_WAIT_MS; 0 answers UNAVAILABLE at once.
   */
  readonly leaderWaitMs?: number;
  /** Authentication, permissions and per-client limits; default: auth off, default limits. */
  readonly gate?: ClientGate;
  /** Told about rejected requests and granted waits (the node's metrics). */
  readonly observer?: ApiObserver;
}

const DEFAULT_WRITE_TIMEOUT_MS = 10_000;
/**
 * About one election round (pre-vote, vote, the no-op's fsyncs) on a loaded machine. Kept short:
 * a node cut off from the others knows no leader for long, and each write held there delays the
 * client's move elsewhere (it leaves after a few UNAVAILABLE answers in a row).
 */
export const DEFAULT_LEADER_WAIT_MS = 100;

export class ClientApi implements ConnectionHost {
  readonly logger: Logger;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<ClientConnection>();
  /** Which local connection receives a session's events. */
  private readonly owners = new Map<number, ClientConnection>();
  private readonly waits = new WaitRegistry();
  /** The server's own exactly-once identity, for cancels it proposes on a client's behalf. */
  private readonly serverClientId: string;
  private serverSeq = 0;
  private readonly writeTimeoutMs: number;
  private readonly gate: ClientGate;
  /** Writes held until a leader is known (leaderWaitMs): woken on every leader change. */
  private readonly leaderWaiters = new Set<() => void>();

  constructor(private readonly opts: ClientApiOptions) {
    this.logger = opts.logger;
    this.gate =
      opts.gate ??
      new ClientGate({ tokens: null, limits: DEFAULT_CLIENT_LIMITS, clock: opts.clock, logger: opts.logger });
    this.writeTimeoutMs = opts.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
    this.serverClientId = `~node:${opts.self.name}:${randomBytes(6).toString('hex')}`;
    // ws closes a connection whose frame exceeds maxPayload with 1009 (message too big)
    this.wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.maxClientFrameBytes, clientTracking: false });
    opts.coordinator.onEvent((e) => this.route(e));
    opts.coordinator.onLeaderChange(() => {
      for (const wake of [...this.leaderWaiters]) wake();
    });
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!this.gate.admitSocket(req.socket.remoteAddress ?? '?', socket)) {
      socket.end('HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new ClientConnection(ws, this, `${req.socket.remoteAddress}:${req.socket.remotePort}`);
      this.connections.add(conn);
      this.gate.opened(conn);
    });
  }

  admitFrame(conn: ClientConnection): { message: string; retryAfterMs: number } | null {
    return this.gate.admitFrame(conn);
  }

  /** Open client connections on this node. */
  get connectionCount(): number {
    return this.connections.size;
  }

  rejected(code: ErrorCode): void {
    this.opts.observer?.rejected(code);
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.close(1001, 'server shutting down');
    this.connections.clear();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }

  closed(conn: ClientConnection): void {
    this.connections.delete(conn);
    this.gate.closed(conn);
    for (const id of conn.sessions) if (this.owners.get(id) === conn) this.owners.delete(id);
    for (const w of conn.waits.values()) {
      this.waits.remove(w);
      if (w.timer !== null) clearTimeout(w.timer);
    }
    // waits of a vanished client stay queued until its session expires or it resumes elsewhere:
    // cancelling them here would race a reconnect that resumes the same session
  }

  handle(conn: ClientConnection, r: ClientRequest): Promise<unknown> {
    try {
      this.gate.authorize(conn, r);
      checkSessionOwner(this.gate.identity(conn), r, (id) => this.opts.coordinator.fsm.sessionOwner(id));
    } catch (err) {
      return Promise.reject(err);
    }
    switch (r.type) {
      case 'hello':
        return this.hello(conn, r);
      case 'session.open':
        return this.sessionOpen(conn, r);
      case 'session.keepalive':
        return this.keepalive(conn, r);
      case 'session.close':
        return this.write(conn, r.seq, { op: 'closeSession', sessionId: Number(r.sessionId) }).then(() => {
          this.disown(Number(r.sessionId));
          return {};
        });
      case 'lock.acquire':
        return this.acquire(conn, r);
      case 'lock.cancel':
        return this.cancel(conn, r.requestId);
      case 'lock.release':
        return this.write(conn, r.seq, {
          op: 'release',
          sessionId: Number(r.sessionId),
          name: r.name,
          token: r.token,
        }).then(() => ({}));
      case 'lock.describe':
        return this.read((fsm) => {
          const nowMs = this.opts.clock.wallMs();
          return describeResult(fsm.describe(r.name, nowMs), nowMs);
        });
      case 'lock.fenceCheck':
        return this.read((fsm) => fsm.fenceCheck(r.name, r.token));
      case 'election.campaign':
        return this.campaign(conn, r);
      case 'election.proclaim':
        return this.write(conn, r.seq, {
          op: 'proclaim',
          sessionId: Number(r.sessionId),
          name: r.name,
          term: r.term,
          value: r.value,
        }).then(() => ({}));
      case 'election.resign':
        return this.write(conn, r.seq, {
          op: 'resign',
          sessionId: Number(r.sessionId),
          name: r.name,
          term: r.term,
        }).then(() => ({}));
      case 'election.leader':
        return this.read((fsm) => ({ leader: leaderOut(fsm.electionLeader(r.name)) }));
      case 'election.observe':
        if (!conn.observes.has(r.name) && conn.observes.size >= LIMITS.maxObservesPerConnection) {
          return Promise.reject(
            new ApiError('RESOURCE_EXHAUSTED', `at most ${LIMITS.maxObservesPerConnection} observes per connection`),
          );
        }
        // registered inside the read, on the state it answers from: no change is missed or doubled
        return this.read((fsm) => {
          conn.observes.add(r.name);
          return { leader: leaderOut(fsm.electionLeader(r.name)) };
        });
      case 'election.unobserve':
        conn.observes.delete(r.name);
        return Promise.resolve({});
      case 'status':
        return Promise.resolve(this.status());
      default:
        return this.opts.admin.handle(r);
    }
  }

  // ------------------------------------------------------------------ requests

  private async hello(conn: ClientConnection, r: ClientRequestOf<'hello'>): Promise<ClientResult> {
    const offered = r.protocolVersions ?? [PROTOCOL_VERSION];
    if (!offered.includes(PROTOCOL_VERSION)) {
      throw new ApiError('UNSUPPORTED_VERSION', `this server speaks protocol ${PROTOCOL_VERSION}`);
    }
    if (conn.clientId !== null && conn.clientId !== r.clientId) {
      throw new ApiError('INVALID_ARGUMENT', 'clientId cannot change on a connection', { field: 'clientId' });
    }
    this.gate.authenticate(conn, r.token);
    conn.clientId = r.clientId;
    const leader = this.leaderMember();
    return {
      protocolVersion: PROTOCOL_VERSION,
      nodeId: this.opts.self.name,
      serverVersion: this.opts.serverVersion,
      ...(leader === undefined ? {} : { leaderHint: leader.clientUrl }),
    } as ClientResult;
  }

  private async sessionOpen(conn: ClientConnection, r: ClientRequestOf<'session.open'>): Promise<ClientResult> {
    if (conn.sessions.size >= LIMITS.maxSessionsPerConnection) {
      throw new ApiError('RESOURCE_EXHAUSTED', `at most ${LIMITS.maxSessionsPerConnection} sessions per connection`);
    }
    this.gate.checkSessionQuota(conn);
    const cmd: Command =
      r.label === undefined
        ? { op: 'openSession', ttlMs: r.ttlMs }
        : { op: 'openSession', ttlMs: r.ttlMs, label: r.label };
    const value = (await this.write(conn, r.seq, cmd)) as { sessionId: number; ttlMs: number };
    this.own(conn, value.sessionId);
    return { sessionId: String(value.sessionId), ttlMs: value.ttlMs } as ClientResult;
  }

  private async keepalive(conn: ClientConnection, r: ClientRequestOf<'session.keepalive'>): Promise<ClientResult> {
    const id = Number(r.sessionId);
    const answer = this.opts.coordinator.leases.keepalive(id);
    if (!answer.ok) {
      if (answer.code === 'NOT_LEADER') throw this.notLeader();
      if (answer.code === 'UNAVAILABLE') throw this.unavailable(answer.message);
      throw new ApiError(answer.code, answer.message);
    }
    // a keepalive on a new connection (after a reconnect) moves the session's events here
    this.own(conn, id);
    return { ttlMs: answer.ttlMs, remainingMs: answer.remainingMs } as ClientResult;
  }

  private async acquire(conn: ClientConnection, r: ClientRequestOf<'lock.acquire'>): Promise<ClientResult> {
    const arrivedMs = this.opts.clock.monotonicMs();
    const sessionId = Number(r.sessionId);
    const wait = r.wait ? this.startWait(conn, r.id, sessionId, r.name, false) : null;
    try {
      const cmd: Command = {
        op: 'acquire',
        sessionId,
        name: r.name,
        limit: r.limit,
        wait: r.wait,
        lockDelayMs: r.lockDelayMs ?? 0,
        ...(r.metadata === undefined ? {} : { metadata: r.metadata }),
      };
      const value = (await this.write(conn, r.seq, cmd)) as
        | { acquired: true; token: number; generation: number }
        | { acquired: false; waiting: boolean };
      if (value.acquired) {
        this.finishWait(conn, wait);
        return { acquired: true, token: value.token, generation: value.generation } as ClientResult;
      }
      if (wait === null || !value.waiting) {
        this.finishWait(conn, wait);
        return { acquired: false } as ClientResult;
      }
      const grant = await this.awaitGrant(conn, wait, r.timeoutMs);
      this.opts.observer?.waitGranted(this.opts.clock.monotonicMs() - arrivedMs, false);
      return { acquired: true, token: grant.token, generation: grant.generation } as ClientResult;
    } catch (err) {
      this.finishWait(conn, wait);
      throw err;
    }
  }

  private async campaign(conn: ClientConnection, r: ClientRequestOf<'election.campaign'>): Promise<ClientResult> {
    const arrivedMs = this.opts.clock.monotonicMs();
    const sessionId = Number(r.sessionId);
    const wait = this.startWait(conn, r.id, sessionId, r.name, true);
    try {
      const value = (await this.write(conn, r.seq, {
        op: 'campaign',
        sessionId,
        name: r.name,
        value: r.value,
      })) as { elected: true; term: number } | { elected: false; waiting: true };
      if (value.elected) {
        this.finishWait(conn, wait);
        return { term: value.term } as ClientResult;
      }
      const grant = await this.awaitGrant(conn, wait, r.timeoutMs);
      this.opts.observer?.waitGranted(this.opts.clock.monotonicMs() - arrivedMs, true);
      return { term: grant.token } as ClientResult;
    } catch (err) {
      this.finishWait(conn, wait);
      throw err;
    }
  }

  private startWait(conn: ClientConnection, requestId: string, sessionId: number, name: string, election: boolean) {
    this.gate.checkWaitQuota(conn);
    const w = new PendingWait(requestId, sessionId, name, election, conn);
    conn.waits.set(requestId, w);
    this.waits.add(w);
    return w;
  }

  private finishWait(conn: ClientConnection, w: PendingWait | null): void {
    if (w === null) return;
    if (w.timer !== null) clearTimeout(w.timer);
    conn.waits.delete(w.requestId);
    this.waits.remove(w);
  }

  /**
   * Waits for the grant; on timeout proposes cancelWait and answers TIMEOUT. A grant that applies
   * before that cancel does is the answer, even past the timeout: the state machine keeps it (a
   * cancel never revokes a grant), so answering TIMEOUT would leave a hold no client knows of.
   */
  private awaitGrant(
    conn: ClientConnection,
    w: PendingWait,
    timeoutMs: number | undefined,
  ): Promise<{ token: number; generation: number }> {
    return new Promise((resolve, reject) => {
      let timedOut = false;
      w.timer = setTimeout(() => {
        w.timer = null;
        timedOut = true;
        const done = (): void => w.settle({ kind: 'ended', reason: 'cancelled' });
        this.cancelWait(w).then(done, done);
      }, timeoutMs ?? LIMITS.maxWaitMs);
      w.onSettled((o) => {
        this.finishWait(conn, w);
        if (o.kind === 'granted') resolve(o.grant);
        else if (timedOut) reject(new ApiError('TIMEOUT', 'the wait timed out and was cancelled'));
        else if (o.kind === 'ended' && o.reason === 'cancelled')
          reject(new ApiError('CANCELLED', 'the wait was cancelled'));
        else reject(new ApiError('SESSION_EXPIRED', 'the session ended while waiting'));
      });
    });
  }

  private async cancel(conn: ClientConnection, requestId: string): Promise<ClientResult> {
    const w = conn.waits.get(requestId);
    if (w === undefined || w.settled !== null) return { cancelled: false } as ClientResult;
    await this.cancelWait(w);
    // a grant that applied before the cancel answered the wait: not cancelled
    const granted = outcomeOf(w)?.kind === 'granted';
    w.settle({ kind: 'ended', reason: 'cancelled' });
    return { cancelled: !granted } as ClientResult;
  }

  private async cancelWait(w: PendingWait): Promise<void> {
    await this.submitChecked(this.serverClientId, ++this.serverSeq, {
      op: 'cancelWait',
      sessionId: w.sessionId,
      name: w.name,
    });
  }

  // ------------------------------------------------------------------ plumbing

  /** A mutating request: leader only; resolves with the state machine's value. */
  private write(conn: ClientConnection, seq: number, cmd: Command): Promise<unknown> {
    if (conn.clientId === null) throw new ApiError('INVALID_ARGUMENT', 'hello first', { field: 'type' });
    return this.submitChecked(conn.clientId, seq, cmd, actorOf(this.gate.identity(conn)));
  }

  private async submitChecked(clientId: string, seq: number, cmd: Command, actor?: Actor): Promise<unknown> {
    const c = this.opts.coordinator;
    if (!c.node.isLeader && c.leaderId === NONE) await this.leaderKnown();
    if (!c.node.isLeader) throw this.notLeader();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ApiError('UNAVAILABLE', 'not applied in time; outcome unknown: retry with the same seq')),
        this.writeTimeoutMs,
      );
    });
    let result: CommandResult;
    try {
      result = await Promise.race([c.submit(clientId, seq, cmd, actor), timeout]);
    } catch (err) {
      throw this.fromNodeError(err);
    } finally {
      if (timer !== null) clearTimeout(timer);
    }
    if (!result.ok) throw new ApiError(result.code, result.message);
    return result.value;
  }

  /** Resolves once this node knows a leader, or after leaderWaitMs (bounded by the client's own timeouts too). */
  private leaderKnown(): Promise<void> {
    const waitMs = this.opts.leaderWaitMs ?? DEFAULT_LEADER_WAIT_MS;
    if (waitMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.leaderWaiters.delete(check);
        resolve();
      };
      const check = (): void => {
        if (this.opts.coordinator.leaderId !== NONE) done();
      };
      const timer = setTimeout(done, waitMs);
      this.leaderWaiters.add(check);
    });
  }

  private async read<T>(fn: (fsm: Coordinator['fsm']) => T): Promise<T> {
    try {
      return await this.opts.coordinator.read(fn);
    } catch (err) {
      throw this.fromNodeError(err);
    }
  }

  private fromNodeError(err: unknown): unknown {
    if (err instanceof NodeError) {
      if (err.code === 'NOT_LEADER') return this.notLeader();
      return this.unavailable(err.message);
    }
    return err;
  }

  /**
   * UNAVAILABLE from the leader itself (a new leader before its lease or first commit, say) names
   * this node in leaderHint: the client then waits here instead of leaving for a follower, which
   * would only send it back (issue 8: that round trip cost a failover 100+ ms).
   */
  private unavailable(message: string): ApiError {
    const c = this.opts.coordinator;
    const self = c.node.isLeader ? this.leaderMember() : undefined;
    return new ApiError('UNAVAILABLE', message, self === undefined ? {} : { leaderHint: self.clientUrl });
  }

  private notLeader(): ApiError {
    const leader = this.leaderMember();
    if (leader === undefined) return new ApiError('UNAVAILABLE', 'no leader is known right now; retry shortly');
    return new ApiError('NOT_LEADER', `the leader is ${leader.name}`, { leaderHint: leader.clientUrl });
  }

  private leaderMember(): Member | undefined {
    const id = this.opts.coordinator.leaderId;
    return this.opts.members().find((m) => m.id === id);
  }

  private own(conn: ClientConnection, sessionId: number): void {
    const prev = this.owners.get(sessionId);
    if (prev !== undefined && prev !== conn) prev.sessions.delete(sessionId);
    this.owners.set(sessionId, conn);
    conn.sessions.add(sessionId);
  }

  private disown(sessionId: number): void {
    const conn = this.owners.get(sessionId);
    if (conn !== undefined) conn.sessions.delete(sessionId);
    this.owners.delete(sessionId);
  }

  private status(): ClientResult {
    const st = this.opts.coordinator.node.status();
    const leader = this.leaderMember();
    return {
      nodeId: this.opts.self.name,
      role: st.softState.role,
      leaderId: leader?.name ?? null,
      leaderClientUrl: leader?.clientUrl ?? null,
      term: st.hardState.term,
      commitIndex: st.hardState.commit,
      appliedIndex: st.appliedIndex,
      members: this.opts.members().map((m) => ({
        id: m.name,
        clientUrl: m.clientUrl,
        role: st.confState.learners.includes(m.id) ? 'learner' : 'voter',
      })),
    } as ClientResult;
  }

  /** Routes one applied state machine event to the waits and connections on this node. */
  private route(e: FsmEvent): void {
    switch (e.kind) {
      case 'granted': {
        const owner = this.owners.get(e.sessionId);
        const grant = { kind: 'granted', grant: { token: e.token, generation: e.generation } } as const;
        // the waiting request's answer carries the same token: the event would only repeat it
        if (this.waits.settle(e.sessionId, e.name, e.election, grant, owner) || owner === undefined) return;
        owner.push(
          event('granted', {
            sessionId: String(e.sessionId),
            name: e.name,
            token: e.token,
            generation: e.generation,
          }),
        );
        return;
      }
      case 'lost':
        this.owners
          .get(e.sessionId)
          ?.push(event('lost', { sessionId: String(e.sessionId), name: e.name, token: e.token, reason: e.reason }));
        return;
      case 'sessionEnded': {
        this.waits.settleSession(e.sessionId);
        const owner = this.owners.get(e.sessionId);
        if (owner !== undefined && e.reason === 'expired') {
          owner.push(event('sessionExpired', { sessionId: String(e.sessionId) }));
        }
        this.disown(e.sessionId);
        return;
      }
      case 'waitEnded':
        this.waits.settle(e.sessionId, e.name, false, { kind: 'ended', reason: e.reason });
        this.waits.settle(e.sessionId, e.name, true, { kind: 'ended', reason: e.reason });
        return;
      case 'electionChanged': {
        const frame = event('election', { name: e.name, leader: leaderOut(e.leader) });
        for (const c of this.connections) if (c.observes.has(e.name)) c.push(frame);
        return;
      }
    }
  }
}

function leaderOut(l: { sessionId: number; value: string; term: number } | null) {
  return l === null ? null : { sessionId: String(l.sessionId), value: l.value, term: l.term };
}

/** `sinceMs` on the wire is an age (how long ago, by this node's clock), not a timestamp. */
function describeResult(d: Describe, nowMs: number): ClientResult {
  const age = (atMs: number): number => Math.max(0, Math.round(nowMs - atMs));
  return {
    name: d.name,
    kind: d.kind === null ? 'none' : d.kind === 'lock' && d.limit > 1 ? 'semaphore' : d.kind,
    limit: d.limit,
    generation: d.generation,
    holders: d.holders.map((h) => ({
      sessionId: String(h.sessionId),
      token: h.token,
      generation: h.generation,
      sinceMs: age(h.sinceMs),
      ...(h.metadata === null ? {} : { metadata: h.metadata }),
    })),
    waiters: d.waiters.map((w) => ({
      sessionId: String(w.sessionId),
      sinceMs: age(w.sinceMs),
      ...(w.metadata === null ? {} : { metadata: w.metadata }),
    })),
    lockDelayRemainingMs: d.lockDelayRemainingMs,
  } as unknown as ClientResult;
}

/** A wait's outcome read afresh (after an await, where the compiler still narrows the field). */
function outcomeOf(w: PendingWait): WaitOutcome | null {
  return w.settled;
}
