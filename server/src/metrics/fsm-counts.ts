/**
 * Gauges read from this node's replica of the state machine at scrape time. Every node applies
 * the same entries, so every node reports the same numbers once it has caught up.
 */
import type { CoordinationFsm } from '../fsm/index.js';

export type HoldKind = 'lock' | 'semaphore' | 'election';
export const HOLD_KINDS: readonly HoldKind[] = ['lock', 'semaphore', 'election'];

export interface FsmCounts {
  readonly sessions: number;
  readonly holds: Record<HoldKind, number>;
  readonly waiters: Record<HoldKind, number>;
  /** Slots held back by a lock-delay after their holder's session expired. */
  readonly pendingLockDelays: number;
}

export function holdKind(kind: 'lock' | 'election', limit: number): HoldKind {
  if (kind === 'election') return 'election';
  return limit > 1 ? 'semaphore' : 'lock';
}

/** O(names): fine at scrape intervals, never called per entry. */
export function countFsm(fsm: CoordinationFsm): FsmCounts {
  const state = fsm.internalState();
  const holds: Record<HoldKind, number> = { lock: 0, semaphore: 0, election: 0 };
  const waiters: Record<HoldKind, number> = { lock: 0, semaphore: 0, election: 0 };
  let pendingLockDelays = 0;
  for (const n of state.names.byName.values()) {
    const kind = holdKind(n.kind, n.limit);
    holds[kind] += n.holders.length;
    waiters[kind] += n.waiters.length;
    pendingLockDelays += n.reservations.length;
  }
  return { sessions: state.sessions.size, holds, waiters, pendingLockDelays };
}
