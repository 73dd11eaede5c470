/**
 * The Raft core's Storage on disk: a data directory with the lock, the WAL and snapshot files.
 *
 *   <dir>/LOCK    the process that has the directory open (dir-lock.ts)
 *   <dir>/wal/    WAL segments (wal.ts): entries, hard states, snapshot markers
 *   <dir>/snap/   snapshot files (snapshot-files.ts), the newest two
 *
 * Reads (the Storage interface) are served from an in-memory copy of the log (a MemoryStorage,
 * so the semantics are the core's own); writes go to both.
 *
 * Why the in-memory view may run ahead of the disk: `persist` updates it when it is called, and
 * the entries become durable only when its promise resolves. The core never treats an entry as
 * durable because Storage holds it: it tracks durability itself and learns it from `advance()`,
 * which the driver calls only after persist resolved (a follower's acknowledgment and a vote wait
 * for that too: messagesAfterPersist). What the core reads from Storage before then is used to
 * send entries to followers, and a leader may send entries it has not yet made durable, in
 * parallel with its own fsync (Raft thesis §10.2.1); it counts itself toward the quorum only after
 * advance(). If persist fails, the storage fails for good and the node must restart from the disk,
 * where the view is rebuilt from what actually is durable.
 */
import { join } from 'node:path';
import { invariant, MemoryStorage, RaftInvariantError, type Storage } from '../raft/storage.js';
import type { ConfState, Entry, HardState, Snapshot } from '../raft/types.js';
import { acquireDirLock, type DirLock } from './dir-lock.js';
import { StorageInconsistentError, WalClosedError, WalCompactionError, WalFailedError } from './errors.js';
import { type FileOps, nodeFileOps } from './file-ops.js';
import { reconcile } from './reconcile.js';
import { MAX_ENTRY_DATA_BYTES } from './record.js';
import {
  type DamagedSnapshotFile,
  listSnapshotFiles,
  loadNewestSnapshot,
  type SavedSnapshot,
  saveSnapshot,
} from './snapshot-files.js';
import { type AppendRecord, readyRecords, Wal, type WalRecovery, type WalSyncObserver } from './wal.js';

export const WAL_DIR = 'wal';
export const SNAP_DIR = 'snap';
/**
 * Entries kept in memory behind a new snapshot of the state machine, so that a follower that is
 * only a little behind can still be sent entries instead of a whole snapshot.
 */
export const DEFAULT_RETAIN_ENTRIES_AFTER_SNAPSHOT = 5000;

export interface DiskStorageOptions {
  /** WAL segment size (see Wal); default DEFAULT_SEGMENT_BYTES. */
  readonly segmentSizeBytes?: number;
  /** File system calls of the WAL and snapshot files, for fault injection in tests. */
  readonly fileOps?: FileOps;
  /** Entries kept behind a snapshot made by createSnapshot; default 5000. */
  readonly retainEntriesAfterSnapshot?: number;
  /** Told the duration of every WAL batch sync (the node's fsync latency metric). */
  readonly onWalSync?: WalSyncObserver;
}

/** What one Raft Ready asks to make durable (the driver's NodeStorage.persist takes the same). */
export interface PersistUpdate {
  readonly entries: readonly Entry[];
  readonly hardState: HardState | null;
  /** A snapshot received from the leader: it replaces the log. */
  readonly snapshot: Snapshot | null;
}

/** What recovery found, for the node's start-up log line. */
export interface DiskStorageOpenInfo {
  /** The torn record cut off the end of the WAL (never acknowledged), or null. */
  readonly truncatedTail: WalRecovery['truncatedTail'];
  /** Snapshot files newer than the one in use that failed verification (kept on disk). */
  readonly damagedSnapshots: readonly DamagedSnapshotFile[];
  /** Snapshot temp files left by interrupted saves (kept until the next save). */
  readonly leftoverSnapshotTemps: readonly string[];
  /** Index of the snapshot in use; 0 when there is none. */
  readonly snapshotIndex: number;
  /** Its file name, or null. */
  readonly snapshotFile: string | null;
  /**
   * True when the snapshot file was ahead of the WAL (a crash between saving a received snapshot
   * and logging its marker): the marker was appended at start-up and the log starts after it.
   */
  readonly adoptedSnapshot: boolean;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly hardState: HardState;
  /** WAL segment files read. */
  readonly walSegments: number;
  /** Pid of a crashed process whose stale lock was taken over, or null. */
  readonly tookOverLockFrom: number | null;
}

export class DiskStorage implements Storage {
  /** Set by the first failed persist (or snapshot save inside one); never cleared. */
  private failure: Error | null = null;
  private closed = false;
  /**
   * Non-null while a persist that carries a snapshot has not yet handed its records to the WAL:
   * later persists wait for it, so WAL records stay in persist-call order.
   */
  private issueBarrier: Promise<void> | null = null;
  /** Snapshot file saves run one at a time (saveSnapshot's requirement). */
  private snapshotSaves: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private readonly mem: MemoryStorage,
    private readonly wal: Wal,
    private readonly lock: DirLock,
    private readonly fileOps: FileOps,
    private readonly retainEntriesAfterSnapshot: number,
  ) {}

  /**
   * Opens the data directory (created if missing): takes its lock (DataDirLockedError if a live
   * process holds it), loads the newest snapshot that verifies, recovers the WAL, and checks that
   * they fit together. Throws WalCorruptionError, NoValidSnapshotError or StorageInconsistentError
   * when the data cannot be trusted: the node must not start from it (see README.md).
   */
  static async open(
    dir: string,
    options: DiskStorageOptions = {},
  ): Promise<{ storage: DiskStorage; info: DiskStorageOpenInfo }> {
    const fileOps = options.fileOps ?? nodeFileOps;
    const retain = options.retainEntriesAfterSnapshot ?? DEFAULT_RETAIN_ENTRIES_AFTER_SNAPSHOT;
    if (!Number.isSafeInteger(retain) || retain < 0) {
      throw new RangeError(`retainEntriesAfterSnapshot must be an integer >= 0, got ${retain}`);
    }
    await fileOps.mkdirp(dir);
    const lock = await acquireDirLock(dir);
    let wal: Wal | null = null;
    try {
      const snapDir = join(dir, SNAP_DIR);
      const loaded = await loadNewestSnapshot(snapDir, fileOps);
      const snapIndex = loaded.snapshot?.metadata.index ?? 0;
      const opened = await Wal.open(join(dir, WAL_DIR), {
        ...(options.segmentSizeBytes === undefined ? {} : { segmentSizeBytes: options.segmentSizeBytes }),
        fileOps,
        firstIndex: snapIndex + 1,
        // the entry at the snapshot index too: its term is checked against the snapshot's
        retainEntriesFrom: snapIndex,
      });
      wal = opened.wal;
      wal.syncObserver = options.onWalSync ?? null;
      const { recovered } = opened;
      const plan = reconcile(loaded.snapshot, recovered);
      if ('refuse' in plan) throw new StorageInconsistentError(dir, plan.refuse);
      if (plan.markerToWrite !== null) await wal.append([{ kind: 'snapshot', ...plan.markerToWrite }]);

      const mem = new MemoryStorage(loaded.snapshot === null ? {} : { snapshot: loaded.snapshot });
      mem.append(plan.entries);
      mem.setHardState(plan.hardState);
      const storage = new DiskStorage(dir, mem, wal, lock, fileOps, retain);
      const info: DiskStorageOpenInfo = {
        truncatedTail: recovered.truncatedTail,
        damagedSnapshots: loaded.damaged,
        leftoverSnapshotTemps: loaded.leftoverTemps,
        snapshotIndex: snapIndex,
        snapshotFile: loaded.file,
        adoptedSnapshot: plan.markerToWrite !== null,
        firstIndex: mem.firstIndex(),
        lastIndex: mem.lastIndex(),
        hardState: plan.hardState,
        walSegments: wal.segmentNames.length,
        tookOverLockFrom: lock.tookOverFrom,
      };
      return { storage, info };
    } catch (err) {
      await wal?.close().catch(() => {});
      await lock.release().catch(() => {});
      throw err;
    }
  }

  // ------------------------------------------------------------------ Storage (from memory)

  initialState(): { hardState: HardState; confState: ConfState } {
    return this.mem.initialState();
  }

  entries(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    return this.mem.entries(lo, hi, maxSizeBytes);
  }

  term(index: number): number {
    return this.mem.term(index);
  }

  lastIndex(): number {
    return this.mem.lastIndex();
  }

  firstIndex(): number {
    return this.mem.firstIndex();
  }

  snapshot(): Snapshot {
    return this.mem.snapshot();
  }

  // ------------------------------------------------------------------ writes

  /** The error that failed the storage, or null. Once set it never clears: restart the node. */
  get failed(): Error | null {
    return this.failure ?? this.wal.failed;
  }

  /** Names of the WAL segment files, oldest first (for tests and the status page). */
  get walSegments(): string[] {
    return this.wal.segmentNames;
  }

  /**
   * Makes one Ready durable: a received snapshot (saved to its file first), then in one WAL
   * append its marker, the entries (an entry at i replaces every entry >= i, as in
   * MemoryStorage.append) and the hard state. Resolves after the fdatasync that covers them.
   * The in-memory view changes at once (see the top of this file for why that is safe).
   *
   * Any failure fails the storage for good: this persist and every later one reject with
   * WalFailedError (after a failed fsync the disk's state is unknown; fsyncgate), and the node
   * must restart and recover from what is on disk. Entries that break the log's shape (not
   * contiguous, or leaving a gap) are a programmer error: RaftInvariantError, and nothing changes.
   */
  persist(update: PersistUpdate): Promise<void> {
    const refused = this.refusal();
    if (refused !== null) return Promise.reject(refused);
    let records: AppendRecord[];
    let snapshot: Snapshot | null;
    try {
      ({ records, snapshot } = this.applyToMemory(update));
    } catch (err) {
      return Promise.reject(err);
    }
    // (an update with nothing in it still waits for everything before it: a barrier)
    const durable =
      snapshot === null && this.issueBarrier === null
        ? this.wal.append(records)
        : this.persistInOrder(snapshot, records);
    return durable.catch((err: unknown) => {
      throw this.fail(err);
    });
  }

  /**
   * Saves the state machine's snapshot at an applied `index`, then compacts: the in-memory log
   * keeps `retainEntriesAfterSnapshot` entries before `index`, and the WAL segments wholly behind
   * both the older of the two kept snapshot files and the retained entries are deleted (the older
   * file is the fallback if the newest turns out damaged, and the WAL must still reach it).
   * Resolves with the saved (durable) snapshot. An `index` at or behind the current snapshot does
   * nothing and resolves with the current snapshot, as MemoryStorage does. Rejects with SnapshotWriteError if the file could not be written (nothing changes),
   * or WalCompactionError if only deleting old segments failed (the snapshot is in effect).
   */
  async createSnapshot(index: number, confState: ConfState, data: Uint8Array): Promise<Snapshot> {
    const refused = this.refusal();
    if (refused !== null) throw refused;
    if (index <= this.mem.snapshot().metadata.index) return this.mem.snapshot();
    invariant(index <= this.mem.lastIndex(), `snapshot ${index} beyond last index ${this.mem.lastIndex()}`);
    const term = this.mem.term(index);
    const saved: Snapshot = { metadata: { index, term, confState }, data };
    await this.saveSnapshotFile(saved);

    // the log may have moved on while the file was written (a snapshot from the leader replaced
    // it, for one): only a log that still holds this entry takes the snapshot
    const current = this.mem.snapshot().metadata.index;
    if (index > current && index <= this.mem.lastIndex() && this.mem.term(index) === term) {
      this.mem.createSnapshot(saved.metadata.index, saved.metadata.confState, saved.data);
      const compactTo = index - this.retainEntriesAfterSnapshot;
      if (compactTo >= this.mem.firstIndex()) this.mem.compact(compactTo);
    }

    try {
      const { snapshots } = await listSnapshotFiles(this.fileOps, join(this.dir, SNAP_DIR));
      // every snapshot file still there may become the one recovery falls back to
      const oldestKept = Math.min(...snapshots.map((s) => s.index), index);
      const boundary = Math.min(oldestKept, this.mem.firstIndex() - 1);
      await this.wal.releaseSegmentsBefore(boundary + 1);
    } catch (err) {
      throw new WalCompactionError(index, err instanceof Error ? err : new Error(String(err)));
    }
    return saved;
  }

  /** Waits for pending writes, closes the WAL and releases the directory lock. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.issueBarrier;
      await this.snapshotSaves;
      await this.wal.close();
    } finally {
      await this.lock.release();
    }
  }

  // ------------------------------------------------------------------ internals

  private refusal(): Error | null {
    const failure = this.failed;
    if (failure !== null) return new WalFailedError(failure);
    if (this.closed) return new WalClosedError();
    return null;
  }

  /** Records the first failure and returns the error a persist rejects with. */
  private fail(err: unknown): Error {
    const cause = err instanceof WalFailedError && err.cause instanceof Error ? err.cause : toError(err);
    this.failure ??= cause;
    return err instanceof WalFailedError ? err : new WalFailedError(cause);
  }

  /**
   * Checks the update, then applies it to the in-memory log, and returns the WAL records for it.
   * Everything is checked before anything changes, so a refused update leaves no trace.
   */
  private applyToMemory(update: PersistUpdate): { records: AppendRecord[]; snapshot: Snapshot | null } {
    const current = this.mem.snapshot().metadata.index;
    // a snapshot not newer than ours is ignored, as MemoryStorage.applySnapshot does
    const snapshot = update.snapshot !== null && update.snapshot.metadata.index > current ? update.snapshot : null;
    const firstIndex = snapshot === null ? this.mem.firstIndex() : snapshot.metadata.index + 1;
    const lastIndex = snapshot === null ? this.mem.lastIndex() : snapshot.metadata.index;

    const { entries } = update;
    for (const [k, e] of entries.entries()) {
      const expected = (entries[0] as Entry).index + k;
      if (e.index !== expected) throw new RaftInvariantError(`entries not contiguous: ${e.index} where ${expected}`);
      if (e.data.byteLength > MAX_ENTRY_DATA_BYTES) {
        throw new RangeError(`entry ${e.index}: ${e.data.byteLength} data bytes exceed ${MAX_ENTRY_DATA_BYTES}`);
      }
    }
    // entries behind the first index are compacted (covered by the snapshot): skipped
    const toAdd = entries.filter((e) => e.index >= firstIndex);
    const firstNew = toAdd[0]?.index;
    if (firstNew !== undefined && firstNew > lastIndex + 1) {
      throw new RaftInvariantError(`missing log entry: last ${lastIndex}, appending at ${firstNew}`);
    }

    if (snapshot !== null) this.mem.applySnapshot(snapshot);
    this.mem.append(toAdd);
    if (update.hardState !== null) this.mem.setHardState(update.hardState);
    const records = readyRecords(toAdd, update.hardState);
    if (snapshot !== null) {
      records.unshift({ kind: 'snapshot', index: snapshot.metadata.index, term: snapshot.metadata.term });
    }
    return { records, snapshot };
  }

  /**
   * The slow path of persist, taken for a snapshot from the leader and for every persist issued
   * while one is pending: save the snapshot file first (a marker in the WAL must never point at a
   * snapshot that is not on disk), then hand the records to the WAL, in persist-call order.
   */
  private persistInOrder(snapshot: Snapshot | null, records: AppendRecord[]): Promise<void> {
    const previous = this.issueBarrier;
    let markIssued = (): void => {};
    const issued = new Promise<void>((resolve) => {
      markIssued = resolve;
    });
    this.issueBarrier = issued;
    const run = async (): Promise<void> => {
      try {
        await previous; // never rejects: it only says "issued"
        if (snapshot !== null) await this.saveSnapshotFile(snapshot);
        // a persist before this one failed: nothing after it may reach the disk (close() waits for
        // this barrier, so a close in between is fine)
        const failure = this.failed;
        if (failure !== null) throw new WalFailedError(failure);
        // returned, not awaited: `finally` must run right after the records are queued
        return this.wal.append(records);
      } finally {
        markIssued();
        if (this.issueBarrier === issued) this.issueBarrier = null;
      }
    };
    return run();
  }

  private saveSnapshotFile(snapshot: Snapshot): Promise<SavedSnapshot> {
    const run = this.snapshotSaves.then(() => saveSnapshot(join(this.dir, SNAP_DIR), snapshot, this.fileOps));
    this.snapshotSaves = run.catch(() => {});
    return run;
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
