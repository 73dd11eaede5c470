/**
 * Simulated coordination clients and the leader's duties, all drawn from one seeded rng.
 *
 * A client has a clientId, a session, and at most one request in flight. It proposes through a
 * random node, following that node's idea of the leader (as the SDK follows NOT_LEADER hints),
 * and learns its answer when the node it asked applies the entry it proposed; a proposal that
 * was overwritten or whose answer never came is retried after a timeout with the same seq, so
 * exactly-once is exercised across leader changes. Grants, losses and the end of its session
 * reach it as pushed events. What it believes only shapes its next command; the checks live in
 * FsmSimApp.
 *
 * The leader's duties: expire a session now and then (a client whose keepalives stopped), and
 * end each lock-delay once it has passed on the leader's (simulated) clock.
 */
import { fsm } from '@baton/server';
import type { NodeId } from '@baton/server/raft';
import { type Cluster, ELECTION_MS } from './cluster.js';
import type { AppliedEntry, FsmSimApp } from './fsm-app.js';
import type { SimRng } from './rng.js';

/** Locks, a semaphore and two elections: few names, so clients contend. */
const LOCKS: readonly { name: string; limit: number }[] = [
  { name: 'lock-a', limit: 1 },
  { name: 'lock-b', limit: 1 },
  { name: 'pool', limit: 3 },
];
const ELECTIONS = ['primary', 'backup'];
/** A request without an answer after this long is sent again (same seq). */
const REQUEST_TIMEOUT_MS = 3 * ELECTION_MS;
/** The leader expires one random session about this often (per client tick, as a chance). */
const EXPIRE_CHANCE = 0.01;
/** An endLockDelay still pending this long after it was proposed is proposed again. */
const LEADER_RETRY_MS = 1_000;

interface InFlight {
  readonly seq: number;
  readonly cmd: fsm.Command;
  /** Where and at which index it was proposed; null: not accepted anywhere yet. */
  at: { node: NodeId; index: number; term: number; bytes: Uint8Array } | null;
  sentAt: number;
  attempts: number;
}

interface SimClient {
  readonly clientId: string;
  seq: number;
  sessionId: number | null;
  /** name -> token (or term) the client believes it holds. */
  readonly holds: Map<string, number>;
  readonly waits: Set<string>;
  inFlight: InFlight | null;
}

export class FsmClients {
  private readonly clients: SimClient[];
  private readonly bySession = new Map<number, SimClient>();
  /** Lock-delays seen pending on the leader: `${name}#${sinceIndex}` -> when first seen / proposed. */
  private readonly delays = new Map<string, { seenAt: number; proposedAt: number | null }>();
  readonly stats = { requests: 0, answered: 0, retries: 0, lost: 0, expiriesProposed: 0, delayEndsProposed: 0 };

  constructor(
    private readonly c: Cluster,
    private readonly app: FsmSimApp,
    private readonly rng: SimRng,
    count: number,
  ) {
    this.clients = Array.from({ length: count }, (_, i) => ({
      clientId: `client-${i}`,
      seq: 0,
      sessionId: null,
      holds: new Map(),
      waits: new Set(),
      inFlight: null,
    }));
    app.onApplied = (a) => this.heard(a);
  }

  /** One client acts (or retries), and the leader does its duties. */
  tick(): void {
    this.leaderDuties();
    const client = this.rng.pick(this.clients);
    const f = client.inFlight;
    if (f !== null) {
      if (this.c.now - f.sentAt >= REQUEST_TIMEOUT_MS) {
        this.stats.retries++;
        this.send(client, f);
      }
      return;
    }
    const cmd = this.nextCommand(client);
    if (cmd === null) return;
    client.seq++;
    this.stats.requests++;
    this.send(client, { seq: client.seq, cmd, at: null, sentAt: this.c.now, attempts: 0 });
  }

  private nextCommand(cl: SimClient): fsm.Command | null {
    const rng = this.rng;
    const sessionId = cl.sessionId;
    if (sessionId === null)
      return { op: 'openSession', ttlMs: 5_000, ...(rng.chance(0.3) ? { label: cl.clientId } : {}) };
    const roll = rng.float();
    if (roll < 0.35) {
      const l = rng.pick(LOCKS);
      const lockDelayMs = rng.chance(0.25) ? rng.nextInt(100, 2_000) : 0;
      const metadata = rng.chance(0.2) ? { owner: cl.clientId, pid: rng.nextInt(1, 99_999) } : undefined;
      const wait = rng.chance(0.75);
      return {
        op: 'acquire',
        sessionId,
        name: l.name,
        limit: l.limit,
        wait,
        lockDelayMs,
        ...(metadata ? { metadata } : {}),
      };
    }
    if (roll < 0.6) {
      const held = [...cl.holds].filter(([name]) => !ELECTIONS.includes(name));
      const [name, token] = held.length > 0 ? rng.pick(held) : [rng.pick(LOCKS).name, rng.nextInt(1, 1_000)];
      // now and then a stale or wrong token: must answer NOT_HOLDER and free nothing
      return { op: 'release', sessionId, name, token: rng.chance(0.1) ? token - 1 : token };
    }
    if (roll < 0.68) {
      const waits = [...cl.waits];
      const name = waits.length > 0 ? rng.pick(waits) : rng.pick([...LOCKS.map((l) => l.name), ...ELECTIONS]);
      return { op: 'cancelWait', sessionId, name };
    }
    if (roll < 0.8) return { op: 'campaign', sessionId, name: rng.pick(ELECTIONS), value: `${cl.clientId}:${cl.seq}` };
    if (roll < 0.92) {
      const name = rng.pick(ELECTIONS);
      const term = cl.holds.get(name) ?? rng.nextInt(1, 1_000);
      return roll < 0.86
        ? { op: 'proclaim', sessionId, name, term, value: `${cl.clientId}@${this.c.now.toFixed(0)}` }
        : { op: 'resign', sessionId, name, term };
    }
    if (roll < 0.94) return { op: 'closeSession', sessionId };
    return null;
  }

  /** Proposes through a random node, following its leader hint. */
  private send(cl: SimClient, f: InFlight): void {
    f.sentAt = this.c.now;
    f.attempts++;
    const bytes = fsm.encodeEnvelope({ clientId: cl.clientId, seq: f.seq, atMs: Math.round(this.c.now), cmd: f.cmd });
    const target = this.pickTarget();
    if (target === null) {
      f.at = null;
    } else {
      const r = this.c.proposeData(target, bytes);
      f.at = r === null ? null : { node: target, index: r.index, term: r.term, bytes };
    }
    cl.inFlight = f;
  }

  private pickTarget(): NodeId | null {
    const running = this.c.running().filter((n) => !this.c.isPaused(n));
    if (running.length === 0) return null;
    const first = this.rng.pick(running);
    const hint = first.raw?.raft.lead ?? 0;
    const hinted = hint !== 0 ? this.c.nodes.get(hint) : undefined;
    return hinted?.running && !this.c.isPaused(hinted) ? hinted.id : first.id;
  }

  /** An applied entry: the asking client's answer (at the node it asked), and pushed events (once). */
  private heard(a: AppliedEntry): void {
    for (const cl of this.clients) {
      const at = cl.inFlight?.at;
      if (!at || at.index !== a.entry.index || at.node !== a.node) continue;
      if (Buffer.compare(at.bytes, a.entry.data) === 0) this.answered(cl, a.out.result);
      else {
        // another entry took the index: the proposal is lost, ask again
        this.stats.lost++;
        if (cl.inFlight) cl.inFlight.sentAt = -REQUEST_TIMEOUT_MS;
      }
    }
    if (!a.first) return;
    for (const e of a.out.events) {
      if (e.kind === 'electionChanged') continue;
      const cl = this.bySession.get(e.sessionId);
      if (cl === undefined) continue;
      if (e.kind === 'granted') {
        cl.holds.set(e.name, e.token);
        cl.waits.delete(e.name);
      } else if (e.kind === 'lost') cl.holds.delete(e.name);
      else if (e.kind === 'waitEnded') cl.waits.delete(e.name);
      else if (e.kind === 'sessionEnded') this.sessionGone(cl);
    }
  }

  private answered(cl: SimClient, r: fsm.CommandResult): void {
    const f = cl.inFlight;
    if (f === null) return;
    cl.inFlight = null;
    this.stats.answered++;
    const c = f.cmd;
    if (!r.ok) {
      if (r.code === 'SESSION_EXPIRED') this.sessionGone(cl);
      return;
    }
    const v = r.value as unknown as Record<string, unknown>;
    switch (c.op) {
      case 'openSession':
        if (cl.sessionId !== null) this.bySession.delete(cl.sessionId);
        cl.sessionId = v.sessionId as number;
        this.bySession.set(cl.sessionId, cl);
        break;
      case 'acquire':
      case 'campaign':
        if (v.acquired === true || v.elected === true) cl.holds.set(c.name, (v.token ?? v.term) as number);
        else if (v.waiting === true) cl.waits.add(c.name);
        break;
      case 'release':
      case 'resign':
        cl.holds.delete(c.name);
        break;
      case 'cancelWait':
        cl.waits.delete(c.name);
        cl.holds.delete(c.name);
        break;
      case 'closeSession':
        this.sessionGone(cl);
        break;
      default:
        break;
    }
  }

  private sessionGone(cl: SimClient): void {
    if (cl.sessionId !== null) this.bySession.delete(cl.sessionId);
    cl.sessionId = null;
    cl.holds.clear();
    cl.waits.clear();
  }

  /** The current leader expires a session now and then, and ends lock-delays that have passed. */
  private leaderDuties(): void {
    const leader = this.c.leader();
    if (leader === null || this.c.isPaused(leader)) return;
    const m = this.app.machine(leader.id);
    const propose = (cmd: fsm.Command) =>
      this.c.proposeData(leader.id, fsm.encodeEnvelope({ clientId: '', seq: 0, atMs: Math.round(this.c.now), cmd }));
    if (this.rng.chance(EXPIRE_CHANCE)) {
      const sessions = m.sessions();
      if (sessions.length > 0) {
        this.stats.expiriesProposed++;
        propose({ op: 'expireSession', sessionId: this.rng.pick(sessions).id });
      }
    }
    const pending = new Set<string>();
    for (const d of m.pendingLockDelays()) {
      const key = `${d.name}#${d.sinceIndex}`;
      pending.add(key);
      let t = this.delays.get(key);
      if (t === undefined) {
        t = { seenAt: this.c.now, proposedAt: null };
        this.delays.set(key, t);
      }
      if (this.c.now - t.seenAt < d.lockDelayMs) continue;
      if (t.proposedAt !== null && this.c.now - t.proposedAt < LEADER_RETRY_MS) continue;
      t.proposedAt = this.c.now;
      this.stats.delayEndsProposed++;
      propose({ op: 'endLockDelay', name: d.name, sinceIndex: d.sinceIndex });
    }
    for (const key of this.delays.keys()) if (!pending.has(key)) this.delays.delete(key);
  }
}
