/**
 * The Raft core's data: entries, hard state, snapshots, configurations, messages and the Ready
 * the core hands to its driver. Shapes follow etcd-io/raft's raftpb, flattened for TypeScript.
 */

/** A node's id. Ids are positive integers; 0 means "nobody" (no leader, no vote). */
export type NodeId = number;
export const NONE: NodeId = 0;

export type EntryType = 'normal' | 'confChange';

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  /** Opaque to the core for `normal` entries; an encoded ConfChange for `confChange`. */
  readonly data: Uint8Array;
}

/** What must be durable before a vote or an acknowledgment leaves the node (Raft §5, figure 2). */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: NONE, commit: 0 });

/** Membership: voters count toward quorums; learners only receive the log (thesis §4.2.1). */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  /** The state machine's serialized state at `metadata.index`; opaque to the core. */
  readonly data: Uint8Array;
}

/**
 * Single-server membership changes (thesis §4.1). One change at a time, accepted only once the
 * leader has committed an entry of its own term (the fix for the bug Ongaro reported on
 * raft-dev in 2015); a change takes effect on every node when it is applied.
 */
export type ConfChangeType = 'addVoter' | 'addLearner' | 'removeNode';

export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
  /**
   * Opaque to the core: the node runtime keeps the member's name and addresses here, so they
   * are replicated with the change itself and every node (also one added later) learns them.
   */
  readonly context?: string;
}

export type RoleName = 'follower' | 'preCandidate' | 'candidate' | 'leader';

export interface SoftState {
  readonly lead: NodeId;
  readonly role: RoleName;
}

/** A linearizable read point: once `index` is applied, a read for `ctx` may be served (thesis §6.4). */
export interface ReadState {
  readonly index: number;
  readonly ctx: string;
}

export type MessageType =
  // local: never cross the network
  | 'hup'
  | 'beat'
  | 'checkQuorum'
  | 'unreachable'
  | 'snapStatus'
  | 'transferLeader'
  // peer messages
  | 'app'
  | 'appResp'
  | 'preVote'
  | 'preVoteResp'
  | 'vote'
  | 'voteResp'
  | 'snap'
  | 'heartbeat'
  | 'heartbeatResp'
  | 'timeoutNow'
  | 'readIndex'
  | 'readIndexResp';

/**
 * One flat message shape for every type (as etcd's raftpb.Message): fields a type does not use
 * hold their zero value, which keeps the hot path monomorphic.
 */
export interface Message {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  /** app: term of the entry at `index`; vote: candidate's last log term; appResp reject: hint term. */
  readonly logTerm: number;
  /** app: index preceding `entries`; appResp: highest matching index; vote: candidate's last index. */
  readonly index: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
  readonly reject: boolean;
  /** appResp reject: the follower's guess of the highest index that may match (fast backtracking). */
  readonly rejectHint: number;
  readonly snapshot: Snapshot | null;
  /** readIndex/readIndexResp: the caller's read context; vote/timeoutNow: 'transfer' marks a leadership transfer. */
  readonly ctx: string;
  /** heartbeat/heartbeatResp: id of the newest ReadIndex round the heartbeat confirms (0 = none). */
  readonly readId: number;
  /** heartbeat/heartbeatResp: the leader's tick count when it sent the heartbeat (lease reads). */
  readonly leaseTick: number;
}

export const NO_ENTRIES: readonly Entry[] = Object.freeze([]);

const BLANK: Message = Object.freeze({
  type: 'hup',
  from: NONE,
  to: NONE,
  term: 0,
  logTerm: 0,
  index: 0,
  entries: NO_ENTRIES,
  commit: 0,
  reject: false,
  rejectHint: 0,
  snapshot: null,
  ctx: '',
  readId: 0,
  leaseTick: 0,
});

/** Builds a message with every field present (zero values where not given). */
export function message(fields: Partial<Message> & Pick<Message, 'type'>): Message {
  return { ...BLANK, ...fields };
}

/** Messages that never leave the node. */
export function isLocalMessage(type: MessageType): boolean {
  return (
    type === 'hup' ||
    type === 'beat' ||
    type === 'checkQuorum' ||
    type === 'unreachable' ||
    type === 'snapStatus' ||
    type === 'transferLeader'
  );
}

/**
 * What the driver must do next, in this order (DESIGN §3): persist `hardState`, `entries` and
 * `snapshot` (fsync); send `messages` (allowed in parallel with the persist: they assert nothing
 * about this node's disk); send `messagesAfterPersist` only once the persist is durable; apply
 * `committedEntries`; serve `readStates` once applied reaches their index; then `advance()`.
 */
export interface Ready {
  readonly softState: SoftState | null;
  readonly hardState: HardState | null;
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | null;
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly messagesAfterPersist: readonly Message[];
  readonly readStates: readonly ReadState[];
  /** True when hardState's term or vote changed, or entries were appended: an fsync is required. */
  readonly mustSync: boolean;
}

/** Why the core refused a proposal. Operating outcomes, returned as values. */
export type ProposalRefusal =
  | 'notLeader'
  | 'transferInProgress'
  | 'confChangePending'
  | 'leaderNotYetCommittedInTerm'
  | 'invalidConfChange'
  | 'uncommittedLimit';

export type ProposeResult =
  | { readonly ok: true; readonly index: number; readonly term: number }
  | { readonly ok: false; readonly reason: ProposalRefusal };

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
