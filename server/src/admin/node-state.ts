/**
 * What a node's snapshot holds: the coordination state machine's bytes and the replicated member
 * directory (member-registry.ts). Layout:
 *
 *   "BNOD"  u8 format  u32 big-endian length M  M bytes of JSON members  the state machine's bytes
 *
 * A snapshot that starts with the state machine's own magic ("BFSM") was written before the
 * directory existed: it restores with no replicated members (the --peers flags still route).
 */

import type { Member } from '../node/members.js';
import { nodeIdFromName } from '../node/members.js';
import { decodeMemberContext, encodeMemberContext } from './member-context.js';

const MAGIC = [0x42, 0x4e, 0x4f, 0x44]; // "BNOD"
const FSM_MAGIC = [0x42, 0x46, 0x53, 0x4d]; // "BFSM" (fsm/snapshot.ts)
const FORMAT_V1 = 1;
const HEADER_BYTES = MAGIC.length + 1 + 4;
/** Far above any real directory (a few members of a few hundred bytes each). */
const MAX_MEMBERS_JSON_BYTES = 1024 * 1024;

export class NodeStateError extends Error {
  readonly code = 'NODE_STATE_CORRUPT';
}

export function encodeNodeState(members: readonly Member[], fsm: Uint8Array): Uint8Array {
  const header = nodeStateHeader(members);
  const out = new Uint8Array(header.byteLength + fsm.byteLength);
  out.set(header, 0);
  out.set(fsm, header.byteLength);
  return out;
}

/**
 * Everything of a node snapshot before the state machine's bytes. The node's snapshots have the
 * state machine encode right after it, into one buffer: appending 11 MB of state machine bytes to
 * it afterwards (encodeNodeState) cost a fresh 11 MB buffer and a third of the snapshot's pause.
 */
export function nodeStateHeader(members: readonly Member[]): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(members.map((m) => encodeMemberContext(m))));
  const out = new Uint8Array(HEADER_BYTES + json.byteLength);
  out.set(MAGIC, 0);
  out[MAGIC.length] = FORMAT_V1;
  new DataView(out.buffer).setUint32(MAGIC.length + 1, json.byteLength, false);
  out.set(json, HEADER_BYTES);
  return out;
}

export function decodeNodeState(data: Uint8Array): { members: Member[]; fsm: Uint8Array } {
  if (startsWith(data, FSM_MAGIC)) return { members: [], fsm: data };
  if (!startsWith(data, MAGIC) || data.byteLength < HEADER_BYTES) throw new NodeStateError('not a node snapshot');
  if (data[MAGIC.length] !== FORMAT_V1) throw new NodeStateError(`unknown node snapshot format ${data[MAGIC.length]}`);
  const len = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(MAGIC.length + 1, false);
  if (len > MAX_MEMBERS_JSON_BYTES || HEADER_BYTES + len > data.byteLength) {
    throw new NodeStateError('node snapshot: member directory length out of range');
  }
  let docs: unknown;
  try {
    docs = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(HEADER_BYTES, HEADER_BYTES + len)),
    );
  } catch {
    throw new NodeStateError('node snapshot: member directory is not JSON');
  }
  if (!Array.isArray(docs)) throw new NodeStateError('node snapshot: member directory is not a list');
  const members: Member[] = [];
  for (const doc of docs) {
    const m = typeof doc === 'string' ? memberOf(doc) : null;
    if (m === null) throw new NodeStateError('node snapshot: a member entry is invalid');
    members.push(m);
  }
  return { members, fsm: data.subarray(HEADER_BYTES + len) };
}

/** A context names its member; the id follows from the name. */
function memberOf(context: string): Member | null {
  try {
    const name = (JSON.parse(context) as { name?: unknown } | null)?.name;
    return typeof name === 'string' ? decodeMemberContext(nodeIdFromName(name), context) : null;
  } catch {
    return null;
  }
}

function startsWith(data: Uint8Array, magic: readonly number[]): boolean {
  return magic.every((b, i) => data[i] === b);
}
