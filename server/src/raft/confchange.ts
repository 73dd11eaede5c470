import type { ConfChange, ConfChangeType } from './types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const TYPES: readonly ConfChangeType[] = ['addVoter', 'addLearner', 'removeNode'];

/** Conf changes travel in the log as small JSON documents: rare, and readable in a WAL dump. */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  const doc =
    cc.context === undefined
      ? { type: cc.type, nodeId: cc.nodeId }
      : { type: cc.type, nodeId: cc.nodeId, context: cc.context };
  return encoder.encode(JSON.stringify(doc));
}

/** A context that is not a string is ignored (the change itself is still valid). */
export function decodeConfChange(data: Uint8Array): ConfChange | null {
  try {
    const v = JSON.parse(decoder.decode(data)) as { type?: unknown; nodeId?: unknown; context?: unknown };
    if (typeof v.nodeId !== 'number' || !Number.isInteger(v.nodeId) || v.nodeId <= 0) return null;
    if (!TYPES.includes(v.type as ConfChangeType)) return null;
    const cc = { type: v.type as ConfChangeType, nodeId: v.nodeId };
    return typeof v.context === 'string' ? { ...cc, context: v.context } : cc;
  } catch {
    return null;
  }
}

/**
 * The log a brand-new cluster starts from (etcd's Bootstrap): one committed `addVoter` entry per
 * initial member at term 1. The configuration then lives in the log itself, so a member added
 * later learns it by replaying the log (or from a snapshot), never from out-of-band state.
 */
export function bootstrapLog(
  voters: readonly number[],
  contexts: ReadonlyMap<number, string> = new Map(),
): {
  entries: { term: number; index: number; type: 'confChange'; data: Uint8Array }[];
  hardState: { term: number; vote: number; commit: number };
} {
  const entries = voters.map((nodeId, i) => {
    const context = contexts.get(nodeId);
    return {
      term: 1,
      index: i + 1,
      type: 'confChange' as const,
      data: encodeConfChange(
        context === undefined ? { type: 'addVoter', nodeId } : { type: 'addVoter', nodeId, context },
      ),
    };
  });
  return { entries, hardState: { term: 1, vote: 0, commit: entries.length } };
}
