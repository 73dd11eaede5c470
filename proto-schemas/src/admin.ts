/**
 * Cluster administration (issue 7): membership changes, leadership transfer and the online
 * backup. Every type starts with `admin.`, which the token permissions map to `admin`.
 *
 * Members are named by their node name (`n4`): `memberId` in requests (`id` is the request's),
 * `id` in results as in `status`. The server derives the Raft id from the name.
 * Membership requests are answered by the leader (others answer NOT_LEADER with its URL); the
 * backup is read from whichever node answers, at a linearizable point.
 */
import { z } from 'zod';
import { DurationMsSchema, requestFields, utf8String } from './common.js';
import { LIMITS } from './limits.js';

/** The node names `baton-server --id` accepts: the Raft id is a hash of this name. */
export const NODE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const NodeNameSchema = z.string().regex(NODE_NAME_PATTERN, {
  error: 'must be 1-63 of [A-Za-z0-9_.-], starting with a letter or digit',
});

function parsedUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/** Where peers dial a member: `http(s)://host:port`, nothing after the port. */
export const PeerUrlSchema = utf8String(1, LIMITS.maxMemberUrlBytes).refine(
  (text) => {
    const u = parsedUrl(text);
    return (
      u !== null &&
      (u.protocol === 'http:' || u.protocol === 'https:') &&
      u.host !== '' &&
      (u.pathname === '/' || u.pathname === '') &&
      u.search === '' &&
      u.hash === '' &&
      u.username === '' &&
      u.password === ''
    );
  },
  { error: 'must be http(s)://host:port with no path, query or credentials' },
);

/** Where clients reach a member: `ws(s)://host:port/v1/client` (a proxy may add a path). */
export const ClientUrlSchema = utf8String(1, LIMITS.maxMemberUrlBytes).refine(
  (text) => {
    const u = parsedUrl(text);
    return u !== null && (u.protocol === 'ws:' || u.protocol === 'wss:') && u.host !== '';
  },
  { error: 'must be a ws:// or wss:// URL' },
);

export const MEMBER_ROLES = ['voter', 'learner'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** One member as the leader sees it. */
export const AdminMemberSchema = z.strictObject({
  id: NodeNameSchema,
  peerUrl: z.string(),
  clientUrl: z.string(),
  role: z.enum(MEMBER_ROLES),
  isLeader: z.boolean(),
  /** The highest log index the leader knows this member has (the leader's own last durable index for itself). */
  matchIndex: z.int().nonnegative(),
  /** Entries the member is behind the leader's last index. */
  lagEntries: z.int().nonnegative(),
  /** The member answered the leader within the last election timeout. */
  reachable: z.boolean(),
});
export type AdminMember = z.output<typeof AdminMemberSchema>;

const WaitMsSchema = z.int().min(0).max(LIMITS.maxAdminWaitMs);

// ---------------------------------------------------------------------------- members

export const AdminMembersListRequestSchema = z.strictObject({ ...requestFields('admin.members.list') });
export const AdminMembersListResultSchema = z.strictObject({
  leaderId: NodeNameSchema,
  /** The Raft term. */
  term: z.int().nonnegative(),
  commitIndex: z.int().nonnegative(),
  members: z.array(AdminMemberSchema),
});
export type AdminMembersListResult = z.output<typeof AdminMembersListResultSchema>;

/** Adds a member as a learner: it receives the log but does not vote until promoted. */
export const AdminMembersAddRequestSchema = z.strictObject({
  ...requestFields('admin.members.add'),
  memberId: NodeNameSchema,
  peerUrl: PeerUrlSchema,
  /** Defaults to the peer URL's host and port with ws(s):// and /v1/client. */
  clientUrl: ClientUrlSchema.optional(),
});
export const AdminMemberResultSchema = z.strictObject({ member: AdminMemberSchema });
export type AdminMemberResult = z.output<typeof AdminMemberResultSchema>;

/**
 * Makes a learner a voter once it has caught up with the leader's log. Waits up to `timeoutMs`
 * (default 0: answer FAILED_PRECONDITION at once if it is behind).
 */
export const AdminMembersPromoteRequestSchema = z.strictObject({
  ...requestFields('admin.members.promote'),
  memberId: NodeNameSchema,
  timeoutMs: WaitMsSchema.optional(),
});

/** Removes a member; removing the leader hands leadership to another voter first. */
export const AdminMembersRemoveRequestSchema = z.strictObject({
  ...requestFields('admin.members.remove'),
  memberId: NodeNameSchema,
});

// ---------------------------------------------------------------------------- leadership

/** Hands leadership to voter `memberId` (Raft TimeoutNow) and answers once it leads. */
export const AdminLeaderTransferRequestSchema = z.strictObject({
  ...requestFields('admin.leader.transfer'),
  memberId: NodeNameSchema,
  timeoutMs: WaitMsSchema.optional(),
});
export const AdminLeaderTransferResultSchema = z.strictObject({
  leaderId: NodeNameSchema,
  term: z.int().nonnegative(),
});

// ---------------------------------------------------------------------------- backup

export const SnapshotIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'must be a snapshot id' });
const Sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be 64 lowercase hex digits' });

export const BackupMemberSchema = z.strictObject({
  id: NodeNameSchema,
  peerUrl: z.string(),
  clientUrl: z.string(),
  role: z.enum(MEMBER_ROLES),
});
export type BackupMember = z.output<typeof BackupMemberSchema>;

/**
 * Takes a consistent snapshot of the state machine (everything committed before the request)
 * and holds it on the answering node for `admin.snapshot.chunk` reads. A snapshot is larger than
 * a client frame, so it travels in chunks rather than in this answer.
 */
export const AdminSnapshotSaveRequestSchema = z.strictObject({ ...requestFields('admin.snapshot.save') });
export const AdminSnapshotSaveResultSchema = z.strictObject({
  snapshotId: SnapshotIdSchema,
  /** The Raft index the state reflects (every entry up to it applied), and that entry's term. */
  index: z.int().nonnegative(),
  term: z.int().nonnegative(),
  sizeBytes: z.int().nonnegative(),
  /** SHA-256 of the snapshot bytes, hex. */
  sha256: Sha256HexSchema,
  chunkBytes: z.int().positive().max(LIMITS.snapshotChunkBytes),
  members: z.array(BackupMemberSchema),
  /** The answering node's wall clock when it took the snapshot (for the file's header). */
  takenAtMs: z.int().nonnegative(),
  /** How long the node keeps the snapshot after the last chunk read. */
  holdMs: DurationMsSchema,
});
export type AdminSnapshotSaveResult = z.output<typeof AdminSnapshotSaveResultSchema>;

export const AdminSnapshotChunkRequestSchema = z.strictObject({
  ...requestFields('admin.snapshot.chunk'),
  snapshotId: SnapshotIdSchema,
  offset: z.int().nonnegative(),
});
export const AdminSnapshotChunkResultSchema = z.strictObject({
  offset: z.int().nonnegative(),
  /** At most chunkBytes bytes from `offset`, base64. */
  data: z.base64().max(Math.ceil(LIMITS.snapshotChunkBytes / 3) * 4),
  /** True when this chunk ends the snapshot (the node then forgets it). */
  done: z.boolean(),
});
