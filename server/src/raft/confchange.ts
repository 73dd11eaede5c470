import type { ConfChange, ConfChangeType } from './types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const TYPES: readonly ConfChangeType[] = ['addVoter', 'addLearner', 'removeNode'];

/** Conf changes travel in the log as small JSON documents: rare, and readable in a WAL dump. */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  return encoder.encode(JSON.stringify({ type: cc.type, nodeId: cc.nodeId }));
}

export function decodeConfChange(data: Uint8Array): ConfChange | null {
  try {
    const v = JSON.parse(decoder.decode(data)) as { type?: unknown; nodeId?: unknown };
    if (typeof v.nodeId !== 'number' || !Number.isInteger(v.nodeId) || v.nodeId <= 0) return null;
    if (!TYPES.includes(v.type as ConfChangeType)) return null;
    return { type: v.type as ConfChangeType, nodeId: v.nodeId };
  } catch {
    return null;
  }
}
