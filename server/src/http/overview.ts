/**
 * `/v1/overview`: everything the status page shows, in one JSON answer. Cluster-wide state
 * (sessions, locks, elections, recent events) comes from this node's replica of the state
 * machine, so any node can serve it; it is as fresh as this node's applied index, which the page
 * shows. Per-member Raft progress comes from each member's own /v1/status (MemberProber), and
 * lag is measured against the leader's commit index as the leader reported it.
 */
import type { CoordinationFsm } from '../fsm/index.js';
import { holdKind } from '../metrics/fsm-counts.js';
import type { MemberProbe } from './member-probe.js';
import type { RecentEvent } from './recent-events.js';

/** Lists are cut to this many entries (the totals are still given): one page, not a dump. */
export const OVERVIEW_MAX_SESSIONS = 200;
export const OVERVIEW_MAX_NAMES = 200;
/** Holders and waiters shown per name. */
export const OVERVIEW_MAX_PER_NAME = 20;

export interface MemberView {
  readonly name: string;
  readonly clientUrl: string;
  readonly membership: string;
  readonly reachable: boolean;
  readonly error: string | null;
  readonly role: string | null;
  readonly term: number | null;
  readonly commitIndex: number | null;
  readonly appliedIndex: number | null;
  /** Entries between the leader's commit index and this member's applied index. */
  readonly lag: number | null;
  /** The leader as this member sees it. */
  readonly leader: string | null;
}

export interface HolderView {
  readonly sessionId: string;
  readonly token: number;
  readonly generation: number;
  readonly ageMs: number;
  readonly metadata: Record<string, unknown> | null;
  readonly value: string | null;
}

export interface WaiterView {
  readonly sessionId: string;
  readonly ageMs: number;
  readonly value: string | null;
}

export interface NameView {
  readonly name: string;
  readonly kind: 'lock' | 'semaphore' | 'election';
  readonly limit: number;
  readonly generation: number;
  readonly newestToken: number | null;
  readonly holders: readonly HolderView[];
  readonly holdersTotal: number;
  readonly waiters: readonly WaiterView[];
  readonly waitersTotal: number;
  readonly lockDelays: number;
}

export interface SessionView {
  readonly id: string;
  readonly ttlMs: number;
  readonly label: string | null;
  readonly ageMs: number;
  readonly holds: number;
}

export interface Overview {
  readonly servedBy: string;
  readonly nowMs: number;
  /** The applied index the state below reflects. */
  readonly appliedIndex: number;
  readonly leader: { readonly name: string; readonly term: number } | null;
  readonly members: readonly MemberView[];
  readonly sessions: { readonly total: number; readonly list: readonly SessionView[] };
  readonly names: { readonly total: number; readonly list: readonly NameView[] };
  readonly recent: readonly RecentEvent[];
}

export interface OverviewInput {
  readonly servedBy: string;
  readonly nowMs: number;
  readonly fsm: CoordinationFsm;
  readonly appliedIndex: number;
  readonly probes: readonly MemberProbe[];
  readonly membership: (name: string) => string;
  readonly clientUrl: (name: string) => string;
  readonly recent: readonly RecentEvent[];
}

export function buildOverview(input: OverviewInput): Overview {
  const { probes } = input;
  // the leader according to the member that says it leads, with the highest term if two claim it
  let leaderProbe: (MemberProbe & { reachable: true }) | null = null;
  for (const p of probes) {
    if (!p.reachable || p.status.role !== 'leader') continue;
    if (leaderProbe === null || p.status.term > leaderProbe.status.term) leaderProbe = p;
  }
  const leaderCommit = leaderProbe?.status.commitIndex ?? null;
  const members: MemberView[] = probes.map((p) => {
    const base = { name: p.name, clientUrl: input.clientUrl(p.name), membership: input.membership(p.name) };
    if (!p.reachable) {
      return {
        ...base,
        reachable: false,
        error: p.error,
        role: null,
        term: null,
        commitIndex: null,
        appliedIndex: null,
        lag: null,
        leader: null,
      };
    }
    const s = p.status;
    return {
      ...base,
      reachable: true,
      error: null,
      role: s.role,
      term: s.term,
      commitIndex: s.commitIndex,
      appliedIndex: s.appliedIndex,
      lag: leaderCommit === null ? null : Math.max(0, leaderCommit - s.appliedIndex),
      leader: s.leader,
    };
  });
  return {
    servedBy: input.servedBy,
    nowMs: input.nowMs,
    appliedIndex: input.appliedIndex,
    leader: leaderProbe === null ? null : { name: leaderProbe.name, term: leaderProbe.status.term },
    members,
    sessions: sessionsView(input.fsm, input.nowMs),
    names: namesView(input.fsm, input.nowMs),
    recent: input.recent,
  };
}

function age(nowMs: number, atMs: number): number {
  // sinceMs is the proposer's wall clock: another node's clock may run a little ahead of ours
  return Math.max(0, Math.round(nowMs - atMs));
}

function sessionsView(fsm: CoordinationFsm, nowMs: number): Overview['sessions'] {
  const sessions = fsm.internalState().sessions;
  const list: SessionView[] = [];
  for (const s of sessions.values()) {
    if (list.length >= OVERVIEW_MAX_SESSIONS) break;
    list.push({
      id: String(s.id),
      ttlMs: s.ttlMs,
      label: s.label,
      ageMs: age(nowMs, s.openedAtMs),
      holds: s.names.size,
    });
  }
  return { total: sessions.size, list };
}

/** Names in use (holders, waiters or a lock-delay); idle names are kept by the state machine but not shown. */
function namesView(fsm: CoordinationFsm, nowMs: number): Overview['names'] {
  const list: NameView[] = [];
  let total = 0;
  for (const n of fsm.internalState().names.byName.values()) {
    if (n.holders.length === 0 && n.waiters.length === 0 && n.reservations.length === 0) continue;
    total++;
    if (list.length >= OVERVIEW_MAX_NAMES) continue;
    list.push({
      name: n.name,
      kind: holdKind(n.kind, n.limit),
      limit: n.limit,
      generation: n.generation,
      newestToken: n.newestToken === 0 ? null : n.newestToken,
      holders: n.holders.slice(0, OVERVIEW_MAX_PER_NAME).map((h) => ({
        sessionId: String(h.sessionId),
        token: h.token,
        generation: h.generation,
        ageMs: age(nowMs, h.sinceMs),
        metadata: h.metadata,
        value: h.value,
      })),
      holdersTotal: n.holders.length,
      waiters: n.waiters.slice(0, OVERVIEW_MAX_PER_NAME).map((w) => ({
        sessionId: String(w.sessionId),
        ageMs: age(nowMs, w.sinceMs),
        value: w.value,
      })),
      waitersTotal: n.waiters.length,
      lockDelays: n.reservations.length,
    });
  }
  return { total, list };
}
