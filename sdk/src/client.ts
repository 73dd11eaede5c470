/**
 * BatonClient: the entry point. One Channel (one connection, preferably to the leader), the
 * sessions opened on it, election observers, and the reads that work on any node.
 */
import type { ClientResultOf, ElectionLeader, LockDescribeResult, StatusResult } from '@baton/proto-schemas';
import {
  type AddMemberOptions,
  AdminCalls,
  type AdminMember,
  type AdminMembersListResult,
  type SnapshotCopy,
  type WaitOptions,
} from './admin.js';
import type { RequestBody } from './call.js';
import { Channel } from './channel.js';
import './dispose.js';
import { BatonError } from './errors.js';
import type { Leadership } from './leadership.js';
import type { Lock } from './lock.js';
import { type ElectionChange, ObserveHub, type ObserveOptions } from './observe.js';
import {
  type BatonClientOptions,
  type ResolvedClientOptions,
  resolveClientOptions,
  resolveSessionOptions,
  type SessionOptions,
} from './options.js';
import {
  type AcquireOptions,
  type CampaignOptions,
  Session,
  type SessionDeps,
  type TryAcquireOptions,
} from './session.js';

/** Requests any node answers. */
type ReadType = 'election.leader' | 'lock.describe' | 'lock.fenceCheck' | 'status';

export class BatonClient implements AsyncDisposable {
  readonly clientId: string;
  private readonly channel: Channel;
  private readonly observers: ObserveHub;
  private readonly sessions = new Set<Session>();
  /** Background work (cleanup of abandoned waits, closes of lost sessions), awaited by close(). */
  private readonly background = new Set<Promise<unknown>>();
  private defaultSession: Promise<Session> | null = null;
  private closing: Promise<void> | null = null;
  private readonly sessionDeps: SessionDeps;
  private readonly admin: AdminCalls;

  private constructor(private readonly options: ResolvedClientOptions) {
    this.clientId = options.clientId;
    this.channel = new Channel(options);
    this.admin = new AdminCalls(this.channel, options, () => this.assertOpen());
    this.observers = new ObserveHub(this.channel);
    this.sessionDeps = {
      channel: this.channel,
      clock: options.clock,
      requestTimeoutMs: options.requestTimeoutMs,
      track: (work) => this.track(work),
      ended: (session) => this.sessions.delete(session),
    };
  }

  /**
   * Connects to the first endpoint that answers (following the leader's hint), within
   * requestTimeoutMs. Rejects UNAVAILABLE, or UNAUTHENTICATED / UNSUPPORTED_VERSION at once.
   */
  static async connect(options: BatonClientOptions): Promise<BatonClient> {
    const client = new BatonClient(resolveClientOptions(options));
    try {
      await client.channel.start(client.options.requestTimeoutMs);
    } catch (err) {
      client.channel.close();
      throw err;
    }
    return client;
  }

  /** The client URL of the node this client talks to now, or null while reconnecting. */
  get connectedEndpoint(): string | null {
    return this.channel.connectedUrl;
  }

  /** Opens a session; its keepalives run by themselves until it is closed or lost. */
  async session(options: SessionOptions = {}): Promise<Session> {
    this.assertOpen();
    const resolved = resolveSessionOptions(options);
    const session = await Session.open(this.sessionDeps, resolved);
    if (this.closing !== null) {
      await session.close();
      throw new BatonError('CLOSED', 'the client was closed while the session opened');
    }
    this.sessions.add(session);
    return session;
  }

  /** session.acquire on the client's default session (opened on first use, reopened if lost). */
  async acquire(name: string, options?: AcquireOptions): Promise<Lock> {
    return (await this.getDefaultSession()).acquire(name, options);
  }

  async tryAcquire(name: string, options?: TryAcquireOptions): Promise<Lock | null> {
    return (await this.getDefaultSession()).tryAcquire(name, options);
  }

  async withLock<T>(name: string, fn: (lock: Lock) => Promise<T> | T, options?: AcquireOptions): Promise<T> {
    return (await this.getDefaultSession()).withLock(name, fn, options);
  }

  async campaign(name: string, value: string, options?: CampaignOptions): Promise<Leadership> {
    return (await this.getDefaultSession()).campaign(name, value, options);
  }

  /** The current leader of an election, or null. Any node answers. */
  async leader(name: string): Promise<ElectionLeader | null> {
    return (await this.read('election.leader', { name })).leader;
  }

  /**
   * Every leadership change of `name`, starting with the current state; `leader: null` means no
   * leader. Ends (without an error) when `signal` aborts, the loop breaks, or the client closes.
   */
  observe(name: string, options: ObserveOptions = {}): AsyncIterable<ElectionChange> {
    this.assertOpen();
    return this.observers.observe(name, options);
  }

  /** Holders (with tokens), FIFO waiters, limit and lock-delay of a name. Any node answers. */
  describe(name: string): Promise<LockDescribeResult> {
    return this.read('lock.describe', { name });
  }

  /** True while `token` is a current hold of `name` (Chubby's CheckSequencer). */
  async checkFence(name: string, token: number): Promise<boolean> {
    return (await this.read('lock.fenceCheck', { name, token })).current;
  }

  /** The answering node's view: members, leader, Raft term, commit and applied index. */
  status(): Promise<StatusResult> {
    return this.read('status', {});
  }

  // ------------------------------------------------------------------ administration (admin permission)

  /** Every member with its role and replication progress, as the leader sees it. */
  members(): Promise<AdminMembersListResult> {
    return this.admin.members();
  }

  /**
   * Adds a member without downtime: as a learner first, then (once it caught up with the leader)
   * as a voter. Start the new node with `--initial-cluster-state existing`.
   */
  addMember(id: string, peerUrl: string, options?: AddMemberOptions): Promise<AdminMember> {
    return this.admin.addMember(id, peerUrl, options);
  }

  /** Makes a learner a voter once it has caught up (FAILED_PRECONDITION if it did not in time). */
  promoteMember(id: string, options?: WaitOptions): Promise<AdminMember> {
    return this.admin.promoteMember(id, options);
  }

  /** Removes a member; removing the leader hands leadership over first. */
  removeMember(id: string): Promise<void> {
    return this.admin.removeMember(id);
  }

  /** Hands leadership to voter `id` (Raft TimeoutNow); resolves once it leads. */
  transferLeadership(id: string, options?: WaitOptions): Promise<{ leaderId: string; term: number }> {
    return this.admin.transferLeadership(id, options);
  }

  /** A consistent copy of the state machine (what `baton snapshot save` writes to a file). */
  saveSnapshot(): Promise<SnapshotCopy> {
    return this.admin.saveSnapshot();
  }

  /**
   * Closes every session (releasing what they hold), ends observers, waits for background
   * cleanup (bounded by requestTimeoutMs), then closes the connection. Pending calls reject CLOSED.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async shutdown(): Promise<void> {
    this.observers.close();
    const pendingDefault = this.defaultSession;
    this.defaultSession = null;
    if (pendingDefault !== null) await pendingDefault.catch(() => {});
    await Promise.all([...this.sessions].map((s) => s.close()));
    await Promise.all([...this.background]);
    this.channel.close();
  }

  private async read<T extends ReadType>(type: T, body: RequestBody<T>): Promise<ClientResultOf<T>> {
    this.assertOpen();
    return this.channel.call({
      type,
      build: () => body,
      seq: 'none',
      deadlineMs: this.options.clock.now() + this.options.requestTimeoutMs,
    }).promise;
  }

  private getDefaultSession(): Promise<Session> {
    this.assertOpen();
    const current = this.defaultSession;
    if (current !== null) {
      return current.then((session) => (session.state === 'open' ? session : this.openDefault(current)));
    }
    return this.openDefault(null);
  }

  private openDefault(expected: Promise<Session> | null): Promise<Session> {
    // two callers may notice the lost default session at once: only the first replaces it
    if (this.defaultSession !== expected && this.defaultSession !== null) return this.defaultSession;
    const opening = this.session(this.options.session);
    this.defaultSession = opening;
    opening.catch(() => {
      if (this.defaultSession === opening) this.defaultSession = null;
    });
    return opening;
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.catch(() => {});
    this.background.add(tracked);
    tracked.finally(() => this.background.delete(tracked));
  }

  private assertOpen(): void {
    if (this.closing !== null || this.channel.isClosed) throw new BatonError('CLOSED', 'the client is closed');
  }
}
