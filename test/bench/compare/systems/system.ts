/**
 * A running system under test: its server processes (3 for the replicated ones, 1 for Redis),
 * how a client reaches them, and what the failover workload needs (who leads, kill, restart).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ConnectSpec, SystemName } from '../clients/lock-client.js';
import type { ManagedProcess } from '../proc/managed-process.js';

export interface LeaderView {
  /** Index of the leading node in `nodes`. */
  readonly index: number;
  /** The leader's term (Raft term, or ZooKeeper's epoch), to count leader changes. */
  readonly term: number;
}

/** One node's own view, as its status endpoint reports it. */
export interface NodeView {
  readonly role: 'leader' | 'follower' | 'other';
  readonly term: number;
  /** The leader this node follows, when the system says (ZooKeeper does not). */
  readonly leaderId?: string;
  /** This node's id in the same terms as leaderId. */
  readonly selfId?: string;
}

export interface RunningSystem {
  readonly name: SystemName;
  readonly version: string;
  readonly replicated: boolean;
  /** The smallest session/lease TTL the system accepts, as configured here. */
  readonly minTtlMs: number;
  readonly connectSpec: ConnectSpec;
  readonly nodes: readonly ManagedProcess[];
  /** The leader every running node agrees on, or null (none yet, or not replicated). */
  leader(): Promise<LeaderView | null>;
  killNode(index: number): Promise<void>;
  restartNode(index: number): Promise<void>;
  /** Every node running and agreeing on one leader (Redis: answering). Throws after timeoutMs. */
  waitHealthy(timeoutMs: number): Promise<void>;
  /** Output tails of every node, for an error message. */
  logs(): string;
  stop(): Promise<void>;
}

/** Interval of every status poll while waiting for a cluster to settle. */
export const POLL_INTERVAL_MS = 25;

/** Polls `check` until it returns a value; throws naming `what` after `timeoutMs`. */
export async function pollUntil<T>(what: string, timeoutMs: number, check: () => Promise<T | null>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== null) return v;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(POLL_INTERVAL_MS);
  }
}

/**
 * The leader all running nodes agree on: every running node answers, exactly one says it leads,
 * the others follow (and, where the system says whom, follow that one).
 */
export async function agreedLeader(
  nodes: readonly ManagedProcess[],
  view: (index: number) => Promise<NodeView | null>,
): Promise<LeaderView | null> {
  const running = nodes.map((n, i) => (n.running ? i : -1)).filter((i) => i >= 0);
  const views = await Promise.all(running.map((i) => view(i)));
  if (views.some((v) => v === null)) return null;
  const leaders = running.filter((_, k) => views[k]?.role === 'leader');
  if (leaders.length !== 1) return null;
  const leaderIndex = leaders[0] as number;
  const leaderView = views[running.indexOf(leaderIndex)] as NodeView;
  for (const v of views) {
    if (v === null || v === leaderView) continue;
    if (v.role !== 'follower') return null;
    if (v.leaderId !== undefined && leaderView.selfId !== undefined && v.leaderId !== leaderView.selfId) return null;
  }
  return { index: leaderIndex, term: leaderView.term };
}
