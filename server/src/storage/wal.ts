/**
 * The write-ahead log: an append-only sequence of segment files (segment.ts) holding framed
 * records (record.ts), with group commit and crash recovery.
 *
 * - `Wal.open(dir)` reads and verifies every segment in order, truncates a torn record at the
 *   very end of the last segment (it was never acknowledged: its fdatasync never returned) and
 *   throws WalCorruptionError for damage anywhere else. It returns the recovered log.
 * - `append(records)` validates the batch at once (so nothing replay would refuse is ever
 *   written), queues it, and resolves only after an fdatasync that covers it. One fdatasync
 *   covers every append queued since the previous one started (group commit).
 * - A failed write or fdatasync puts the WAL in a failed state for good: no retry (fsyncgate,
 *   RAFT-NOTES #10). Every later append rejects with WalFailedError; the node must restart.
 */
import { join } from 'node:path';
import type { Entry, HardState } from '../raft/types.js';
import { WalClosedError, WalCorruptionError, WalFailedError } from './errors.js';
import { type FileOps, nodeFileOps, type WalFile } from './file-ops.js';
import type { EntryRecord, HardStateRecord, SnapshotRecord } from './record.js';
import { encodeRecord } from './record.js';
import { advancePosition, type LogPosition, LogReplay, type RecoveredLog } from './replay.js';
import { createSegment, listSegments, type SegmentId, scanSegment, segmentPreamble } from './segment.js';

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
/** Small enough for tests to exercise rollover, large enough to hold a segment's preamble. */
export const MIN_SEGMENT_BYTES = 128;

/** The records a caller may append (segment headers are the WAL's own business). */
export type AppendRecord = EntryRecord | HardStateRecord | SnapshotRecord;

export interface WalOptions {
  /** A segment is closed and a new one started once the next record would make it larger. */
  readonly segmentSizeBytes?: number;
  readonly fileOps?: FileOps;
  /** Index of the first entry slot when creating a new, empty WAL (default 1). */
  readonly firstIndex?: number;
}

export interface WalRecovery extends RecoveredLog {
  /** The torn record that recovery cut off the last segment, if any (for the node's log). */
  readonly truncatedTail: { readonly file: string; readonly offset: number; readonly bytes: number } | null;
  /** Number of segment files read. */
  readonly segments: number;
}

/** The records for one Ready: its entries, then its hard state, written and synced together. */
export function readyRecords(entries: readonly Entry[], hardState: HardState | null): AppendRecord[] {
  const records: AppendRecord[] = entries.map((entry) => ({ kind: 'entry', entry }));
  if (hardState !== null) records.push({ kind: 'hardState', hardState });
  return records;
}

type WriteOp =
  | { readonly kind: 'write'; readonly bytes: Buffer }
  | { readonly kind: 'roll'; readonly id: SegmentId; readonly hardState: HardState | null };

interface Pending {
  readonly ops: WriteOp[];
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** Where appends go next, counting everything queued (not only what is already on disk). */
interface Tail {
  readonly seq: number;
  readonly segmentBytes: number;
  readonly segmentHasRecords: boolean;
  readonly position: LogPosition;
  readonly hardState: HardState | null;
}

interface OpenSegment {
  readonly file: WalFile;
  readonly name: string;
  /** On-disk size: where the next write goes. */
  size: number;
}

export class Wal {
  private tail: Tail;
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private failure: Error | null = null;
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly ops: FileOps,
    private readonly segmentSizeBytes: number,
    private current: OpenSegment,
    tail: Tail,
  ) {
    this.tail = tail;
  }

  /** Opens (creating it if empty) the WAL in `dir` and recovers its contents. */
  static async open(dir: string, options: WalOptions = {}): Promise<{ wal: Wal; recovered: WalRecovery }> {
    const ops = options.fileOps ?? nodeFileOps;
    const segmentSizeBytes = options.segmentSizeBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!Number.isSafeInteger(segmentSizeBytes) || segmentSizeBytes < MIN_SEGMENT_BYTES) {
      throw new RangeError(`segmentSizeBytes must be an integer >= ${MIN_SEGMENT_BYTES}, got ${segmentSizeBytes}`);
    }
    await ops.mkdirp(dir);
    const { segments, temps } = await listSegments(ops, dir);
    // a temp file is a segment creation that never reached its rename: nothing in it counts
    for (const t of temps) await ops.unlink(join(dir, t));
    if (temps.length > 0) await ops.syncDir(dir);

    if (segments.length === 0) {
      const firstIndex = options.firstIndex ?? 1;
      const id = { seq: 1, firstIndex };
      const seg = await createSegment(ops, dir, id, null);
      const position = { firstIndex, lastIndex: firstIndex - 1 };
      const tail = { seq: 1, segmentBytes: seg.size, segmentHasRecords: false, position, hardState: null };
      const recovered = { ...new LogReplay(firstIndex).result(), truncatedTail: null, segments: 0 };
      return { wal: new Wal(dir, ops, segmentSizeBytes, { ...seg }, tail), recovered };
    }

    const first = segments[0] as (typeof segments)[number];
    const replay = new LogReplay(first.firstIndex);
    let truncatedTail: WalRecovery['truncatedTail'] = null;
    let lastScan: { validBytes: number; records: number } = { validBytes: 0, records: 0 };
    for (const [i, seg] of segments.entries()) {
      const prev = segments[i - 1];
      if (prev !== undefined && seg.seq !== prev.seq + 1) {
        throw new WalCorruptionError(seg.name, 0, `segment ${prev.seq + 1} is missing`);
      }
      if (prev !== undefined && seg.firstIndex !== replay.position.lastIndex + 1) {
        throw new WalCorruptionError(
          seg.name,
          0,
          `segment starts at index ${seg.firstIndex} but the log before it ends at ${replay.position.lastIndex}`,
        );
      }
      const isLast = i === segments.length - 1;
      const bytes = await ops.readFile(join(dir, seg.name));
      const scan = scanSegment(bytes, seg.name, seg, isLast);
      for (const { record, offset } of scan.records) {
        const problem = replay.apply(record);
        if (problem !== null) throw new WalCorruptionError(seg.name, offset, problem);
      }
      if (scan.tornAt !== null) {
        truncatedTail = { file: seg.name, offset: scan.tornAt, bytes: bytes.byteLength - scan.tornAt };
      }
      lastScan = { validBytes: scan.validBytes, records: scan.records.length };
    }

    const last = segments[segments.length - 1] as (typeof segments)[number];
    const file = await ops.openExisting(join(dir, last.name));
    try {
      // cut the torn record off and make the cut durable before anything is appended after it
      if (truncatedTail !== null) await file.truncateAndSync(truncatedTail.offset);
    } catch (err) {
      await file.close().catch(() => {});
      throw err;
    }
    const recovered = replay.result();
    const tail: Tail = {
      seq: last.seq,
      segmentBytes: lastScan.validBytes,
      segmentHasRecords: lastScan.records > 0,
      position: replay.position,
      hardState: recovered.hardState,
    };
    const current = { file, name: last.name, size: lastScan.validBytes };
    const wal = new Wal(dir, ops, segmentSizeBytes, current, tail);
    return { wal, recovered: { ...recovered, truncatedTail, segments: segments.length } };
  }

  /** The error that failed the WAL, or null. Once set it never clears: restart the node. */
  get failed(): Error | null {
    return this.failure;
  }

  /** The log position after every append so far, durable or not. */
  get position(): LogPosition {
    return this.tail.position;
  }

  /** Name of the segment file appends currently go to. */
  get currentSegment(): string {
    return this.current.name;
  }

  /**
   * Appends a batch in order and resolves once an fdatasync covering it has returned. Rejects at
   * once (without failing the WAL) if the batch cannot follow the log: an entry index out of
   * [firstIndex, lastIndex + 1] or a value the format cannot hold. An empty batch is a barrier:
   * it resolves once everything appended before it is durable.
   */
  append(records: readonly AppendRecord[]): Promise<void> {
    if (this.failure !== null) return Promise.reject(new WalFailedError(this.failure));
    if (this.closed) return Promise.reject(new WalClosedError());
    let planned: { ops: WriteOp[]; tail: Tail };
    try {
      planned = this.plan(records);
    } catch (err) {
      return Promise.reject(err);
    }
    this.tail = planned.tail;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ops: planned.ops, resolve, reject });
      if (this.flushing === null) this.flushing = this.flushLoop();
    });
  }

  /** Waits for queued appends, then closes the current segment. Later appends reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flushing;
    // after a failure the handle may already be closed (failed rollover); nothing to save then
    await this.current.file.close().catch((err: unknown) => {
      if (this.failure === null) throw err;
    });
  }

  /** Encodes and validates a batch and decides where segments roll over, without side effects. */
  private plan(records: readonly AppendRecord[]): { ops: WriteOp[]; tail: Tail } {
    let { seq, segmentBytes, segmentHasRecords, position, hardState } = this.tail;
    const ops: WriteOp[] = [];
    for (const record of records) {
      if (record.kind !== 'entry' && record.kind !== 'hardState' && record.kind !== 'snapshot') {
        throw new TypeError(`cannot append a ${(record as { kind: string }).kind} record`);
      }
      const next = advancePosition(position, record);
      if (typeof next === 'string') throw new RangeError(`cannot append: ${next}`);
      const bytes = encodeRecord(record);
      // a record never straddles two segments; one bigger than a segment gets a segment of its own
      if (segmentHasRecords && segmentBytes + bytes.length > this.segmentSizeBytes) {
        seq += 1;
        const id = { seq, firstIndex: position.lastIndex + 1 };
        ops.push({ kind: 'roll', id, hardState });
        segmentBytes = segmentPreamble(id, hardState).length;
      }
      ops.push({ kind: 'write', bytes });
      segmentBytes += bytes.length;
      segmentHasRecords = true;
      position = next;
      if (record.kind === 'hardState') hardState = record.hardState;
    }
    return { ops, tail: { seq, segmentBytes, segmentHasRecords, position, hardState } };
  }

  private async flushLoop(): Promise<void> {
    // let appends issued in the same turn of the event loop share this fdatasync
    await Promise.resolve();
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      if (this.failure !== null) {
        for (const p of batch) p.reject(new WalFailedError(this.failure));
        continue;
      }
      try {
        await this.writeAndSync(batch.flatMap((p) => p.ops));
      } catch (err) {
        this.failure = err instanceof Error ? err : new Error(String(err));
        for (const p of batch) p.reject(new WalFailedError(this.failure));
        continue;
      }
      for (const p of batch) p.resolve();
    }
    this.flushing = null;
  }

  /** Writes ops in order (one write per segment touched) and fdatasyncs each segment written. */
  private async writeAndSync(ops: readonly WriteOp[]): Promise<void> {
    let chunks: Buffer[] = [];
    for (const op of ops) {
      if (op.kind === 'write') {
        chunks.push(op.bytes);
        continue;
      }
      // the old segment must be durable before the next exists: recovery treats a torn record
      // anywhere but the last segment as corruption
      await this.writeChunks(chunks);
      chunks = [];
      await this.current.file.datasync();
      await this.current.file.close();
      const seg = await createSegment(this.ops, this.dir, op.id, op.hardState);
      this.current = { ...seg };
    }
    if (chunks.length === 0 && ops.length === 0) return; // a barrier: earlier flushes already synced
    await this.writeChunks(chunks);
    await this.current.file.datasync();
  }

  private async writeChunks(chunks: Buffer[]): Promise<void> {
    if (chunks.length === 0) return;
    const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    await this.current.file.write(bytes, this.current.size);
    this.current.size += bytes.length;
  }
}
