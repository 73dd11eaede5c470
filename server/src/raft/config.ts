import { invariant, type Storage } from './storage.js';
import type { NodeId } from './types.js';

/** The only randomness the core uses (election timeouts); the driver passes a seeded one in. */
export interface Rng {
  /** A uniformly chosen integer in [minInclusive, maxExclusive). */
  nextInt(minInclusive: number, maxExclusive: number): number;
}

/**
 * Read-only query mode (thesis §6.4):
 * - `safe`: ReadIndex confirmed by a heartbeat round to a quorum;
 * - `lease`: answered from the leader's lease when it is valid (only with CheckQuorum; the lease
 *   is shortened by `leaseDriftTicks` for clock drift), falling back to `safe` otherwise.
 */
export type ReadOnlyOption = 'safe' | 'lease';

export interface RaftConfig {
  readonly id: NodeId;
  readonly storage: Storage;
  readonly rng: Rng;
  /**
   * Ticks without hearing from a leader before a follower campaigns: randomized in
   * [T, T + electionJitterTicks). T is also what CheckQuorum and the lease count on.
   */
  readonly electionTimeoutTicks?: number;
  /**
   * The width of the randomization (default T: Raft's [T, 2T)). A narrower one shortens the worst
   * failover without lowering T, which is what a leader's pause must stay under; it only has to
   * be wide enough that two followers rarely time out in the same tick (a split vote).
   */
  readonly electionJitterTicks?: number;
  /** Ticks between leader heartbeats. Must be < electionTimeoutTicks. */
  readonly heartbeatTicks?: number;
  /** The last index the state machine applied before a restart (0: replay from the snapshot). */
  readonly applied?: number;
  /** Upper bound on the entries one AppendEntries carries. */
  readonly maxSizePerMsgBytes?: number;
  /** Upper bound on AppendEntries in flight to one follower (pipelining window). */
  readonly maxInflightMsgs?: number;
  /** Upper bound on committed entries handed out in one Ready. */
  readonly maxApplyBytesPerReady?: number;
  /** A leader refuses proposals while this many bytes of its log are uncommitted. */
  readonly maxUncommittedBytes?: number;
  readonly checkQuorum?: boolean;
  readonly preVote?: boolean;
  readonly readOnlyOption?: ReadOnlyOption;
  /** Ticks by which the lease is shortened to allow for clock drift between nodes. */
  readonly leaseDriftTicks?: number;
  /** Resend a snapshot no one acknowledged after this many ticks (reportSnapshot is the fast path). */
  readonly snapshotTimeoutTicks?: number;
  /**
   * Send a follower the new commit index as soon as it advances (etcd's behaviour; the ported
   * etcd interaction tests expect it). Off by default: the next append or heartbeat carries it,
   * so a commit costs one frame each way per follower instead of two (see flushAppends).
   */
  readonly eagerCommitPropagation?: boolean;
}

export type ResolvedRaftConfig = Required<RaftConfig>;

/** Defaults live here and nowhere else; the combination is validated once, at construction. */
export function resolveConfig(c: RaftConfig): ResolvedRaftConfig {
  // an option passed as undefined takes its default (a spread would let undefined override it)
  const given = Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as RaftConfig;
  const r: ResolvedRaftConfig = {
    electionTimeoutTicks: 10,
    electionJitterTicks: given.electionTimeoutTicks ?? 10,
    heartbeatTicks: 1,
    applied: 0,
    maxSizePerMsgBytes: 1 << 20,
    maxInflightMsgs: 256,
    maxApplyBytesPerReady: 64 << 20,
    maxUncommittedBytes: 64 << 20,
    checkQuorum: true,
    preVote: true,
    readOnlyOption: 'safe',
    leaseDriftTicks: 2,
    snapshotTimeoutTicks: 10 * (given.electionTimeoutTicks ?? 10),
    eagerCommitPropagation: false,
    ...given,
  };
  invariant(Number.isInteger(r.id) && r.id > 0, `node id must be a positive integer, got ${r.id}`);
  invariant(r.heartbeatTicks > 0, 'heartbeatTicks must be > 0');
  invariant(r.electionTimeoutTicks > r.heartbeatTicks, 'electionTimeoutTicks must be > heartbeatTicks');
  invariant(
    Number.isInteger(r.electionJitterTicks) && r.electionJitterTicks >= 1,
    'electionJitterTicks must be an integer >= 1',
  );
  invariant(r.maxInflightMsgs > 0, 'maxInflightMsgs must be > 0');
  invariant(r.maxSizePerMsgBytes > 0, 'maxSizePerMsgBytes must be > 0');
  invariant(
    r.leaseDriftTicks >= 1 && r.leaseDriftTicks < r.electionTimeoutTicks,
    'leaseDriftTicks must be in [1, electionTimeoutTicks)',
  );
  invariant(!(r.readOnlyOption === 'lease' && !r.checkQuorum), 'lease reads require checkQuorum');
  invariant(r.snapshotTimeoutTicks > r.electionTimeoutTicks, 'snapshotTimeoutTicks must be > electionTimeoutTicks');
  return r;
}
