/**
 * Peer (node-to-node) frames: the Raft messages one node sends another, and the handshake that
 * opens a peer link. The shapes mirror the server's Raft `Message` structurally (this package never
 * imports the server): a flat record per message, fields a type does not use at their zero value.
 *
 * Raft traffic travels as binary WebSocket frames, one frame = one batch of messages:
 *
 *   frame    = u8 version (PEER_FRAME_VERSION) · varint count · message{count}
 *   message  = u8 type code · u8 flags (bit 0 reject, bit 1 has snapshot; other bits 0)
 *              · varint from, to, term, logTerm, index, commit, rejectHint, readId, leaseTick
 *              · varint ctx byte length · ctx (UTF-8)
 *              · varint entry count · entry{count}
 *              · [snapshot when flag bit 1]
 *   entry    = varint term · varint index · u8 entry type (0 normal, 1 confChange)
 *              · varint data byte length · data (raw)
 *   snapshot = varint index · varint term · varint voter count · varint voter{n}
 *              · varint learner count · varint learner{n} · varint data byte length · data (raw)
 *
 * A varint is unsigned LEB128 of a safe integer: at most 8 bytes, minimal (no trailing 0x00 byte),
 * below 2^53. A frame is valid only when it is consumed exactly (no trailing bytes), so every
 * strict prefix of a valid frame is invalid. The decoder checks every length against the bytes left
 * before it reads, never allocates from an unchecked length, and finally parses the result with
 * `PeerBatchSchema`: the zod schemas below are the contract, the binary layout is its encoding.
 *
 * The handshake is JSON text frames (see `PeerChallengeSchema`): challenge → hello → welcome.
 */
import { z } from 'zod';
import { LIMITS } from './limits.js';
import { ENTRY_SLAB_BYTES, MAX_SLAB_PACKED_ENTRY_BYTES, SlabCopier } from './slab.js';

// ---------------------------------------------------------------------------------------------
// Limits of the peer wire format (the frame size itself is LIMITS.maxPeerFrameBytes)

/** The binary batch format this build writes and reads. */
export const PEER_FRAME_VERSION = 1;
/** The handshake protocol version (`protocol` in challenge, hello and welcome). */
export const PEER_PROTOCOL_VERSION = 1 as const;
/** Messages in one frame. A sender splits a longer batch over several frames. */
export const MAX_PEER_BATCH_MESSAGES = 65_536;
/** Entries in one message (Raft bounds an append by bytes; this bounds the per-entry overhead). */
export const MAX_PEER_ENTRIES_PER_MESSAGE = 1_048_576;
/** A message's `ctx` (ReadIndex request context, 'transfer'), in UTF-8 bytes. */
export const MAX_PEER_CTX_BYTES = 4_096;
/** Voters and learners each, in a snapshot's configuration. */
export const MAX_PEER_CONF_MEMBERS = 1_024;
/** Cluster ids and node names in the handshake: 1..this many printable ASCII characters. */
export const MAX_PEER_NAME_BYTES = 128;
/** A handshake text frame. Anything longer is not a handshake. */
export const MAX_PEER_HANDSHAKE_BYTES = 2_048;
/** Nonces are this many random bytes, hex-encoded. */
export const PEER_NONCE_BYTES = 16;
/** A proof is an HMAC-SHA256, hex-encoded. */
export const PEER_PROOF_BYTES = 32;

/**
 * WebSocket close codes a peer link ends with (4000–4999 are the application's). An oversized
 * frame closes with 1009 (ws does it: `maxPayload`), a node shutting down with 1001.
 */
export const PEER_CLOSE_CODES = Object.freeze({
  /** The hello or welcome speaks a protocol version this node does not. */
  unsupportedProtocol: 4001,
  /** A handshake frame that does not parse, or a frame out of turn. */
  badHandshake: 4002,
  /** The other side belongs to another cluster. */
  wrongCluster: 4003,
  /** The hello names another node as its target (a stale address, a misrouted proxy). */
  wrongTarget: 4004,
  /** The sender is not one of this node's configured peers. */
  unknownPeer: 4005,
  /** A peer secret is configured and the proof is missing or wrong. */
  unauthenticated: 4006,
  /** The handshake did not finish in time. */
  handshakeTimeout: 4007,
  /** A Raft frame that does not decode: the link is closed, the node keeps serving. */
  badFrame: 4008,
  /** A newer link from the same peer took this one's place. */
  replaced: 4009,
  /** The peer was removed from the configuration. */
  removed: 4010,
  /** Too many links are handshaking at once. */
  overloaded: 4011,
  shuttingDown: 1001,
  frameTooLarge: 1009,
});
export type PeerCloseCode = (typeof PEER_CLOSE_CODES)[keyof typeof PEER_CLOSE_CODES];

// ---------------------------------------------------------------------------------------------
// Errors

export type PeerFrameErrorCode =
  /** Over LIMITS.maxPeerFrameBytes (or the handshake limit). */
  | 'FRAME_TOO_LARGE'
  /** A version byte or `protocol` this build does not speak. */
  | 'UNSUPPORTED_VERSION'
  /** The frame ends inside a field, or a length runs past its end. */
  | 'TRUNCATED'
  /** A byte that cannot be there: bad varint, flags, type code, UTF-8, JSON. */
  | 'MALFORMED'
  /** A count over one of the MAX_PEER_* limits. */
  | 'LIMIT_EXCEEDED'
  /** Bytes after the last message. */
  | 'TRAILING_BYTES'
  /** The decoded value breaks the schema, or a value handed to the encoder cannot be encoded. */
  | 'INVALID_MESSAGE';

/** Anything wrong with a peer frame, inbound or outbound. Callers branch on `code`. */
export class PeerFrameError extends Error {
  constructor(
    readonly code: PeerFrameErrorCode,
    message: string,
    /** Byte offset in the frame where decoding stopped, when known. */
    readonly offset?: number,
  ) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
    this.name = 'PeerFrameError';
  }
}

// ---------------------------------------------------------------------------------------------
// Schemas: the decoded structure

/** Message types that cross the network (the core's local types never do). Wire codes are fixed. */
export const PEER_MESSAGE_TYPE_CODES = Object.freeze({
  app: 1,
  appResp: 2,
  preVote: 3,
  preVoteResp: 4,
  vote: 5,
  voteResp: 6,
  snap: 7,
  heartbeat: 8,
  heartbeatResp: 9,
  timeoutNow: 10,
  readIndex: 11,
  readIndexResp: 12,
} as const);
export type PeerMessageType = keyof typeof PEER_MESSAGE_TYPE_CODES;
export const PEER_MESSAGE_TYPES = Object.freeze(Object.keys(PEER_MESSAGE_TYPE_CODES) as PeerMessageType[]);

export function isPeerMessageType(type: string): type is PeerMessageType {
  return Object.hasOwn(PEER_MESSAGE_TYPE_CODES, type);
}

const ENTRY_TYPE_CODES = Object.freeze({ normal: 0, confChange: 1 } as const);
const ENTRY_TYPES_BY_CODE = ['normal', 'confChange'] as const;
const MESSAGE_TYPES_BY_CODE: readonly (PeerMessageType | undefined)[] = (() => {
  const table: (PeerMessageType | undefined)[] = [];
  for (const type of PEER_MESSAGE_TYPES) table[PEER_MESSAGE_TYPE_CODES[type]] = type;
  return table;
})();

/** Terms, indexes, ticks, counters: non-negative safe integers. */
const UintSchema = z.int().nonnegative();
/** Raft node ids on the wire are positive (0 means "nobody" and is never an address). */
const PeerNodeIdSchema = z.int().positive();
const BytesSchema = z.custom<Uint8Array>((value) => value instanceof Uint8Array, { error: 'must be bytes' });

export const PeerEntrySchema = z.object({
  term: UintSchema,
  index: UintSchema,
  type: z.enum(ENTRY_TYPES_BY_CODE),
  data: BytesSchema,
});

export const PeerSnapshotSchema = z.object({
  metadata: z.object({
    index: UintSchema,
    term: UintSchema,
    confState: z.object({
      voters: z.array(PeerNodeIdSchema).max(MAX_PEER_CONF_MEMBERS),
      learners: z.array(PeerNodeIdSchema).max(MAX_PEER_CONF_MEMBERS),
    }),
  }),
  data: BytesSchema,
});

export const PeerMessageSchema = z.object({
  type: z.enum(PEER_MESSAGE_TYPES as [PeerMessageType, ...PeerMessageType[]]),
  from: PeerNodeIdSchema,
  to: PeerNodeIdSchema,
  term: UintSchema,
  logTerm: UintSchema,
  index: UintSchema,
  entries: z.array(PeerEntrySchema).max(MAX_PEER_ENTRIES_PER_MESSAGE),
  commit: UintSchema,
  reject: z.boolean(),
  rejectHint: UintSchema,
  snapshot: PeerSnapshotSchema.nullable(),
  // a UTF-16 code unit is at least one UTF-8 byte, so this is implied by the byte limit
  ctx: z.string().max(MAX_PEER_CTX_BYTES),
  readId: UintSchema,
  leaseTick: UintSchema,
});

export const PeerBatchSchema = z.array(PeerMessageSchema).max(MAX_PEER_BATCH_MESSAGES);

export type PeerEntry = z.infer<typeof PeerEntrySchema>;
export type PeerSnapshot = z.infer<typeof PeerSnapshotSchema>;
export type PeerMessage = z.infer<typeof PeerMessageSchema>;

type DeepReadonly<T> = T extends Uint8Array
  ? T
  : T extends readonly (infer U)[]
    ? readonly DeepReadonly<U>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;
/** What the encoder accepts: a PeerMessage, or anything shaped like one (the core's readonly Message). */
export type PeerMessageInput = DeepReadonly<PeerMessage>;

// ---------------------------------------------------------------------------------------------
// Encoding

const FLAG_REJECT = 0x01;
const FLAG_SNAPSHOT = 0x02;
const KNOWN_FLAGS = FLAG_REJECT | FLAG_SNAPSHOT;
/** Version byte + the longest count varint a batch can have. */
export const PEER_BATCH_HEADER_MAX_BYTES = 1 + varintBytes(MAX_PEER_BATCH_MESSAGES);

const utf8Encoder = new TextEncoder();
/** Entry data received from the leader, packed into shared slabs (see SlabCopier). */
const entryDataCopier = new SlabCopier(ENTRY_SLAB_BYTES, MAX_SLAB_PACKED_ENTRY_BYTES);
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function invalid(what: string): PeerFrameError {
  return new PeerFrameError('INVALID_MESSAGE', `cannot encode peer message: ${what}`);
}

function varintBytes(value: number): number {
  let n = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) n++;
  return n;
}

function checkUint(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw invalid(`${field} must be a non-negative safe integer`);
  return value;
}

function checkNodeId(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw invalid(`${field} must be a positive safe integer`);
  return value;
}

/**
 * UTF-8 size of `text`, refusing unpaired surrogates (TextEncoder would turn them into U+FFFD, so
 * the peer would read a different string than was sent).
 */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) throw invalid('ctx has an unpaired surrogate');
      bytes += 4;
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) throw invalid('ctx has an unpaired surrogate');
    else bytes += 3;
  }
  return bytes;
}

function checkMembers(ids: readonly number[], field: string): number {
  if (ids.length > MAX_PEER_CONF_MEMBERS) throw invalid(`${field} has more than ${MAX_PEER_CONF_MEMBERS} members`);
  let bytes = varintBytes(ids.length);
  for (const id of ids) bytes += varintBytes(checkNodeId(id, field));
  return bytes;
}

/**
 * Bytes `m` takes inside a frame. Validates `m` (throws PeerFrameError INVALID_MESSAGE for a value
 * the format cannot carry), so a sender can size its batches before it encodes them.
 */
export function peerMessageEncodedBytes(m: PeerMessageInput): number {
  if (!isPeerMessageType(m.type)) throw invalid(`type ${String(m.type)} never crosses the network`);
  let bytes = 2; // type code + flags
  bytes += varintBytes(checkNodeId(m.from, 'from'));
  bytes += varintBytes(checkNodeId(m.to, 'to'));
  bytes += varintBytes(checkUint(m.term, 'term'));
  bytes += varintBytes(checkUint(m.logTerm, 'logTerm'));
  bytes += varintBytes(checkUint(m.index, 'index'));
  bytes += varintBytes(checkUint(m.commit, 'commit'));
  bytes += varintBytes(checkUint(m.rejectHint, 'rejectHint'));
  bytes += varintBytes(checkUint(m.readId, 'readId'));
  bytes += varintBytes(checkUint(m.leaseTick, 'leaseTick'));
  if (typeof m.reject !== 'boolean') throw invalid('reject must be a boolean');
  if (typeof m.ctx !== 'string') throw invalid('ctx must be a string');
  const ctxBytes = utf8Length(m.ctx);
  if (ctxBytes > MAX_PEER_CTX_BYTES) throw invalid(`ctx is over ${MAX_PEER_CTX_BYTES} bytes`);
  bytes += varintBytes(ctxBytes) + ctxBytes;
  if (m.entries.length > MAX_PEER_ENTRIES_PER_MESSAGE) {
    throw invalid(`more than ${MAX_PEER_ENTRIES_PER_MESSAGE} entries`);
  }
  bytes += varintBytes(m.entries.length);
  for (const e of m.entries) {
    if (!Object.hasOwn(ENTRY_TYPE_CODES, e.type)) throw invalid(`entry type ${String(e.type)}`);
    if (!(e.data instanceof Uint8Array)) throw invalid('entry data must be bytes');
    bytes += varintBytes(checkUint(e.term, 'entry term')) + varintBytes(checkUint(e.index, 'entry index')) + 1;
    bytes += varintBytes(e.data.byteLength) + e.data.byteLength;
  }
  const s = m.snapshot;
  if (s !== null) {
    if (!(s.data instanceof Uint8Array)) throw invalid('snapshot data must be bytes');
    bytes += varintBytes(checkUint(s.metadata.index, 'snapshot index'));
    bytes += varintBytes(checkUint(s.metadata.term, 'snapshot term'));
    bytes += checkMembers(s.metadata.confState.voters, 'voters');
    bytes += checkMembers(s.metadata.confState.learners, 'learners');
    bytes += varintBytes(s.data.byteLength) + s.data.byteLength;
  }
  return bytes;
}

/** Total frame size for messages whose encoded sizes sum to `messageBytes`. */
export function peerBatchEncodedBytes(count: number, messageBytes: number): number {
  return 1 + varintBytes(count) + messageBytes;
}

class Writer {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}
  u8(value: number): void {
    this.bytes[this.pos++] = value;
  }
  varint(value: number): void {
    let v = value;
    while (v >= 0x80) {
      this.bytes[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.bytes[this.pos++] = v;
  }
  raw(data: Uint8Array): void {
    this.varint(data.byteLength);
    this.bytes.set(data, this.pos);
    this.pos += data.byteLength;
  }
  text(value: string, byteLength: number): void {
    this.varint(byteLength);
    const { written } = utf8Encoder.encodeInto(value, this.bytes.subarray(this.pos, this.pos + byteLength));
    this.pos += written;
  }
}

/**
 * Encodes a batch as one frame. Throws PeerFrameError: INVALID_MESSAGE for a message the format
 * cannot carry (a local message type, an unsafe integer…), LIMIT_EXCEEDED for too many messages,
 * FRAME_TOO_LARGE over LIMITS.maxPeerFrameBytes.
 */
export function encodePeerBatch(messages: readonly PeerMessageInput[]): Uint8Array {
  if (messages.length > MAX_PEER_BATCH_MESSAGES) {
    throw new PeerFrameError('LIMIT_EXCEEDED', `a frame carries at most ${MAX_PEER_BATCH_MESSAGES} messages`);
  }
  let messageBytes = 0;
  for (const m of messages) messageBytes += peerMessageEncodedBytes(m);
  const total = peerBatchEncodedBytes(messages.length, messageBytes);
  if (total > LIMITS.maxPeerFrameBytes) {
    throw new PeerFrameError('FRAME_TOO_LARGE', `frame of ${total} bytes is over ${LIMITS.maxPeerFrameBytes}`);
  }
  const w = new Writer(new Uint8Array(total));
  w.u8(PEER_FRAME_VERSION);
  w.varint(messages.length);
  for (const m of messages) {
    w.u8(PEER_MESSAGE_TYPE_CODES[m.type]);
    w.u8((m.reject ? FLAG_REJECT : 0) | (m.snapshot !== null ? FLAG_SNAPSHOT : 0));
    w.varint(m.from);
    w.varint(m.to);
    w.varint(m.term);
    w.varint(m.logTerm);
    w.varint(m.index);
    w.varint(m.commit);
    w.varint(m.rejectHint);
    w.varint(m.readId);
    w.varint(m.leaseTick);
    w.text(m.ctx, utf8Length(m.ctx));
    w.varint(m.entries.length);
    for (const e of m.entries) {
      w.varint(e.term);
      w.varint(e.index);
      w.u8(ENTRY_TYPE_CODES[e.type]);
      w.raw(e.data);
    }
    const s = m.snapshot;
    if (s !== null) {
      w.varint(s.metadata.index);
      w.varint(s.metadata.term);
      for (const ids of [s.metadata.confState.voters, s.metadata.confState.learners]) {
        w.varint(ids.length);
        for (const id of ids) w.varint(id);
      }
      w.raw(s.data);
    }
  }
  if (w.pos !== total) throw new Error(`peer frame size miscomputed: wrote ${w.pos} of ${total} bytes`);
  return w.bytes;
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** The fewest bytes an entry / a message can take: a count is refused when the rest cannot hold it. */
const MIN_ENTRY_BYTES = 4;
const MIN_MESSAGE_BYTES = 13;

class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  private fail(code: PeerFrameErrorCode, what: string): PeerFrameError {
    return new PeerFrameError(code, what, this.pos);
  }

  remaining(): number {
    return this.bytes.byteLength - this.pos;
  }

  u8(): number {
    if (this.pos >= this.bytes.byteLength) throw this.fail('TRUNCATED', 'frame ends inside a field');
    return this.bytes[this.pos++]!;
  }

  /** Unsigned LEB128, minimal, below 2^53: at most 8 bytes, the 8th at most 0x0f. */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.u8();
      if (i === 7 && byte > 0x0f) throw this.fail('MALFORMED', 'varint is not a safe integer');
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (byte === 0 && i > 0) throw this.fail('MALFORMED', 'varint is not minimal');
        return value;
      }
      scale *= 0x80;
    }
    throw this.fail('MALFORMED', 'varint is longer than 8 bytes');
  }

  /** A count of items of at least `minBytesEach`, checked against `max` and the bytes left. */
  count(max: number, minBytesEach: number, what: string): number {
    const n = this.varint();
    if (n > max) throw this.fail('LIMIT_EXCEEDED', `${what}: ${n} is over the limit of ${max}`);
    if (n * minBytesEach > this.remaining()) throw this.fail('TRUNCATED', `${what}: ${n} do not fit in the frame`);
    return n;
  }

  /**
   * A length-prefixed byte string, copied (the frame's buffer may be pooled by the socket); small
   * ones (entry data) into shared slabs, which a follower keeps thousands of in its log.
   */
  raw(): Uint8Array {
    const length = this.varint();
    if (length > this.remaining()) throw this.fail('TRUNCATED', `${length} bytes run past the end of the frame`);
    const data = entryDataCopier.copy(this.bytes.subarray(this.pos, this.pos + length));
    this.pos += length;
    return data;
  }

  text(maxBytes: number): string {
    const length = this.varint();
    if (length > maxBytes) throw this.fail('LIMIT_EXCEEDED', `text of ${length} bytes is over ${maxBytes}`);
    if (length > this.remaining()) throw this.fail('TRUNCATED', `${length} bytes run past the end of the frame`);
    try {
      const value = utf8Decoder.decode(this.bytes.subarray(this.pos, this.pos + length));
      this.pos += length;
      return value;
    } catch {
      throw this.fail('MALFORMED', 'text is not valid UTF-8');
    }
  }

  /** A Raft node id: positive (0 means "nobody" and is never an address). */
  nodeId(what: string): number {
    const at = this.pos;
    const id = this.varint();
    if (id < 1) throw new PeerFrameError('INVALID_MESSAGE', `${what}: a node id must be positive`, at);
    return id;
  }

  members(): number[] {
    const n = this.count(MAX_PEER_CONF_MEMBERS, 1, 'configuration members');
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push(this.nodeId('configuration member'));
    return ids;
  }
}

function readMessage(r: Reader): PeerMessage {
  const type = MESSAGE_TYPES_BY_CODE[r.u8()];
  if (type === undefined) throw new PeerFrameError('MALFORMED', 'unknown message type code', r.pos - 1);
  const flags = r.u8();
  if ((flags & ~KNOWN_FLAGS) !== 0) throw new PeerFrameError('MALFORMED', 'unknown flag bits', r.pos - 1);
  const from = r.nodeId('from');
  const to = r.nodeId('to');
  const term = r.varint();
  const logTerm = r.varint();
  const index = r.varint();
  const commit = r.varint();
  const rejectHint = r.varint();
  const readId = r.varint();
  const leaseTick = r.varint();
  const ctx = r.text(MAX_PEER_CTX_BYTES);
  const entryCount = r.count(MAX_PEER_ENTRIES_PER_MESSAGE, MIN_ENTRY_BYTES, 'entries');
  const entries: PeerEntry[] = [];
  for (let i = 0; i < entryCount; i++) {
    const entryTerm = r.varint();
    const entryIndex = r.varint();
    const entryType = ENTRY_TYPES_BY_CODE[r.u8()];
    if (entryType === undefined) throw new PeerFrameError('MALFORMED', 'unknown entry type', r.pos - 1);
    entries.push({ term: entryTerm, index: entryIndex, type: entryType, data: r.raw() });
  }
  let snapshot: PeerSnapshot | null = null;
  if ((flags & FLAG_SNAPSHOT) !== 0) {
    const snapIndex = r.varint();
    const snapTerm = r.varint();
    const voters = r.members();
    const learners = r.members();
    snapshot = { metadata: { index: snapIndex, term: snapTerm, confState: { voters, learners } }, data: r.raw() };
  }
  const reject = (flags & FLAG_REJECT) !== 0;
  return {
    type,
    from,
    to,
    term,
    logTerm,
    index,
    entries,
    commit,
    reject,
    rejectHint,
    snapshot,
    ctx,
    readId,
    leaseTick,
  };
}

/**
 * Decodes and validates one frame. Throws PeerFrameError (and nothing else) on any bad byte; the
 * messages returned satisfy PeerBatchSchema. Entry and snapshot data are copies, not views of `bytes`.
 */
export function decodePeerBatch(bytes: Uint8Array): PeerMessage[] {
  if (!(bytes instanceof Uint8Array)) throw new PeerFrameError('MALFORMED', 'a peer frame must be binary');
  if (bytes.byteLength > LIMITS.maxPeerFrameBytes) {
    throw new PeerFrameError(
      'FRAME_TOO_LARGE',
      `frame of ${bytes.byteLength} bytes is over ${LIMITS.maxPeerFrameBytes}`,
    );
  }
  const r = new Reader(bytes);
  const version = r.u8();
  if (version !== PEER_FRAME_VERSION) {
    throw new PeerFrameError('UNSUPPORTED_VERSION', `peer frame version ${version}, expected ${PEER_FRAME_VERSION}`, 0);
  }
  const count = r.count(MAX_PEER_BATCH_MESSAGES, MIN_MESSAGE_BYTES, 'messages');
  const messages: PeerMessage[] = [];
  for (let i = 0; i < count; i++) messages.push(readMessage(r));
  if (r.remaining() !== 0) throw new PeerFrameError('TRAILING_BYTES', 'bytes after the last message', r.pos);
  // Every field was checked as it was read (types and enums from their tables, varints below 2^53,
  // node ids positive, counts and lengths within their limits), which is all PeerBatchSchema asks:
  // running the schema over the result too cost more than decoding it. peer.test.ts checks, on
  // valid and corrupted frames, that whatever decodes satisfies the schema.
  return messages;
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid peer message';
  return `${issue.path.length > 0 ? issue.path.join('.') : 'frame'}: ${issue.message}`;
}

// ---------------------------------------------------------------------------------------------
// Handshake (JSON text frames)
//
// The accepting side speaks first, so that the connecting side's proof covers a nonce it could
// not have predicted (a recorded hello cannot be replayed), and the accepting side's proof covers
// the connecting side's nonce (a recorded welcome cannot be replayed either):
//
//   acceptor  → connector   PeerChallenge { nonce: acceptorNonce }
//   connector → acceptor    PeerHello     { clusterId, fromNodeName, toNodeName, nonce: connectorNonce, proof? }
//   acceptor  → connector   PeerWelcome   { clusterId, nodeName, proof? }
//
// Without a peer secret the proofs are absent and the names are taken on trust (use a private
// network or TLS). With one, each proof is an HMAC-SHA256 computed by the server package.

/** Printable ASCII without spaces: cluster ids and node names. */
const PeerNameSchema = z
  .string()
  .min(1)
  .max(MAX_PEER_NAME_BYTES)
  .regex(/^[\x21-\x7e]+$/, { error: 'must be printable ASCII without spaces' });
const NonceSchema = z
  .string()
  .regex(new RegExp(`^[0-9a-f]{${2 * PEER_NONCE_BYTES}}$`), { error: 'must be a hex nonce' });
const ProofSchema = z
  .string()
  .regex(new RegExp(`^[0-9a-f]{${2 * PEER_PROOF_BYTES}}$`), { error: 'must be a hex HMAC-SHA256' });

export const PeerChallengeSchema = z.strictObject({
  type: z.literal('peerChallenge'),
  protocol: z.literal(PEER_PROTOCOL_VERSION),
  nonce: NonceSchema,
});

export const PeerHelloSchema = z.strictObject({
  type: z.literal('peerHello'),
  protocol: z.literal(PEER_PROTOCOL_VERSION),
  clusterId: PeerNameSchema,
  /** Who is calling: one of the acceptor's configured peers. */
  fromNodeName: PeerNameSchema,
  /** Whom the caller means to reach: the acceptor refuses a hello meant for another node. */
  toNodeName: PeerNameSchema,
  nonce: NonceSchema,
  /** HMAC over the acceptor's challenge nonce and this hello, when a peer secret is configured. */
  proof: ProofSchema.optional(),
});

export const PeerWelcomeSchema = z.strictObject({
  type: z.literal('peerWelcome'),
  protocol: z.literal(PEER_PROTOCOL_VERSION),
  clusterId: PeerNameSchema,
  /** The acceptor's own name: the caller checks it is the node it meant to reach. */
  nodeName: PeerNameSchema,
  /** HMAC over the caller's hello nonce, when a peer secret is configured. */
  proof: ProofSchema.optional(),
});

export type PeerChallenge = z.infer<typeof PeerChallengeSchema>;
export type PeerHello = z.infer<typeof PeerHelloSchema>;
export type PeerWelcome = z.infer<typeof PeerWelcomeSchema>;

/** Cluster ids and node names must satisfy this to be used in a handshake. */
export function isValidPeerName(name: string): boolean {
  return PeerNameSchema.safeParse(name).success;
}

function decodeHandshake<T extends z.ZodType>(schema: T, text: string): z.infer<T> {
  if (typeof text !== 'string') throw new PeerFrameError('MALFORMED', 'a handshake frame must be text');
  if (text.length > MAX_PEER_HANDSHAKE_BYTES) {
    throw new PeerFrameError('FRAME_TOO_LARGE', `handshake frame over ${MAX_PEER_HANDSHAKE_BYTES} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PeerFrameError('MALFORMED', 'handshake frame is not JSON');
  }
  // an unknown protocol gets its own answer, so an operator sees a version skew as one
  if (typeof value === 'object' && value !== null && 'protocol' in value && value.protocol !== PEER_PROTOCOL_VERSION) {
    throw new PeerFrameError('UNSUPPORTED_VERSION', `peer protocol ${String(value.protocol)} is not supported`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new PeerFrameError('INVALID_MESSAGE', describeIssue(parsed.error));
  return parsed.data;
}

export function decodePeerChallenge(text: string): PeerChallenge {
  return decodeHandshake(PeerChallengeSchema, text);
}
export function decodePeerHello(text: string): PeerHello {
  return decodeHandshake(PeerHelloSchema, text);
}
export function decodePeerWelcome(text: string): PeerWelcome {
  return decodeHandshake(PeerWelcomeSchema, text);
}
