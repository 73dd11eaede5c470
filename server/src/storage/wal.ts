/**
 * The write-ahead log: an append-only sequence of segment files (segment.ts) holding framed
 * records (record.ts), with group commit and crash recovery.
 *
 * - `Wal.open(dir)` reads and verifies every segment in order, truncates a torn record at the
 *   very end of the last segment (it was never acknowledged: its fdatasync never returned) and
 *   throws WalCorruptionError for damage anywhere else. It returns the recovered log.
 * - `append(records)` validates the batch at once (so nothing replay would refuse is ever
 *   written), queues it, and resolves only after an fdatasync that covers it. One fdatasync
 *   covers every append queued since the previous one started (group commit). Where the file
 *   is opened with O_DSYNC (file-ops.ts) the write itself is that fdatasync: one system call.
 * - A failed write or fdatasync puts the WAL in a failed state for good: no retry (fsyncgate,
 *   RAFT-NOTES #10). Every later append rejects with WalFailedError; the node must restart.
 * - `releaseSegmentsBefore(index)` deletes the oldest segments once a snapshot makes them
 *   unnecessary (compaction). It never deletes the segment appends go to.
 */
import { join } from 'node:path';
import { invariant } from '../raft/storage.js';
import type { Entry, HardState } from '../raft/types.js';
import { WalClosedError, WalCorruptionError, WalFailedError } from './errors.js';
import { type FileOps, nodeFileOps, type WalFile } from './file-ops.js';
import type { EntryRecord, HardStateRecord, SnapshotRecord } from './record.js';
import { encodeRecordInto, recordSize } from './record.js';
import { advancePosition, type LogPosition, LogReplay, type RecoveredLog } from './replay.js';
import { createSegment, listSegments, type SegmentId, scanSegment, segmentPreamble } from './segment.js';
import { readStart, START_FILE, START_TEMP_FILE, writeStart } from './wal-start.js';

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
/** The encode buffer kept between writes starts at this size and grows up to the maximum. */
const INITIAL_WRITE_BUFFER_BYTES = 64 * 1024;
const MAX_REUSED_WRITE_BUFFER_BYTES = 8 * 1024 * 1024;
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
  /**
   * Recovery verifies every entry but returns only those at or after this index (default: all).
   * A caller with a snapshot at s passes s (or s + 1): a long log behind a snapshot is then never
   * held in memory.
   */
  readonly retainEntriesFrom?: number;
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
  /** A record checked by recordSize; encoded only when written, into one buffer per write. */
  | { readonly kind: 'write'; readonly record: AppendRecord; readonly size: number }
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

type SegmentFile = SegmentId & { readonly name: string };

/**
 * What a segment holds that decides whether recovery could start from an earlier segment's
 * beginning: the lowest entry index written into it before any snapshot marker (a later
 * overwrite can reach back below the segment's own start), and whether it holds a marker (after
 * which nothing earlier matters).
 */
interface SegmentReach {
  lowestEntry: number;
  marker: boolean;
}

function noteReach(reach: SegmentReach, record: AppendRecord): void {
  if (record.kind === 'snapshot') reach.marker = true;
  else if (record.kind === 'entry' && !reach.marker) {
    reach.lowestEntry = Math.min(reach.lowestEntry, record.entry.index);
  }
}

interface OpenSegment {
  readonly file: WalFile;
  readonly name: string;
  /** On-disk size: where the next write goes. */
  size: number;
}

/**
 * Told how long each group-commit batch took to become durable (write + fdatasync, or the O_DSYNC
 * write alone) and how many bytes it wrote: the node's metrics turn it into the fsync histogram
 * without the storage layer depending on a metrics library.
 */
export type WalSyncObserver = (durationMs: number, bytes: number) => void;

export class Wal {
  /** Set by the owner after open; called after every successful batch sync. */
  syncObserver: WalSyncObserver | null = null;
  private tail: Tail;
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private failure: Error | null = null;
  private closed = false;
  /** Reused for every write that fits (writeBufferFor). */
  private writeBuffer = Buffer.allocUnsafeSlow(INITIAL_WRITE_BUFFER_BYTES);
  /** Releases run one at a time, oldest segment first. */
  private releasing: Promise<unknown> = Promise.resolve();
  /** By segment seq, counting appends already planned (queued), not only those on disk. */
  private readonly reach: Map<number, SegmentReach>;

  private constructor(
    private readonly dir: string,
    private readonly ops: FileOps,
    private readonly segmentSizeBytes: number,
    private current: OpenSegment,
    tail: Tail,
    /** Every segment file on disk, in sequence order. Invariant: the last one is `current`. */
    private readonly segments: SegmentFile[],
    reach: Map<number, SegmentReach>,
  ) {
    this.tail = tail;
    this.reach = reach;
  }

  /** Opens (creating it if empty) the WAL in `dir` and recovers its contents. */
  static async open(dir: string, options: WalOptions = {}): Promise<{ wal: Wal; recovered: WalRecovery }> {
    const ops = options.fileOps ?? nodeFileOps;
    const segmentSizeBytes = options.segmentSizeBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!Number.isSafeInteger(segmentSizeBytes) || segmentSizeBytes < MIN_SEGMENT_BYTES) {
      throw new RangeError(`segmentSizeBytes must be an integer >= ${MIN_SEGMENT_BYTES}, got ${segmentSizeBytes}`);
    }
    await ops.mkdirp(dir);
    const names = await ops.readdir(dir);
    const listed = await listSegments(ops, dir, names);
    // a temp file is a segment creation (or START update) that never reached its rename: nothing
    // in it counts
    const temps = [...listed.temps, ...(names.includes(START_TEMP_FILE) ? [START_TEMP_FILE] : [])];
    // segments before START are left from a compaction that a crash interrupted
    const start = await readStart(ops, dir, names);
    const released = start === null ? [] : listed.segments.filter((s) => s.seq < start).map((s) => s.name);
    for (const name of [...temps, ...released]) await ops.unlink(join(dir, name));
    if (temps.length + released.length > 0) await ops.syncDir(dir);
    const segments = start === null ? listed.segments : listed.segments.filter((s) => s.seq >= start);
    if (start !== null && segments[0]?.seq !== start) {
      throw new WalCorruptionError(START_FILE, 0, `the log starts at segment ${start}, which is missing`);
    }

    if (segments.length === 0) {
      const firstIndex = options.firstIndex ?? 1;
      const id = { seq: 1, firstIndex };
      const seg = await createSegment(ops, dir, id, null);
      const position = { firstIndex, lastIndex: firstIndex - 1 };
      const tail = { seq: 1, segmentBytes: seg.size, segmentHasRecords: false, position, hardState: null };
      const recovered = { ...new LogReplay(firstIndex).result(), truncatedTail: null, segments: 0 };
      const files = [{ ...id, name: seg.name }];
      return { wal: new Wal(dir, ops, segmentSizeBytes, { ...seg }, tail, files, new Map()), recovered };
    }

    const first = segments[0] as (typeof segments)[number];
    const replay = new LogReplay(first.firstIndex, options.retainEntriesFrom);
    let truncatedTail: WalRecovery['truncatedTail'] = null;
    let lastScan: { validBytes: number; records: number } = { validBytes: 0, records: 0 };
    const reach = new Map<number, SegmentReach>();
    // one buffer for every segment in turn; entries are copied out of it as they are kept
    let scratch: Buffer | null = null;
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
      const bytes = await ops.readFileInto(join(dir, seg.name), scratch);
      scratch = Buffer.from(bytes.buffer); // all of it: ours alone (readFileInto's contract)
      const scan = scanSegment(bytes, seg.name, seg, isLast, { entryData: 'view' });
      const segReach = { lowestEntry: Number.POSITIVE_INFINITY, marker: false };
      for (const { record, offset } of scan.records) {
        const problem = replay.apply(record);
        if (problem !== null) throw new WalCorruptionError(seg.name, offset, problem);
        if (record.kind !== 'segmentHeader') noteReach(segReach, record);
      }
      reach.set(seg.seq, segReach);
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
    const files = segments.map(({ seq, firstIndex, name }) => ({ seq, firstIndex, name }));
    const wal = new Wal(dir, ops, segmentSizeBytes, current, tail, files, reach);
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

  /** Names of the segment files on disk, oldest first (the last is where appends go). */
  get segmentNames(): string[] {
    return this.segments.map((s) => s.name);
  }

  /**
   * Deletes the oldest segments that recovery no longer needs to rebuild the log from `index` on:
   * every segment before the newest one that starts at or below `index`. Entries before `index`
   * must be covered by a durable snapshot (the caller's promise). The segment appends go to is
   * never deleted. Resolves with the names removed.
   *
   * From then on the log's first index is that segment's start: an append below it is refused, as
   * recovery would refuse it. The first segment to keep is recorded in START (wal-start.ts) before
   * anything is deleted, so a crash or failure part-way leaves segments that recovery deletes.
   */
  releaseSegmentsBefore(index: number): Promise<string[]> {
    if (this.closed) return Promise.reject(new WalClosedError());
    const run = this.releasing.then(() => this.release(index));
    this.releasing = run.catch(() => {});
    return run;
  }

  private async release(index: number): Promise<string[]> {
    let keep = 0;
    for (const [i, seg] of this.segments.entries()) if (seg.firstIndex <= index) keep = i;
    // Defence against a caller that truncated below a segment's start (Raft never truncates what
    // a snapshot covers, but a WAL that cannot be replayed is worse than a few extra segments).
    while (keep > 0 && !this.canReplayFrom(keep)) keep -= 1;
    const doomed = this.segments.slice(0, keep);
    if (doomed.length === 0) return [];
    const kept = this.segments[keep] as SegmentFile;
    if (kept.firstIndex > this.tail.position.firstIndex) {
      this.tail = { ...this.tail, position: { ...this.tail.position, firstIndex: kept.firstIndex } };
    }
    await writeStart(this.ops, this.dir, kept.seq);
    const removed: string[] = [];
    for (const seg of doomed) {
      // gone for the log already (START); the files go oldest first, and a failure here leaves
      // files that a later release or recovery removes
      await this.ops.unlink(join(this.dir, seg.name));
      this.segments.shift();
      this.reach.delete(seg.seq);
      removed.push(seg.name);
    }
    await this.ops.syncDir(this.dir);
    return removed;
  }

  /** Whether replay starting at segment `i` accepts every entry after it (none below its start). */
  private canReplayFrom(i: number): boolean {
    const start = (this.segments[i] as SegmentFile).firstIndex;
    const lastSeq = this.tail.seq;
    for (let seq = (this.segments[i] as SegmentFile).seq; seq <= lastSeq; seq++) {
      const r = this.reach.get(seq);
      if (r === undefined) continue;
      if (r.lowestEntry < start) return false;
      if (r.marker) return true;
    }
    return true;
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
    let planned: ReturnType<Wal['plan']>;
    try {
      planned = this.plan(records);
    } catch (err) {
      return Promise.reject(err);
    }
    this.tail = planned.tail;
    for (const [seq, r] of planned.reach) this.reach.set(seq, r);
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
    await this.releasing; // no segment is deleted after close resolves (the lock may pass on)
    // after a failure the handle may already be closed (failed rollover); nothing to save then
    await this.current.file.close().catch((err: unknown) => {
      if (this.failure === null) throw err;
    });
  }

  /** Validates a batch and decides where segments roll over, without side effects. */
  private plan(records: readonly AppendRecord[]): { ops: WriteOp[]; tail: Tail; reach: Map<number, SegmentReach> } {
    let { seq, segmentBytes, segmentHasRecords, position, hardState } = this.tail;
    const ops: WriteOp[] = [];
    const reach = new Map<number, SegmentReach>();
    const noteIn = (s: number, record: AppendRecord): void => {
      if (record.kind === 'hardState') return;
      const known = reach.get(s) ?? this.reach.get(s);
      // the common case (an entry above the segment's lowest so far) changes nothing: no copy
      if (known !== undefined && record.kind === 'entry' && (known.marker || record.entry.index >= known.lowestEntry)) {
        return;
      }
      const r = reach.get(s) ?? { lowestEntry: Number.POSITIVE_INFINITY, marker: false, ...known };
      noteReach(r, record);
      reach.set(s, r);
    };
    for (const record of records) {
      if (record.kind !== 'entry' && record.kind !== 'hardState' && record.kind !== 'snapshot') {
        throw new TypeError(`cannot append a ${(record as { kind: string }).kind} record`);
      }
      const next = advancePosition(position, record);
      if (typeof next === 'string') throw new RangeError(`cannot append: ${next}`);
      const size = recordSize(record); // RangeError for values the format cannot hold
      // a record never straddles two segments; one bigger than a segment gets a segment of its own
      if (segmentHasRecords && segmentBytes + size > this.segmentSizeBytes) {
        seq += 1;
        const id = { seq, firstIndex: position.lastIndex + 1 };
        ops.push({ kind: 'roll', id, hardState });
        segmentBytes = segmentPreamble(id, hardState).length;
      }
      ops.push({ kind: 'write', record, size });
      noteIn(seq, record);
      segmentBytes += size;
      segmentHasRecords = true;
      position = next;
      if (record.kind === 'hardState') hardState = record.hardState;
    }
    return { ops, tail: { seq, segmentBytes, segmentHasRecords, position, hardState }, reach };
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
      const ops = batch.flatMap((p) => p.ops);
      const startedMs = performance.now();
      try {
        await this.writeAndSync(ops);
      } catch (err) {
        this.failure = err instanceof Error ? err : new Error(String(err));
        for (const p of batch) p.reject(new WalFailedError(this.failure));
        continue;
      }
      if (this.syncObserver !== null && ops.length > 0) this.syncObserver(performance.now() - startedMs, bytesOf(ops));
      for (const p of batch) p.resolve();
    }
    this.flushing = null;
  }

  /** Writes ops in order (one write per segment touched) and fdatasyncs each segment written. */
  private async writeAndSync(ops: readonly WriteOp[]): Promise<void> {
    let from = 0;
    for (const [i, op] of ops.entries()) {
      if (op.kind === 'write') continue;
      // the old segment must be durable before the next exists: recovery treats a torn record
      // anywhere but the last segment as corruption
      await this.writeRecords(ops, from, i);
      from = i + 1;
      await this.syncCurrent();
      await this.current.file.close();
      const seg = await createSegment(this.ops, this.dir, op.id, op.hardState);
      this.current = { ...seg };
      this.segments.push({ ...op.id, name: seg.name });
    }
    if (ops.length === 0) return; // a barrier: earlier flushes already synced
    await this.writeRecords(ops, from, ops.length);
    await this.syncCurrent();
  }

  /** fdatasync, unless the file's writes are durable already (O_DSYNC). */
  private async syncCurrent(): Promise<void> {
    if (!this.current.file.writesAreDurable) await this.current.file.datasync();
  }

  /**
   * A buffer of `bytes` to encode into. Writes run one at a time, so one buffer is reused while
   * batches fit: fresh memory is slow to touch on some machines, and that showed in the latency
   * of small appends.
   */
  private writeBufferFor(bytes: number): Buffer {
    if (bytes > MAX_REUSED_WRITE_BUFFER_BYTES) return Buffer.allocUnsafeSlow(bytes);
    if (this.writeBuffer.length < bytes) {
      this.writeBuffer = Buffer.allocUnsafeSlow(
        Math.min(MAX_REUSED_WRITE_BUFFER_BYTES, Math.max(bytes, 2 * this.writeBuffer.length)),
      );
    }
    return this.writeBuffer.subarray(0, bytes);
  }

  /** Encodes the 'write' ops in [from, to) into one buffer and writes it at the segment's end. */
  private async writeRecords(ops: readonly WriteOp[], from: number, to: number): Promise<void> {
    let total = 0;
    for (let i = from; i < to; i++) total += (ops[i] as WriteOp & { kind: 'write' }).size;
    if (total === 0) return;
    const bytes = this.writeBufferFor(total); // every byte of it is written below
    let offset = 0;
    for (let i = from; i < to; i++)
      offset += encodeRecordInto((ops[i] as WriteOp & { kind: 'write' }).record, bytes, offset);
    invariant(offset === total, `encoded ${offset} bytes, planned ${total}`);
    await this.current.file.write(bytes, this.current.size);
    this.current.size += total;
  }
}

function bytesOf(ops: readonly WriteOp[]): number {
  let bytes = 0;
  for (const op of ops) if (op.kind === 'write') bytes += op.size;
  return bytes;
}
