/**
 * The state machine's data. Everything here is in the snapshot except `SessionState.names`, an
 * index rebuilt from the names on restore (and never iterated without sorting, so its insertion
 * order cannot make two nodes differ).
 */
import type { CommandResult, HoldMetadata, NameKind } from './types.js';

export interface SessionState {
  /** The index of the openSession entry. */
  readonly id: number;
  readonly ttlMs: number;
  readonly label: string | null;
  readonly openedAtMs: number;
  /** The identity that opened it (auth on); null: unbound (auth off, or opened before binding existed). */
  readonly owner: string | null;
  /** Names this session holds or waits for. Invariant: matches the names' holders and waiters. */
  readonly names: Set<string>;
}

export interface Hold {
  readonly sessionId: number;
  /** The index of the entry that granted it (the fencing token; an election's term). */
  readonly token: number;
  readonly generation: number;
  readonly sinceMs: number;
  readonly lockDelayMs: number;
  readonly metadata: HoldMetadata | null;
  /** Election leaders only; proclaim changes it. */
  value: string | null;
  /** Granted from the wait queue (a cancelWait may release it), not straight by an acquire. */
  readonly fromWait: boolean;
}

export interface Waiter {
  readonly sessionId: number;
  /** The index of the entry that queued it; strictly increasing along a queue (FIFO). */
  readonly enqueuedIndex: number;
  readonly sinceMs: number;
  readonly lockDelayMs: number;
  readonly metadata: HoldMetadata | null;
  readonly value: string | null;
}

/**
 * A slot kept out of use after its holder's session expired with a lock-delay: nobody is granted
 * in its place until an endLockDelay entry frees it (Chubby's lock-delay, per slot).
 */
export interface Reservation {
  /** The index of the expireSession entry. */
  readonly sinceIndex: number;
  readonly sinceMs: number;
  readonly lockDelayMs: number;
}

export interface NameState {
  readonly name: string;
  kind: NameKind;
  limit: number;
  /** Grants so far (kept while the name is idle). */
  generation: number;
  /** The newest grant's token; 0 before the first grant. */
  newestToken: number;
  /**
   * In grant order, so tokens strictly increase along it. Invariant: holders + reservations ≤ limit.
   * The three lists are added to only through append() (see there).
   */
  holders: Hold[];
  /** FIFO. Invariant: non-empty only while every slot is held or reserved. */
  waiters: Waiter[];
  reservations: Reservation[];
}

/**
 * The list of every name that has none yet, shared and frozen. With 100,000 held locks, an empty
 * array per list per name, and the room for 17 that push() reserves in an empty array, were a
 * third of the state machine's memory; so a name's lists start as this one and append() gives a
 * list its own array, of one element, when the first item arrives.
 */
const NO_ITEMS: readonly never[] = Object.freeze([]);

export function noItems<T>(): T[] {
  return NO_ITEMS as unknown as T[];
}

/** Adds `item` to one of a name's lists: `n.waiters = append(n.waiters, w)`. */
export function append<T>(list: T[], item: T): T[] {
  if (list.length === 0) return [item];
  list.push(item);
  return list;
}

export interface DedupClient {
  highestSeq: number;
  /** seq -> result, for the seqs in the window (highestSeq − window, highestSeq]. */
  readonly results: Map<number, CommandResult>;
}

export function isIdle(n: NameState): boolean {
  return n.holders.length === 0 && n.waiters.length === 0 && n.reservations.length === 0;
}

export function freeSlots(n: NameState): number {
  return n.limit - n.holders.length - n.reservations.length;
}
