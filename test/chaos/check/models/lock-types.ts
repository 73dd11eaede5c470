/**
 * Operations on one Baton name (lock, semaphore or election — one namespace, DESIGN §4) and on
 * the fenced downstream register guarded by that name, as the lock model sees them. The
 * JSON-lines parser (parse/baton-jsonl.ts) produces these from a recorded history.
 */

export type LockInput = { name: string | null } & (
  | { f: 'acquire'; session: string; limit: number; wait: boolean }
  | { f: 'campaign'; session: string; value: string }
  | { f: 'release'; session: string; token: number }
  | { f: 'resign'; session: string; term: number }
  | { f: 'proclaim'; session: string; term: number; value: string }
  | { f: 'fenceCheck'; token: number }
  | { f: 'describe' }
  | { f: 'leader' }
  /** The session ended (expired or closed): every name it held is free. `name` is null. */
  | { f: 'expire' | 'close'; session: string }
  /** The fenced store: accepts a write iff its token is ≥ the newest it accepted. */
  | { f: 'write'; token: number; value: string }
  | { f: 'read' }
);

export type LockOp = LockInput['f'];

export interface HolderView {
  session: string;
  token: number;
}

export interface LeaderView {
  session: string;
  value: string;
  term: number;
}

export type LockOutput =
  /** The server answered this error code: nothing changed (NOT_HOLDER also says "not a holder"). */
  | { kind: 'error'; code: string }
  /** acquire/campaign: held with this token (term). */
  | { kind: 'granted'; token: number }
  /** A try on a full name: `{acquired: false}`. */
  | { kind: 'notAcquired' }
  /** release/resign/proclaim/expire/close succeeded. */
  | { kind: 'done' }
  | { kind: 'fence'; current: boolean; newestToken?: number | null }
  | { kind: 'holders'; holders: HolderView[] }
  | { kind: 'leader'; leader: LeaderView | null }
  | { kind: 'write'; accepted: boolean }
  | { kind: 'read'; value: string | null };
