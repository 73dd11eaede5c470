/**
 * The leader's in-memory session deadlines (DESIGN §4, "Sessions"). Keepalives are not log
 * entries: the leader answers them from memory, and only while its Raft lease is valid — so no
 * other leader can exist while a keepalive is acknowledged, and a later leader's fresh TTL starts
 * after every keepalive this one acknowledged. When a deadline passes, the leader proposes
 * `expireSession`; a new leader first gives every session a full TTL from its own election.
 *
 * Lock-delay timers live here too: after an expiry with lockDelayMs, the leader proposes
 * `endLockDelay(name)` once the delay passed on its monotonic clock. A new leader restarts every
 * pending delay in full (waiting longer is always safe; shorter never is).
 */
import type { Command } from '../fsm/index.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';

export interface LeaseHost {
  readonly clock: Clock;
  readonly logger: Logger;
  isLeader(): boolean;
  leaseRemainingMs(): number;
  /** Proposes a leader command; the promise settles when it is applied or refused. */
  proposeLeaderCommand(cmd: Command): Promise<unknown>;
  sessions(): readonly { readonly id: number; readonly ttlMs: number }[];
  hasSession(id: number): boolean;
  pendingLockDelays(): readonly PendingLockDelay[];
}

/** One held-back slot: the expiry at `sinceIndex` blocks a grant of `name` until its end is applied. */
export interface PendingLockDelay {
  readonly name: string;
  readonly lockDelayMs: number;
  readonly sinceIndex: number;
}

export type KeepaliveAnswer =
  | { readonly ok: true; readonly ttlMs: number; readonly remainingMs: number }
  | { readonly ok: false; readonly code: 'NOT_LEADER' | 'UNAVAILABLE' | 'SESSION_EXPIRED'; readonly message: string };

interface Deadline {
  deadlineMs: number;
  readonly ttlMs: number;
  /** When an expire proposal for it was last sent (null: never). */
  expireProposedAtMs: number | null;
}

interface Delay {
  readonly name: string;
  readonly sinceIndex: number;
  readonly dueMs: number;
  proposedAtMs: number | null;
}

/** How long to wait for a leader command to apply before proposing it again (it is idempotent). */
export const LEADER_COMMAND_RETRY_MS = 2_000;

export class SessionLeases {
  private readonly deadlines = new Map<number, Deadline>();
  private readonly delays = new Map<string, Delay>();
  private leading = false;
  /**
   * No deadline passes before this (monotonic ms): tick() skips the scan until then. Deadlines
   * only move later (keepalives) or go away, so the earliest one found by the last scan stays a
   * lower bound; a new session lowers it. Scanning 10,000 deadlines on every tick was most of an
   * idle leader's CPU (issue 8, workload 6).
   */
  private scanDueMs = 0;

  constructor(private readonly host: LeaseHost) {}

  /** This node became leader: every known session gets a full TTL from now. */
  becameLeader(): void {
    this.leading = true;
    const now = this.host.clock.monotonicMs();
    this.deadlines.clear();
    for (const s of this.host.sessions()) {
      this.deadlines.set(s.id, { deadlineMs: now + s.ttlMs, ttlMs: s.ttlMs, expireProposedAtMs: null });
    }
    this.scanDueMs = 0;
    this.delays.clear();
    for (const d of this.host.pendingLockDelays()) this.delays.set(delayKey(d), newDelay(d, now));
    this.host.logger.info(
      { sessions: this.deadlines.size, lockDelays: this.delays.size },
      'leader: session TTLs renewed',
    );
  }

  steppedDown(): void {
    this.leading = false;
    this.deadlines.clear();
    this.delays.clear();
  }

  /** An openSession entry applied (on every node; only the leader keeps a deadline). */
  sessionOpened(id: number, ttlMs: number): void {
    if (!this.leading) return;
    const deadlineMs = this.host.clock.monotonicMs() + ttlMs;
    this.deadlines.set(id, { deadlineMs, ttlMs, expireProposedAtMs: null });
    this.scanDueMs = Math.min(this.scanDueMs, deadlineMs);
  }

  sessionEnded(id: number): void {
    this.deadlines.delete(id);
  }

  /**
   * Brings the lock-delay timers in line with the state machine after an entry that may start or
   * end one (an expiry, an endLockDelay): new delays start counting now, ended ones are dropped.
   */
  syncLockDelays(): void {
    const pending = this.host.pendingLockDelays();
    const keys = new Set(pending.map(delayKey));
    for (const k of this.delays.keys()) if (!keys.has(k)) this.delays.delete(k);
    if (!this.leading) return;
    const now = this.host.clock.monotonicMs();
    for (const d of pending) if (!this.delays.has(delayKey(d))) this.delays.set(delayKey(d), newDelay(d, now));
  }

  /** Milliseconds until the session's deadline on this leader, or null if it tracks none. */
  remainingMs(id: number): number | null {
    const d = this.deadlines.get(id);
    return d === undefined ? null : Math.max(0, d.deadlineMs - this.host.clock.monotonicMs());
  }

  keepalive(id: number): KeepaliveAnswer {
    if (!this.leading || !this.host.isLeader()) {
      return { ok: false, code: 'NOT_LEADER', message: 'keepalives go to the leader' };
    }
    // check the lease before anything else: without it another leader may already exist
    if (this.host.leaseRemainingMs() <= 0) {
      return { ok: false, code: 'UNAVAILABLE', message: 'the leader lease is not valid right now; retry' };
    }
    const now = this.host.clock.monotonicMs();
    let d = this.deadlines.get(id);
    if (d === undefined) {
      if (!this.host.hasSession(id))
        return { ok: false, code: 'SESSION_EXPIRED', message: `session ${id} is not open` };
      const ttlMs = this.host.sessions().find((s) => s.id === id)?.ttlMs;
      if (ttlMs === undefined) return { ok: false, code: 'SESSION_EXPIRED', message: `session ${id} is not open` };
      d = { deadlineMs: now, ttlMs, expireProposedAtMs: null };
      this.deadlines.set(id, d);
      this.scanDueMs = Math.min(this.scanDueMs, now);
    }
    // a session whose deadline passed is being expired: never revive it
    if (d.deadlineMs <= now || d.expireProposedAtMs !== null) {
      return { ok: false, code: 'SESSION_EXPIRED', message: `session ${id} expired` };
    }
    d.deadlineMs = now + d.ttlMs;
    return { ok: true, ttlMs: d.ttlMs, remainingMs: d.ttlMs };
  }

  /** Runs on every tick: proposes expiries and lock-delay ends that are due. */
  tick(): void {
    if (!this.leading || !this.host.isLeader()) return;
    const now = this.host.clock.monotonicMs();
    if (now >= this.scanDueMs) this.expireDue(now);
    for (const d of this.delays.values()) {
      if (d.dueMs > now) continue;
      if (d.proposedAtMs !== null && now - d.proposedAtMs < LEADER_COMMAND_RETRY_MS) continue;
      d.proposedAtMs = now;
      this.host.proposeLeaderCommand({ op: 'endLockDelay', name: d.name, sinceIndex: d.sinceIndex }).catch(() => {});
    }
  }

  /** Proposes the expiry of every session whose deadline passed; notes the next deadline. */
  private expireDue(now: number): void {
    let nextMs = Number.POSITIVE_INFINITY;
    for (const [id, d] of this.deadlines) {
      if (d.deadlineMs > now) {
        nextMs = Math.min(nextMs, d.deadlineMs);
        continue;
      }
      // a proposed expiry is retried after a pause, if it has not applied by then
      nextMs = Math.min(nextMs, (d.expireProposedAtMs ?? now) + LEADER_COMMAND_RETRY_MS);
      if (d.expireProposedAtMs !== null && now - d.expireProposedAtMs < LEADER_COMMAND_RETRY_MS) continue;
      d.expireProposedAtMs = now;
      this.host.logger.info({ sessionId: id, ttlMs: d.ttlMs }, 'session deadline passed: expiring');
      this.host.proposeLeaderCommand({ op: 'expireSession', sessionId: id }).catch(() => {
        // refused (not leader any more, or overloaded): the next tick retries after the pause
      });
    }
    this.scanDueMs = nextMs;
  }
}

function delayKey(d: { name: string; sinceIndex: number }): string {
  return `${d.sinceIndex}#${d.name}`;
}

function newDelay(d: PendingLockDelay, now: number): Delay {
  return { name: d.name, sinceIndex: d.sinceIndex, dueMs: now + d.lockDelayMs, proposedAtMs: null };
}
