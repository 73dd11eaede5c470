/**
 * WAL record framing. One frame on disk:
 *
 *   [u32 payload length][u32 crc32c over (type byte + payload)][u8 type][payload]
 *
 * all little-endian. The length is outside the checksum (it is needed to find the checksummed
 * bytes), so the decoder treats a length that runs past the end of the buffer carefully: see
 * `decodeFrames` for how a torn tail is told apart from a corrupted length field.
 *
 * Everything in a payload is fixed-width binary (no JSON): integers are u64 stored as two u32
 * halves and must be safe JavaScript integers (below 2^53).
 */
import { crc32c } from '@node-rs/crc32';
import type { Entry, EntryType, HardState } from '../raft/types.js';

/** Bytes before the payload: length (4) + crc (4) + type (1). */
export const FRAME_HEADER_BYTES = 9;
/** Largest payload a frame may carry. A larger length field on disk is corruption, not a big record. */
export const MAX_RECORD_PAYLOAD_BYTES = 16 * 1024 * 1024;
/** Largest `data` an entry may carry: the payload limit minus the entry's fixed fields. */
export const ENTRY_FIXED_BYTES = 17;
export const MAX_ENTRY_DATA_BYTES = MAX_RECORD_PAYLOAD_BYTES - ENTRY_FIXED_BYTES;

/** "BTNW" read as a little-endian u32: marks a Baton WAL segment. */
export const SEGMENT_MAGIC = 0x574e5442;
export const SEGMENT_FORMAT_VERSION = 1;

/** Record type bytes as stored on disk. 0 is never used, so a zero-filled region never decodes. */
export const RecordType = {
  segmentHeader: 1,
  entry: 2,
  hardState: 3,
  snapshot: 4,
} as const;

/** First record of every segment file: which segment this is and the log index it starts at. */
export interface SegmentHeaderRecord {
  readonly kind: 'segmentHeader';
  readonly seq: number;
  /** lastIndex + 1 of the log when the segment was created. */
  readonly firstIndex: number;
}
export interface EntryRecord {
  readonly kind: 'entry';
  readonly entry: Entry;
}
export interface HardStateRecord {
  readonly kind: 'hardState';
  readonly hardState: HardState;
}
/**
 * The log was reset to continue after a snapshot at (index, term): every entry before the marker
 * is discarded, the next entry must be index + 1 (MemoryStorage.applySnapshot's semantics).
 */
export interface SnapshotRecord {
  readonly kind: 'snapshot';
  readonly index: number;
  readonly term: number;
}
export type WalRecord = SegmentHeaderRecord | EntryRecord | HardStateRecord | SnapshotRecord;

const ENTRY_TYPE_CODES: Record<EntryType, number> = { normal: 0, confChange: 1 };
const ENTRY_TYPES_BY_CODE: readonly EntryType[] = ['normal', 'confChange'];

// ---------------------------------------------------------------------------------------------
// Encoding

/** Payload bytes of a segment header, hard state and snapshot marker. */
const HEADER_PAYLOAD_BYTES = 24;
const HARD_STATE_PAYLOAD_BYTES = 24;
const SNAPSHOT_PAYLOAD_BYTES = 16;

/**
 * The frame size of `record` in bytes. Checks every value the format must hold (u64 fields are
 * non-negative safe integers, entry data within MAX_ENTRY_DATA_BYTES) and throws RangeError
 * otherwise, so that a record that passed here always encodes.
 */
export function recordSize(record: WalRecord): number {
  switch (record.kind) {
    case 'segmentHeader':
      checkU64(record.seq, 'segment seq');
      checkU64(record.firstIndex, 'segment first index');
      return FRAME_HEADER_BYTES + HEADER_PAYLOAD_BYTES;
    case 'entry': {
      const e = record.entry;
      checkU64(e.term, 'entry term');
      checkU64(e.index, 'entry index');
      if (ENTRY_TYPE_CODES[e.type] === undefined) throw new RangeError(`entry ${e.index}: unknown type ${e.type}`);
      if (e.data.byteLength > MAX_ENTRY_DATA_BYTES) {
        throw new RangeError(`entry ${e.index}: ${e.data.byteLength} data bytes exceed ${MAX_ENTRY_DATA_BYTES}`);
      }
      return FRAME_HEADER_BYTES + ENTRY_FIXED_BYTES + e.data.byteLength;
    }
    case 'hardState':
      checkU64(record.hardState.term, 'hard state term');
      checkU64(record.hardState.vote, 'hard state vote');
      checkU64(record.hardState.commit, 'hard state commit');
      return FRAME_HEADER_BYTES + HARD_STATE_PAYLOAD_BYTES;
    case 'snapshot':
      checkU64(record.index, 'snapshot index');
      checkU64(record.term, 'snapshot term');
      return FRAME_HEADER_BYTES + SNAPSHOT_PAYLOAD_BYTES;
  }
}

/** Encodes one record as a complete frame. Throws RangeError for values the format cannot hold. */
export function encodeRecord(record: WalRecord): Buffer {
  const out = Buffer.allocUnsafe(recordSize(record)); // encodeRecordInto writes every byte
  encodeRecordInto(record, out, 0);
  return out;
}

/**
 * Encodes `record` into `buf` at `offset`, writing every byte of its frame, and returns the frame
 * size. The record must have passed recordSize (which checks its values) and fit in `buf`. Many
 * records encoded into one buffer make one write: no allocation per record on the append path.
 */
export function encodeRecordInto(record: WalRecord, buf: Buffer, offset: number): number {
  const p = offset + FRAME_HEADER_BYTES;
  let payloadBytes: number;
  let type: number;
  switch (record.kind) {
    case 'segmentHeader':
      buf.writeUInt32LE(SEGMENT_MAGIC, p);
      buf.writeUInt32LE(SEGMENT_FORMAT_VERSION, p + 4);
      writeU64(buf, p + 8, record.seq);
      writeU64(buf, p + 16, record.firstIndex);
      payloadBytes = HEADER_PAYLOAD_BYTES;
      type = RecordType.segmentHeader;
      break;
    case 'entry': {
      const e = record.entry;
      writeU64(buf, p, e.term);
      writeU64(buf, p + 8, e.index);
      buf[p + 16] = ENTRY_TYPE_CODES[e.type];
      buf.set(e.data, p + ENTRY_FIXED_BYTES);
      payloadBytes = ENTRY_FIXED_BYTES + e.data.byteLength;
      type = RecordType.entry;
      break;
    }
    case 'hardState':
      writeU64(buf, p, record.hardState.term);
      writeU64(buf, p + 8, record.hardState.vote);
      writeU64(buf, p + 16, record.hardState.commit);
      payloadBytes = HARD_STATE_PAYLOAD_BYTES;
      type = RecordType.hardState;
      break;
    case 'snapshot':
      writeU64(buf, p, record.index);
      writeU64(buf, p + 8, record.term);
      payloadBytes = SNAPSHOT_PAYLOAD_BYTES;
      type = RecordType.snapshot;
      break;
  }
  buf.writeUInt32LE(payloadBytes, offset);
  buf[offset + 8] = type;
  // type and payload are contiguous, so one checksum call covers both
  buf.writeUInt32LE(crc32c(buf.subarray(offset + 8, p + payloadBytes)), offset + 4);
  return FRAME_HEADER_BYTES + payloadBytes;
}

function checkU64(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} is not a u64 safe integer: ${value}`);
}

/** Writes a checked u64 (see recordSize) as two little-endian u32 halves. */
function writeU64(buf: Buffer, offset: number, value: number): void {
  buf.writeUInt32LE(value % 2 ** 32, offset);
  buf.writeUInt32LE(Math.floor(value / 2 ** 32), offset + 4);
}

// ---------------------------------------------------------------------------------------------
// Decoding

export interface DecodedRecord {
  readonly record: WalRecord;
  /** Byte offset of the frame in the scanned buffer. */
  readonly offset: number;
  /** Whole frame size in bytes (header + payload). */
  readonly size: number;
}

export type DecodeOutcome =
  /** Every byte belongs to a whole, verified record. */
  | { readonly kind: 'ok' }
  /** The bytes from `offset` to the end are an incomplete record (or zero fill): a torn write. */
  | { readonly kind: 'tornTail'; readonly offset: number; readonly reason: string }
  /** The frame at `offset` is damaged (bad CRC, impossible length, unknown type, bad payload). */
  | { readonly kind: 'corrupt'; readonly offset: number; readonly reason: string };

export interface DecodeOptions {
  /**
   * 'copy' (default): entry data is copied out, so `buf` may be reused or freed. 'view': entry
   * data points into `buf`; the caller copies what it keeps (copyEntryData) before reusing it.
   */
  readonly entryData?: 'copy' | 'view';
}

export interface DecodeResult {
  /** The whole records before the outcome's offset, in order. */
  readonly records: DecodedRecord[];
  readonly outcome: DecodeOutcome;
}

/**
 * Scans `buf` frame by frame. Stops at the first frame that is not whole and valid.
 *
 * A frame whose header or declared length runs past the end of the buffer is a torn tail, with
 * two exceptions that make it corruption instead:
 * - a whole, valid frame starts somewhere after it. A torn write leaves a prefix of what was
 *   appended, so nothing whole can follow an incomplete record; what does follow is a
 *   corrupted length field in front of intact records, and truncating there would drop records
 *   that were acknowledged.
 * - (for completeness) the declared length exceeds MAX_RECORD_PAYLOAD_BYTES.
 * A region of zero bytes running to the end is also a torn tail: file systems may extend a file
 * before its data reaches the disk, and type 0 is never a record.
 */
export function decodeFrames(buf: Uint8Array, options: DecodeOptions = {}): DecodeResult {
  const copy = (options.entryData ?? 'copy') === 'copy';
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const records: DecodedRecord[] = [];
  let offset = 0;
  while (offset < b.length) {
    const probe = probeFrame(b, offset);
    if (probe.kind === 'incomplete') {
      if (isZeroFrom(b, offset)) return { records, outcome: { kind: 'tornTail', offset, reason: 'zero-filled tail' } };
      if (hasWholeFrameAfter(b, offset + 1)) {
        return { records, outcome: { kind: 'corrupt', offset, reason: `${probe.reason}, but whole records follow` } };
      }
      return { records, outcome: { kind: 'tornTail', offset, reason: probe.reason } };
    }
    if (probe.kind === 'bad') {
      if (isZeroFrom(b, offset)) return { records, outcome: { kind: 'tornTail', offset, reason: 'zero-filled tail' } };
      return { records, outcome: { kind: 'corrupt', offset, reason: probe.reason } };
    }
    const size = FRAME_HEADER_BYTES + probe.length;
    const decoded = decodePayload(probe.type, b.subarray(offset + FRAME_HEADER_BYTES, offset + size), copy);
    if (typeof decoded === 'string') return { records, outcome: { kind: 'corrupt', offset, reason: decoded } };
    records.push({ record: decoded, offset, size });
    offset += size;
  }
  return { records, outcome: { kind: 'ok' } };
}

type Probe =
  | { kind: 'whole'; type: number; length: number }
  | { kind: 'incomplete'; reason: string }
  | { kind: 'bad'; reason: string };

/** Checks the frame at `offset`: length limit, completeness, checksum and type byte. */
function probeFrame(b: Buffer, offset: number): Probe {
  const remaining = b.length - offset;
  if (remaining < FRAME_HEADER_BYTES) {
    return { kind: 'incomplete', reason: `incomplete frame header (${remaining} of ${FRAME_HEADER_BYTES} bytes)` };
  }
  const length = b.readUInt32LE(offset);
  if (length > MAX_RECORD_PAYLOAD_BYTES) {
    return { kind: 'bad', reason: `impossible record length ${length} (limit ${MAX_RECORD_PAYLOAD_BYTES})` };
  }
  if (FRAME_HEADER_BYTES + length > remaining) {
    return {
      kind: 'incomplete',
      reason: `incomplete record (${remaining - FRAME_HEADER_BYTES} of ${length} payload bytes)`,
    };
  }
  const stored = b.readUInt32LE(offset + 4);
  const actual = crc32c(b.subarray(offset + 8, offset + FRAME_HEADER_BYTES + length));
  if (stored !== actual) {
    return { kind: 'bad', reason: `checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)})` };
  }
  const type = b.readUInt8(offset + 8);
  if (type < RecordType.segmentHeader || type > RecordType.snapshot) {
    return { kind: 'bad', reason: `unknown record type ${type}` };
  }
  return { kind: 'whole', type, length };
}

function hasWholeFrameAfter(b: Buffer, from: number): boolean {
  for (let o = from; o + FRAME_HEADER_BYTES <= b.length; o++) {
    // cheap filters first: a plausible type byte and a length that fits, then the checksum
    const type = b[o + 8] as number;
    if (type < RecordType.segmentHeader || type > RecordType.snapshot) continue;
    if (FRAME_HEADER_BYTES + b.readUInt32LE(o) > b.length - o) continue;
    if (probeFrame(b, o).kind === 'whole') return true;
  }
  return false;
}

function isZeroFrom(b: Buffer, offset: number): boolean {
  for (let i = offset; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** Decodes a checksummed payload; returns a reason string when it does not fit its type. */
function decodePayload(type: number, p: Buffer, copy: boolean): WalRecord | string {
  switch (type) {
    case RecordType.segmentHeader: {
      if (p.length !== 24) return `segment header payload is ${p.length} bytes, expected 24`;
      if (p.readUInt32LE(0) !== SEGMENT_MAGIC) return 'bad segment magic';
      const version = p.readUInt32LE(4);
      if (version !== SEGMENT_FORMAT_VERSION) return `unsupported segment format version ${version}`;
      const seq = readU64(p, 8);
      const firstIndex = readU64(p, 16);
      if (seq === null || firstIndex === null) return 'segment header field out of range';
      return { kind: 'segmentHeader', seq, firstIndex };
    }
    case RecordType.entry: {
      if (p.length < ENTRY_FIXED_BYTES) return `entry payload is ${p.length} bytes, expected >= ${ENTRY_FIXED_BYTES}`;
      const term = readU64(p, 0);
      const index = readU64(p, 8);
      const entryType = ENTRY_TYPES_BY_CODE[p.readUInt8(16)];
      if (term === null || index === null) return 'entry field out of range';
      if (entryType === undefined) return `unknown entry type ${p.readUInt8(16)}`;
      const view = p.subarray(ENTRY_FIXED_BYTES);
      // a plain Uint8Array either way (entries never hand out Buffers)
      const data = copy ? copyEntryData(view) : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      return { kind: 'entry', entry: { term, index, type: entryType, data } };
    }
    case RecordType.hardState: {
      if (p.length !== 24) return `hard state payload is ${p.length} bytes, expected 24`;
      const term = readU64(p, 0);
      const vote = readU64(p, 8);
      const commit = readU64(p, 16);
      if (term === null || vote === null || commit === null) return 'hard state field out of range';
      return { kind: 'hardState', hardState: { term, vote, commit } };
    }
    case RecordType.snapshot: {
      if (p.length !== 16) return `snapshot payload is ${p.length} bytes, expected 16`;
      const index = readU64(p, 0);
      const term = readU64(p, 8);
      if (index === null || term === null) return 'snapshot field out of range';
      return { kind: 'snapshot', index, term };
    }
    default:
      return `unknown record type ${type}`;
  }
}

/** Recovery copies small entries' data into shared slabs of this size. */
export const COPY_SLAB_BYTES = 1024 * 1024;
/** Larger entry data gets an allocation of its own. */
export const MAX_SLAB_COPY_BYTES = 64 * 1024;
let slab = new Uint8Array(0);
let slabUsed = 0;

/**
 * A copy of entry data that does not keep the buffer it came from (a whole segment) alive.
 * Small copies are packed into shared 1 MiB slabs, so recovering a million entries is not a
 * million allocations for the garbage collector to track. A slab stays alive while any entry in
 * it does: the waste is bounded by the slab size per run of live entries.
 */
export function copyEntryData(data: Uint8Array): Uint8Array {
  const n = data.byteLength;
  if (n > MAX_SLAB_COPY_BYTES) return data.slice();
  if (slabUsed + n > slab.byteLength) {
    slab = new Uint8Array(COPY_SLAB_BYTES);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + n);
  out.set(data);
  slabUsed += n;
  return out;
}

function readU64(buf: Buffer, offset: number): number | null {
  const value = buf.readUInt32LE(offset) + buf.readUInt32LE(offset + 4) * 2 ** 32;
  return Number.isSafeInteger(value) ? value : null;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
