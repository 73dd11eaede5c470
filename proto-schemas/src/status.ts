/** The status read: who this node is, who leads, how far the log is, who the members are. */
import { z } from 'zod';
import { requestFields } from './common.js';

export const StatusRequestSchema = z.strictObject({ ...requestFields('status') });
export type StatusRequest = z.output<typeof StatusRequestSchema>;

/** The Raft roles (server/src/raft RoleName). */
export const NODE_ROLES = ['follower', 'preCandidate', 'candidate', 'leader'] as const;
export type NodeRole = (typeof NODE_ROLES)[number];

export const ClusterMemberSchema = z.strictObject({
  id: z.string(),
  /** The member's client WebSocket URL (`ws://host:port/v1/client`). */
  clientUrl: z.string(),
  role: z.enum(['voter', 'learner']),
});
export type ClusterMember = z.output<typeof ClusterMemberSchema>;

export const StatusResultSchema = z.strictObject({
  nodeId: z.string(),
  role: z.enum(NODE_ROLES),
  leaderId: z.string().nullable(),
  leaderClientUrl: z.string().nullable(),
  /** The Raft term (not an election's term). */
  term: z.int().nonnegative(),
  commitIndex: z.int().nonnegative(),
  appliedIndex: z.int().nonnegative(),
  members: z.array(ClusterMemberSchema),
});
export type StatusResult = z.output<typeof StatusResultSchema>;
