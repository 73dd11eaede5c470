/**
 * What the harness and its client workers say to each other over the IPC channel of a forked
 * child. A worker is a separate process so the nemesis can SIGSTOP it; it runs one BatonClient
 * with a few "lanes" (Jepsen's processes: one operation at a time each, one session each) and
 * reports every operation as a history record the moment it completes.
 */

/** One line of the Baton JSON-lines history (test/chaos/check/README.md). */
export interface HistoryRecord {
  client: string;
  process?: number;
  node?: string;
  invokeMs: number;
  returnMs: number | null;
  op: string;
  name?: string;
  args: Record<string, unknown>;
  result: Record<string, unknown> | null;
}

export type Task =
  /** Jepsen's lock-set through the fenced store: acquire, advance the fence, read, add, write, release. */
  | {
      kind: 'lockSet';
      name: string;
      wait: boolean;
      timeoutMs: number;
      holdMs: number;
      element: string;
    }
  /** A plain hold, with fenceChecks of its own token while holding. */
  | { kind: 'lock'; name: string; wait: boolean; timeoutMs: number; holdMs: number; fenceChecks: number }
  | { kind: 'semaphore'; name: string; limit: number; timeoutMs: number; holdMs: number }
  | { kind: 'election'; name: string; value: string; timeoutMs: number; holdMs: number; proclaims: string[] }
  | { kind: 'read'; what: 'describe' | 'leader' | 'fenceCheck'; name: string; token: number };

export type TaskKind = Task['kind'];

/** How a task ended, for the summary (the history says exactly what happened). */
export type TaskOutcome = 'done' | 'notAcquired' | 'lost' | 'unknown' | 'fenced' | 'noSession' | 'failed';

export type StoreOp = 'advance' | 'read' | 'write';

export interface StoreReply {
  accepted: boolean;
  value: string | null;
  highestToken: number;
}

/** A hold (lock, semaphore slot, leadership) from its grant to the moment its holder stopped trusting it. */
export interface HoldReport {
  client: string;
  session: string;
  name: string;
  kind: 'lock' | 'semaphore' | 'election';
  limit: number;
  token: number;
  /** When the grant's answer arrived. */
  grantedMs: number;
  /** When `signal` aborted (released, resigned, lost); null: still held at the end. */
  endedMs: number | null;
  /** The abort reason's code: CLOSED (released/resigned), SESSION_EXPIRED, NOT_HOLDER. */
  endReason: string | null;
}

/** A session's life as the worker saw it on the wire. */
export interface SessionReport {
  client: string;
  session: string;
  ttlMs: number;
  openedMs: number;
  /**
   * The earliest moment the server may expire the session: the send time of the newest
   * acknowledged keepalive (or of the open) plus the TTL the leader promised.
   */
  expiryBoundMs: number;
  /** The bound as it was when the server first said the session had expired. */
  expiryBoundAtServerExpiryMs: number | null;
  /** When the SDK stopped trusting the session (signal aborted); null: open at the end. */
  endedMs: number | null;
  endReason: string | null;
  /** First send of a session.close for it, and whether one was answered ok. */
  closeSentMs: number | null;
  closedOk: boolean;
  /** First time the server said it was gone (SESSION_EXPIRED answer, sessionExpired/lost event). */
  serverExpiredMs: number | null;
  /**
   * What said so: an expiry event (only ever sent for an expiry), or a SESSION_EXPIRED answer
   * (which also follows a close).
   */
  expiryEvidence: 'event' | 'answer' | null;
}

export interface WorkerInit {
  workerId: number;
  originMs: number;
  endpoints: string[];
  /** Client URL → node name, to record which node answered. */
  nodeNames: Record<string, string>;
  lanes: number;
  ttlMs: number;
  requestTimeoutMs: number;
}

export type ToWorker =
  | { t: 'init'; init: WorkerInit }
  | { t: 'task'; lane: number; taskId: number; task: Task }
  | { t: 'storeReply'; reqId: number; reply: StoreReply }
  | { t: 'finish' };

export type FromWorker =
  | { t: 'ready' }
  | { t: 'op'; rec: HistoryRecord }
  | {
      t: 'store';
      reqId: number;
      client: string;
      process: number;
      op: StoreOp;
      name: string;
      token: number;
      value: string | null;
    }
  | { t: 'taskDone'; lane: number; taskId: number; outcome: TaskOutcome; detail?: string }
  | { t: 'hold'; hold: HoldReport }
  | { t: 'session'; session: SessionReport }
  | { t: 'problem'; kind: string; message: string; atMs: number }
  /** The worker could not run its timers from startMs to endMs (stall-monitor.ts). */
  | { t: 'stall'; startMs: number; endMs: number }
  | { t: 'finished' };

/** The lane's client id in histories: worker w, lane l. */
export function laneClient(workerId: number, lane: number): string {
  return `w${workerId}.${lane}`;
}

/** A distinct `process` number per lane (Jepsen style). */
export function laneProcess(workerId: number, lane: number): number {
  return workerId * 100 + lane;
}
