/**
 * The one shape every system's client is driven through, so a workload is written once and runs
 * the same way against Baton, etcd, ZooKeeper and Redis. Each adapter implements it the way its
 * own project recommends (see the adapter files); nothing here adds work to one system only.
 */

/** The systems the harness knows, in the order the table shows them. */
export const SYSTEM_NAMES = ['baton', 'etcd', 'zookeeper', 'redis'] as const;
export type SystemName = (typeof SYSTEM_NAMES)[number];

export const SYSTEM_LABELS: Readonly<Record<SystemName, string>> = {
  baton: 'Baton',
  etcd: 'etcd',
  zookeeper: 'ZooKeeper',
  redis: 'Redis',
};

/** What a client (in this process or in a holder child process) needs to reach a running system. */
export interface ConnectSpec {
  readonly system: SystemName;
  /** host:port of every member, for the client's own failover. */
  readonly endpoints: readonly string[];
}

/** A lock (or semaphore slot) held by a session. */
export interface HeldLock {
  release(): Promise<void>;
  /**
   * Where the system queued this request, when the client can see it: ZooKeeper's sequence
   * number, etcd's create revision. The FIFO check uses it instead of client-side times.
   */
  readonly queueOrder?: number;
}

/** Leadership of an election. */
export interface HeldLeadership {
  resign(): Promise<void>;
}

/** What the queue of a name is made of, for waiting until a waiter is really queued. */
export type NameKind = 'lock' | 'election';

/**
 * One client session: Baton's session, an etcd lease, a ZooKeeper session (its own connection:
 * in ZooKeeper the session is the connection), or for Redis a token owner that refreshes the
 * expiry of what it holds.
 */
export interface LockSession {
  /** Blocks until the lock is granted. */
  acquire(name: string): Promise<HeldLock>;
  /** Blocks until this candidate leads. */
  campaign(name: string, value: string): Promise<HeldLeadership>;
  close(): Promise<void>;
}

/** One client connection (shared by several sessions where the system allows it). */
export interface LockClient {
  openSession(ttlMs: number): Promise<LockSession>;
  /** Holders plus queued waiters or candidates of `name`, as the system sees them. */
  participants(name: string, kind: NameKind): Promise<number>;
  close(): Promise<void>;
}

/** An operation a system does not offer (Redis has no elections or sessions). */
export class NotOfferedError extends Error {
  readonly code = 'NOT_OFFERED';
}
