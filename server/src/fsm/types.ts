/**
 * The coordination state machine's inputs and outputs: commands (carried in log entries inside an
 * Envelope), their results, and the events that applying them produces (DESIGN §4).
 */
import type { ErrorCode } from '@baton/proto-schemas';

/**
 * Small metadata attached to a hold (owner label, host, pid): a flat JSON object whose encoded
 * size is at most LIMITS.maxMetadataBytes.
 */
export type HoldMetadata = { readonly [key: string]: string | number | boolean | null };

export type Command =
  | { readonly op: 'openSession'; readonly ttlMs: number; readonly label?: string }
  | { readonly op: 'closeSession'; readonly sessionId: number }
  /** Proposed by the leader when a session's deadline passed on its clock. */
  | { readonly op: 'expireSession'; readonly sessionId: number }
  | {
      readonly op: 'acquire';
      readonly sessionId: number;
      readonly name: string;
      /** 1 for a lock; up to LIMITS.maxSemaphoreLimit for a semaphore. */
      readonly limit: number;
      /** false: a try-acquire that changes nothing when the name is full. */
      readonly wait: boolean;
      /** 0..LIMITS.maxLockDelayMs; applies if this hold's session later expires. */
      readonly lockDelayMs: number;
      readonly metadata?: HoldMetadata;
    }
  /** The client gave up on a waiting acquire or campaign (abort or timeout). */
  | { readonly op: 'cancelWait'; readonly sessionId: number; readonly name: string }
  | { readonly op: 'release'; readonly sessionId: number; readonly name: string; readonly token: number }
  | { readonly op: 'campaign'; readonly sessionId: number; readonly name: string; readonly value: string }
  | {
      readonly op: 'proclaim';
      readonly sessionId: number;
      readonly name: string;
      readonly term: number;
      readonly value: string;
    }
  | { readonly op: 'resign'; readonly sessionId: number; readonly name: string; readonly term: number }
  /**
   * Proposed by the leader once a lock-delay passed on its clock. Ends the delay that started at
   * `sinceIndex` (see pendingLockDelays()), or the oldest one of the name when it is absent; a
   * delay that already ended makes it a no-op.
   */
  | { readonly op: 'endLockDelay'; readonly name: string; readonly sinceIndex?: number };

export type Op = Command['op'];

/** Operations only the leader proposes (clientId ''): a client cannot expire someone's session. */
export const LEADER_OPS: readonly Op[] = ['expireSession', 'endLockDelay'];

/**
 * Who asked, when auth is on: the identity (a token's name, never the token) of the connection
 * that proposed the command. openSession binds the new session to it; a command that names a
 * session owned by another identity is refused PERMISSION_DENIED unless `admin` (an operator).
 */
export interface Actor {
  readonly identity: string;
  readonly admin: boolean;
}

/**
 * What a log entry carries. `clientId` '' and `seq` 0 for leader-proposed commands. `atMs` is the
 * proposer's wall clock: informational only (describe's sinceMs, lock-delay remaining), never
 * used to decide anything. `actor` is absent with auth off, for the leader's own commands and
 * in entries written before sessions were bound: nothing is checked then.
 */
export interface Envelope {
  readonly clientId: string;
  readonly seq: number;
  readonly atMs: number;
  readonly cmd: Command;
  readonly actor?: Actor;
}

export interface OpenSessionValue {
  readonly sessionId: number;
  readonly ttlMs: number;
}
export interface CloseSessionValue {
  readonly closed: true;
}
export interface ExpireSessionValue {
  /** false: the session was already gone (leader commands are idempotent). */
  readonly expired: boolean;
}
export type AcquireValue =
  | { readonly acquired: true; readonly token: number; readonly generation: number }
  /** waiting false: a try-acquire found the name full, or held back by a lock-delay. */
  | { readonly acquired: false; readonly waiting: boolean };
export type CancelWaitValue =
  | { readonly cancelled: true }
  /** Nothing of this session waits on the name (it may hold it: a grant is never revoked). */
  | { readonly notWaiting: true };
export interface ReleaseValue {
  readonly released: true;
}
export type CampaignValue =
  | { readonly elected: true; readonly term: number; readonly generation: number }
  | { readonly elected: false; readonly waiting: true };
export interface ProclaimValue {
  readonly term: number;
  readonly value: string;
}
export interface ResignValue {
  readonly resigned: true;
}
export interface EndLockDelayValue {
  readonly ended: boolean;
}

/** The value of a successful result, by operation. */
export interface CommandValues {
  openSession: OpenSessionValue;
  closeSession: CloseSessionValue;
  expireSession: ExpireSessionValue;
  acquire: AcquireValue;
  cancelWait: CancelWaitValue;
  release: ReleaseValue;
  campaign: CampaignValue;
  proclaim: ProclaimValue;
  resign: ResignValue;
  endLockDelay: EndLockDelayValue;
}

export type CommandValue = CommandValues[Op];

export interface CommandError {
  readonly ok: false;
  readonly code: ErrorCode;
  readonly message: string;
}

export type CommandResultOf<O extends Op> = { readonly ok: true; readonly value: CommandValues[O] } | CommandError;

export type CommandResult = { readonly ok: true; readonly value: CommandValue } | CommandError;

export interface LeaderInfo {
  readonly sessionId: number;
  readonly value: string;
  readonly term: number;
}

/**
 * What applying an entry did, for the API to push to the sessions concerned. `granted` comes for
 * every grant, including the immediate one an acquire's own result reports.
 */
export type FsmEvent =
  | {
      readonly kind: 'granted';
      readonly sessionId: number;
      readonly name: string;
      readonly token: number;
      readonly generation: number;
      readonly election: boolean;
    }
  | {
      readonly kind: 'lost';
      readonly sessionId: number;
      readonly name: string;
      readonly token: number;
      readonly reason: 'expired' | 'closed';
    }
  | { readonly kind: 'sessionEnded'; readonly sessionId: number; readonly reason: 'expired' | 'closed' }
  | { readonly kind: 'electionChanged'; readonly name: string; readonly leader: LeaderInfo | null }
  | {
      readonly kind: 'waitEnded';
      readonly sessionId: number;
      readonly name: string;
      readonly reason: 'cancelled' | 'sessionEnded';
    };

export interface ApplyOutput {
  readonly result: CommandResult;
  readonly events: FsmEvent[];
}

export type NameKind = 'lock' | 'election';

export interface DescribeHolder {
  readonly sessionId: number;
  readonly token: number;
  readonly generation: number;
  /** atMs of the entry that granted the hold (the proposer's wall clock). */
  readonly sinceMs: number;
  readonly metadata: HoldMetadata | null;
  /** An election leader's value; null for locks. */
  readonly value: string | null;
}

export interface DescribeWaiter {
  readonly sessionId: number;
  /** The log index of the entry that queued it: waiters are granted in this order. */
  readonly enqueuedIndex: number;
  readonly sinceMs: number;
  readonly metadata: HoldMetadata | null;
  readonly value: string | null;
}

export interface Describe {
  readonly name: string;
  /** null: the name is unknown (never used, or an idle name that was evicted). */
  readonly kind: NameKind | null;
  /** 0 for an unknown name. */
  readonly limit: number;
  /** Grants so far. */
  readonly generation: number;
  readonly newestToken: number | null;
  readonly holders: readonly DescribeHolder[];
  readonly waiters: readonly DescribeWaiter[];
  /** max(0, expiry entry's atMs + lockDelayMs − nowMs) over the name's pending lock-delays. */
  readonly lockDelayRemainingMs: number;
}

export interface PendingLockDelay {
  readonly name: string;
  readonly lockDelayMs: number;
  /** Index of the expireSession entry that started it; pass it to endLockDelay. */
  readonly sinceIndex: number;
}

export interface FsmStats {
  readonly sessions: number;
  readonly names: number;
  readonly holders: number;
  readonly waiters: number;
  readonly dedupClients: number;
}
