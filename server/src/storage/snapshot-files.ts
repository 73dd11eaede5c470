/**
 * Snapshot files: the state machine's snapshot plus its Raft metadata, one file per snapshot,
 * named `snap-<term>-<index>.snap` (both zero-padded to 16 decimal digits, so names sort oldest
 * first). Layout, all little-endian:
 *
 *   [u32 magic "BTNS"][u32 version][u64 index][u64 term]
 *   [u32 voter count][u32 learner count][u64 data length]
 *   [u64 voter id]*  [u64 learner id]*  [data]
 *   [u32 crc32c over every byte before it]
 *
 * The checksum covers the header too, and it is checked before any length field is believed.
 * Integers are u64 stored as two u32 halves and must be safe JavaScript integers.
 *
 * Writing (saveSnapshot): temp file, fdatasync, rename into place, fsync the directory
 * (RAFT-NOTES #11), so a snapshot file either exists whole or not at all; then old files are
 * removed so that normally the newest two remain.
 *
 * Reading (loadNewestSnapshot): the newest file that verifies wins. Damaged newer files and
 * leftover temp files are reported, never deleted: they are evidence for the operator. NOTE for
 * recovery: falling back to an older snapshot is only sound if the WAL still reaches back to it
 * (its first index <= older snapshot index + 1). Compacting the WAL only behind the *older* of the
 * two kept snapshots keeps that true; the caller must check it and refuse to start otherwise.
 *
 * Saves must not run concurrently on one directory (the data-directory lock keeps other
 * processes out; the node serializes its own saves).
 */
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import type { NodeId, Snapshot } from '../raft/types.js';
import { padNumber, parseNumberPair } from './file-names.js';
import { type FileOps, nodeFileOps, type WalFile } from './file-ops.js';

/** "BTNS" read as a little-endian u32: marks a Baton snapshot file. */
export const SNAPSHOT_MAGIC = 0x534e5442;
export const SNAPSHOT_FORMAT_VERSION = 1;
/** magic + version + index + term + voter count + learner count + data length. */
export const SNAPSHOT_HEADER_BYTES = 40;
const CRC_BYTES = 4;
/** Most voters + learners a file may list; more in a header is damage, not a big cluster. */
export const MAX_SNAPSHOT_MEMBERS = 65_536;
export const SNAPSHOT_TEMP_SUFFIX = '.tmp';

const SNAPSHOT_NAME = /^snap-(\d{16})-(\d{16})\.snap$/;
const TEMP_NAME = /^snap-.*\.snap\.tmp$/;

const RECOVERY_HINT =
  'If no snapshot verifies, the node must not start from this data directory: move it aside and ' +
  'restore it from a healthy peer (start with an empty data directory and let the leader send a ' +
  'snapshot) or from a backup snapshot.';

/** A snapshot file that does not verify. Thrown by decodeSnapshot; reported by loadNewestSnapshot. */
export class SnapshotCorruptionError extends Error {
  readonly code = 'SNAPSHOT_CORRUPTION';
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`snapshot corruption in ${file} at byte offset ${offset}: ${reason}`);
    this.name = 'SnapshotCorruptionError';
  }
}

/** Snapshot files exist but none of them verifies: the node refuses to start. */
export class NoValidSnapshotError extends Error {
  readonly code = 'NO_VALID_SNAPSHOT';
  constructor(
    readonly dir: string,
    readonly damaged: readonly DamagedSnapshotFile[],
  ) {
    super(
      `no snapshot file in ${dir} verifies (${damaged.map((d) => `${d.file}: ${d.reason}`).join('; ')}). ${RECOVERY_HINT}`,
    );
    this.name = 'NoValidSnapshotError';
  }
}

/**
 * Writing a snapshot failed. The new snapshot may or may not be on disk (after a failed fsync its
 * state is unknown: RAFT-NOTES #10), so the caller must not compact the WAL behind it. The
 * previous snapshot files are untouched.
 */
export class SnapshotWriteError extends Error {
  readonly code = 'SNAPSHOT_WRITE_FAILED';
  constructor(
    readonly file: string,
    cause: Error,
  ) {
    super(`writing snapshot ${file} failed: ${cause.message}`, { cause });
    this.name = 'SnapshotWriteError';
  }
}

export interface SnapshotId {
  readonly term: number;
  readonly index: number;
}

export function snapshotFileName(id: SnapshotId): string {
  return `snap-${padNumber(id.term, 'snapshot')}-${padNumber(id.index, 'snapshot')}.snap`;
}

export function parseSnapshotFileName(name: string): SnapshotId | null {
  const pair = parseNumberPair(SNAPSHOT_NAME, name);
  return pair === null ? null : { term: pair[0], index: pair[1] };
}

/** Oldest first: by term, then index (the order of the names). */
function compareIds(a: SnapshotId, b: SnapshotId): number {
  return a.term - b.term || a.index - b.index;
}

/** The snapshot files in `dir`, oldest first, and leftover temp files. */
export async function listSnapshotFiles(
  ops: FileOps,
  dir: string,
): Promise<{ snapshots: Array<SnapshotId & { name: string }>; temps: string[] }> {
  const snapshots: Array<SnapshotId & { name: string }> = [];
  const temps: string[] = [];
  for (const name of await ops.readdir(dir)) {
    if (TEMP_NAME.test(name)) temps.push(name);
    const id = parseSnapshotFileName(name);
    if (id !== null) snapshots.push({ ...id, name });
  }
  snapshots.sort(compareIds);
  temps.sort();
  return { snapshots, temps };
}

// ---------------------------------------------------------------------------------------------
// Encoding and decoding

/**
 * The bytes of a snapshot file around its data: the header with the member ids before it, the
 * checksum after it. saveSnapshot writes these and the data as they are, so saving never copies
 * the data (megabytes at 100,000 locks) into a second, whole-file buffer. Throws RangeError for
 * values the format cannot hold.
 */
export function snapshotFrame(snap: Snapshot): { readonly head: Buffer; readonly tail: Buffer } {
  const { index, term, confState } = snap.metadata;
  const members = [...confState.voters, ...confState.learners];
  if (members.length > MAX_SNAPSHOT_MEMBERS) throw new RangeError(`too many members: ${members.length}`);
  const head = Buffer.alloc(SNAPSHOT_HEADER_BYTES + members.length * 8);
  head.writeUInt32LE(SNAPSHOT_MAGIC, 0);
  head.writeUInt32LE(SNAPSHOT_FORMAT_VERSION, 4);
  writeU64(head, 8, index);
  writeU64(head, 16, term);
  head.writeUInt32LE(confState.voters.length, 24);
  head.writeUInt32LE(confState.learners.length, 28);
  writeU64(head, 32, snap.data.byteLength);
  for (const [i, id] of members.entries()) writeU64(head, SNAPSHOT_HEADER_BYTES + i * 8, id);
  const tail = Buffer.alloc(CRC_BYTES);
  tail.writeUInt32LE(crc32c(snap.data, crc32c(head)), 0);
  return { head, tail };
}

/** Encodes a whole snapshot file into one buffer. Throws RangeError for values the format cannot hold. */
export function encodeSnapshot(snap: Snapshot): Buffer {
  const { head, tail } = snapshotFrame(snap);
  return Buffer.concat([head, snap.data, tail]);
}

/** Decodes and verifies a snapshot file's bytes. Throws SnapshotCorruptionError naming `file`. */
export function decodeSnapshot(bytes: Uint8Array, file: string): Snapshot {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (offset: number, reason: string) => new SnapshotCorruptionError(file, offset, reason);
  if (b.length < SNAPSHOT_HEADER_BYTES + CRC_BYTES) {
    throw bad(b.length, `file is ${b.length} bytes, shorter than a header and checksum`);
  }
  const crcAt = b.length - CRC_BYTES;
  const stored = b.readUInt32LE(crcAt);
  const actual = crc32c(b.subarray(0, crcAt));
  if (stored !== actual) throw bad(crcAt, `checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)})`);
  const magic = b.readUInt32LE(0);
  if (magic !== SNAPSHOT_MAGIC) throw bad(0, `bad magic ${hex(magic)}`);
  const version = b.readUInt32LE(4);
  if (version !== SNAPSHOT_FORMAT_VERSION) throw bad(4, `unsupported format version ${version}`);
  const index = readU64(b, 8);
  const term = readU64(b, 16);
  if (index === null) throw bad(8, 'index is not a safe integer');
  if (term === null) throw bad(16, 'term is not a safe integer');
  const voterCount = b.readUInt32LE(24);
  const learnerCount = b.readUInt32LE(28);
  if (voterCount + learnerCount > MAX_SNAPSHOT_MEMBERS) {
    throw bad(24, `${voterCount} voters + ${learnerCount} learners is more than ${MAX_SNAPSHOT_MEMBERS}`);
  }
  const dataLength = readU64(b, 32);
  const bodyStart = SNAPSHOT_HEADER_BYTES + (voterCount + learnerCount) * 8;
  if (dataLength === null || bodyStart + dataLength + CRC_BYTES !== b.length) {
    throw bad(32, `header lengths do not add up to the file size ${b.length}`);
  }
  const ids: NodeId[] = [];
  for (let i = 0; i < voterCount + learnerCount; i++) {
    const id = readU64(b, SNAPSHOT_HEADER_BYTES + i * 8);
    if (id === null) throw bad(SNAPSHOT_HEADER_BYTES + i * 8, 'member id is not a safe integer');
    ids.push(id);
  }
  return {
    metadata: { index, term, confState: { voters: ids.slice(0, voterCount), learners: ids.slice(voterCount) } },
    // a copy, so the caller does not pin the whole file buffer through a view
    data: new Uint8Array(b.subarray(bodyStart, bodyStart + dataLength)),
  };
}

function writeU64(buf: Buffer, offset: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a u64 safe integer: ${value}`);
  buf.writeUInt32LE(value % 2 ** 32, offset);
  buf.writeUInt32LE(Math.floor(value / 2 ** 32), offset + 4);
}

function readU64(buf: Buffer, offset: number): number | null {
  const value = buf.readUInt32LE(offset) + buf.readUInt32LE(offset + 4) * 2 ** 32;
  return Number.isSafeInteger(value) ? value : null;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// Saving

export interface SavedSnapshot {
  /** Name of the new snapshot file in the directory. */
  readonly file: string;
  /** Older snapshot files and stale temp files removed afterwards. */
  readonly removed: readonly string[];
  /**
   * Set if removing old files failed. The new snapshot is durable regardless; the leftovers are
   * removed by a later save.
   */
  readonly cleanupError: Error | null;
}

/**
 * Writes `snap` durably into `dir` (created if missing) and resolves once the file and its name
 * are on disk. Then removes older files so that the new snapshot and the newest one before it
 * remain, plus stale temp files (a save that completes proves no other save is in flight).
 * Snapshot files that sort after the new one are left alone (not expected: loadNewestSnapshot
 * uses or reports them). Rejects with SnapshotWriteError, leaving existing snapshots untouched.
 */
export async function saveSnapshot(
  dir: string,
  snap: Snapshot,
  fileOps: FileOps = nodeFileOps,
): Promise<SavedSnapshot> {
  const { head, tail } = snapshotFrame(snap); // RangeError for unrepresentable values, before any I/O
  const id = { term: snap.metadata.term, index: snap.metadata.index };
  const name = snapshotFileName(id);
  const temp = join(dir, name + SNAPSHOT_TEMP_SUFFIX);
  try {
    await fileOps.mkdirp(dir);
    const file = await createTemp(fileOps, temp);
    try {
      await file.write(head, 0);
      await file.write(snap.data, head.byteLength);
      await file.write(tail, head.byteLength + snap.data.byteLength);
      await file.datasync();
    } catch (err) {
      await file.close().catch(() => {});
      // the temp never became a snapshot; remove it if we can (loadNewestSnapshot reports it if not)
      await fileOps.unlink(temp).catch(() => {});
      throw err;
    }
    await file.close();
    await fileOps.rename(temp, join(dir, name));
    await fileOps.syncDir(dir);
  } catch (err) {
    throw new SnapshotWriteError(name, err instanceof Error ? err : new Error(String(err)));
  }

  const removed: string[] = [];
  let cleanupError: Error | null = null;
  try {
    const { snapshots, temps } = await listSnapshotFiles(fileOps, dir);
    const older = snapshots.filter((s) => compareIds(s, id) < 0);
    const doomed = [...older.slice(0, -1).map((s) => s.name), ...temps];
    for (const n of doomed) {
      await fileOps.unlink(join(dir, n));
      removed.push(n);
    }
    if (removed.length > 0) await fileOps.syncDir(dir);
  } catch (err) {
    cleanupError = err instanceof Error ? err : new Error(String(err));
  }
  return { file: name, removed, cleanupError };
}

/** Creates the temp file; one left by an interrupted save of this same snapshot is replaced. */
async function createTemp(ops: FileOps, temp: string): Promise<WalFile> {
  try {
    return await ops.createExclusive(temp);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    await ops.unlink(temp);
    return ops.createExclusive(temp);
  }
}

// ---------------------------------------------------------------------------------------------
// Loading

export interface DamagedSnapshotFile {
  readonly file: string;
  readonly offset: number;
  readonly reason: string;
}

export interface LoadedSnapshot {
  /** The newest snapshot that verifies, or null when the directory holds no snapshot file. */
  readonly snapshot: Snapshot | null;
  /** Its file name, or null. */
  readonly file: string | null;
  /** Snapshot files newer than `file` that failed verification (newest first), kept on disk. */
  readonly damaged: readonly DamagedSnapshotFile[];
  /** Leftover temp files: interrupted saves. They never count as snapshots; kept on disk. */
  readonly leftoverTemps: readonly string[];
}

/**
 * Returns the newest snapshot in `dir` whose file verifies (checksum, header, and a name that
 * matches the header's term and index), reporting newer damaged files and leftover temps. A
 * missing directory or one without snapshot files gives `snapshot: null`. If snapshot files exist
 * but none verifies, throws NoValidSnapshotError: the WAL may already be compacted behind them, so
 * starting from nothing could silently lose committed entries.
 */
export async function loadNewestSnapshot(dir: string, fileOps: FileOps = nodeFileOps): Promise<LoadedSnapshot> {
  let listing: Awaited<ReturnType<typeof listSnapshotFiles>>;
  try {
    listing = await listSnapshotFiles(fileOps, dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { snapshot: null, file: null, damaged: [], leftoverTemps: [] };
    }
    throw err;
  }
  const { snapshots, temps } = listing;
  const damaged: DamagedSnapshotFile[] = [];
  for (const s of [...snapshots].reverse()) {
    let snapshot: Snapshot;
    try {
      snapshot = decodeSnapshot(await fileOps.readFile(join(dir, s.name)), s.name);
      const { term, index } = snapshot.metadata;
      if (term !== s.term || index !== s.index) {
        throw new SnapshotCorruptionError(s.name, 8, `header says term ${term} index ${index}, the file name does not`);
      }
    } catch (err) {
      if (!(err instanceof SnapshotCorruptionError)) throw err; // an I/O error is not damage: stop
      damaged.push({ file: s.name, offset: err.offset, reason: err.reason });
      continue;
    }
    return { snapshot, file: s.name, damaged, leftoverTemps: temps };
  }
  if (damaged.length > 0) throw new NoValidSnapshotError(dir, damaged);
  return { snapshot: null, file: null, damaged: [], leftoverTemps: temps };
}
