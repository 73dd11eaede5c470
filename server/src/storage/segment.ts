/**
 * Segment files: `<seq>-<firstIndex>.wal`, both zero-padded to 16 decimal digits, so names sort
 * in write order. `firstIndex` is lastIndex + 1 of the log when the segment was created (what
 * compaction needs to know which segments lie wholly behind a snapshot). The sequence number is
 * there because first indexes alone need not increase: after Raft truncates a conflicting
 * suffix, the next segment may start below the previous one's first index.
 *
 * Every segment opens with a header record (seq, firstIndex) and then, if there is one, the
 * newest hard state, so dropping older segments never loses the hard state.
 */
import { join } from 'node:path';
import type { HardState } from '../raft/types.js';
import { WalCorruptionError } from './errors.js';
import { padNumber, parseNumberPair } from './file-names.js';
import type { FileOps, WalFile } from './file-ops.js';
import { type DecodedRecord, type DecodeOptions, decodeFrames, encodeRecord } from './record.js';

const SEGMENT_NAME = /^(\d{16})-(\d{16})\.wal$/;
/** Suffix of a segment being created; a leftover one is an interrupted creation and is removed. */
export const TEMP_SUFFIX = '.tmp';

export interface SegmentId {
  readonly seq: number;
  readonly firstIndex: number;
}

export function segmentFileName(id: SegmentId): string {
  return `${padNumber(id.seq, 'segment')}-${padNumber(id.firstIndex, 'segment')}.wal`;
}

export function parseSegmentFileName(name: string): SegmentId | null {
  const pair = parseNumberPair(SEGMENT_NAME, name);
  return pair === null ? null : { seq: pair[0], firstIndex: pair[1] };
}

/** The segment files in `dir` in sequence order, and leftover temp files. */
export async function listSegments(
  ops: FileOps,
  dir: string,
  names?: readonly string[],
): Promise<{ segments: Array<SegmentId & { name: string }>; temps: string[] }> {
  if (names === undefined) names = await ops.readdir(dir);
  const segments: Array<SegmentId & { name: string }> = [];
  const temps: string[] = [];
  for (const name of names) {
    if (name.endsWith(`.wal${TEMP_SUFFIX}`)) temps.push(name);
    const id = parseSegmentFileName(name);
    if (id !== null) segments.push({ ...id, name });
  }
  segments.sort((a, b) => a.seq - b.seq);
  return { segments, temps };
}

/** The bytes that open a segment: its header and the newest hard state. */
export function segmentPreamble(id: SegmentId, hardState: HardState | null): Buffer {
  const header = encodeRecord({ kind: 'segmentHeader', seq: id.seq, firstIndex: id.firstIndex });
  return hardState === null ? header : Buffer.concat([header, encodeRecord({ kind: 'hardState', hardState })]);
}

/**
 * Creates a segment so that it either exists whole with its preamble or not at all: write a temp
 * file, fdatasync it, rename it into place, fsync the directory (etcd#6368). Returns the open file
 * (the descriptor survives the rename) and its size.
 */
export async function createSegment(
  ops: FileOps,
  dir: string,
  id: SegmentId,
  hardState: HardState | null,
): Promise<{ file: WalFile; name: string; size: number }> {
  const name = segmentFileName(id);
  const temp = join(dir, name + TEMP_SUFFIX);
  const preamble = segmentPreamble(id, hardState);
  const file = await ops.createExclusive(temp);
  try {
    await file.write(preamble, 0);
    if (!file.writesAreDurable) await file.datasync();
    await ops.rename(temp, join(dir, name));
    await ops.syncDir(dir);
  } catch (err) {
    await file.close().catch(() => {});
    throw err;
  }
  return { file, name, size: preamble.length };
}

export interface ScannedSegment {
  /** Records after the header, in order. */
  readonly records: DecodedRecord[];
  /** Byte length of the valid prefix (where the next record goes). */
  readonly validBytes: number;
  /** Set when the segment ends in a torn record starting at this offset. */
  readonly tornAt: number | null;
}

/**
 * Decodes and verifies one segment's bytes. Throws WalCorruptionError for any damage, and for a
 * torn tail when `isLast` is false: segments are fdatasynced before the next one is created, so
 * only the last one can end in a torn write.
 */
export function scanSegment(
  bytes: Uint8Array,
  name: string,
  expected: SegmentId,
  isLast: boolean,
  options: DecodeOptions = {},
): ScannedSegment {
  const { records, outcome } = decodeFrames(bytes, options);
  if (outcome.kind === 'corrupt') throw new WalCorruptionError(name, outcome.offset, outcome.reason);
  const header = records[0]?.record;
  if (header === undefined) {
    // created via temp + rename, so a real segment always holds a whole header
    const offset = outcome.kind === 'tornTail' ? outcome.offset : 0;
    throw new WalCorruptionError(name, offset, 'segment has no whole header record');
  }
  if (header.kind !== 'segmentHeader') throw new WalCorruptionError(name, 0, 'segment does not start with a header');
  if (header.seq !== expected.seq || header.firstIndex !== expected.firstIndex) {
    throw new WalCorruptionError(
      name,
      0,
      `header says segment ${header.seq} starting at index ${header.firstIndex}, the file name says ${expected.seq} at ${expected.firstIndex}`,
    );
  }
  if (outcome.kind === 'tornTail' && !isLast) {
    throw new WalCorruptionError(name, outcome.offset, `${outcome.reason} in a segment that is not the last`);
  }
  const tornAt = outcome.kind === 'tornTail' ? outcome.offset : null;
  return { records: records.slice(1), validBytes: tornAt ?? bytes.byteLength, tornAt };
}
