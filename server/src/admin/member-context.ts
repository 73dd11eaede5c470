/**
 * A member's name and addresses, carried in the context of the conf change that adds it (and of
 * the bootstrap entries of a new cluster). Replicated with the change itself, they reach every
 * node — also one added later, which learns them by replaying the log or from a snapshot — and
 * survive restarts: no side channel, no file to keep in sync.
 */
import { LIMITS, NODE_NAME_PATTERN } from '@baton/proto-schemas';
import { type Member, nodeIdFromName } from '../node/members.js';
import type { NodeId } from '../raft/types.js';

export function encodeMemberContext(m: Member): string {
  return JSON.stringify({ name: m.name, peerUrl: m.peerUrl, clientUrl: m.clientUrl });
}

/**
 * The member a context describes, or null when it is not one of ours or does not fit `id`
 * (a context is data from the log: checked, never trusted to be well formed).
 */
export function decodeMemberContext(id: NodeId, context: string | undefined): Member | null {
  if (context === undefined) return null;
  let v: unknown;
  try {
    v = JSON.parse(context);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const { name, peerUrl, clientUrl } = v as Record<string, unknown>;
  if (typeof name !== 'string' || !NODE_NAME_PATTERN.test(name) || nodeIdFromName(name) !== id) return null;
  if (!isBoundedString(peerUrl) || !isBoundedString(clientUrl)) return null;
  return { name, id, peerUrl, clientUrl };
}

function isBoundedString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= LIMITS.maxMemberUrlBytes;
}
