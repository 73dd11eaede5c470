/**
 * What the node loop needs from its disk: the core's read-only `Storage` plus the writes a Ready
 * asks for. `DiskStorage` (storage/) is the real one; `MemoryNodeStorage` serves tests and
 * `--unsafe-in-memory` development runs.
 */
import { MemoryStorage, type Storage } from '../raft/storage.js';
import type { ConfState, Entry, HardState, Snapshot } from '../raft/types.js';

export interface PersistUpdate {
  readonly entries: readonly Entry[];
  readonly hardState: HardState | null;
  readonly snapshot: Snapshot | null;
}

export interface NodeStorage extends Storage {
  /** Makes one Ready's snapshot, entries and hard state durable; resolves after the fsync. */
  persist(update: PersistUpdate): Promise<void>;
  /** Records the state machine's snapshot at an applied index and compacts the log behind it. */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Promise<Snapshot>;
  /** Set once a write or fsync failed: the node must stop (fsyncgate). */
  readonly failed: Error | null;
  close(): Promise<void>;
}

export class MemoryNodeStorage implements NodeStorage {
  readonly failed: Error | null = null;
  private readonly mem: MemoryStorage;

  constructor(initial?: ConstructorParameters<typeof MemoryStorage>[0]) {
    this.mem = new MemoryStorage(initial);
  }

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

  async persist(update: PersistUpdate): Promise<void> {
    if (update.snapshot !== null) this.mem.applySnapshot(update.snapshot);
    this.mem.append(update.entries);
    if (update.hardState !== null) this.mem.setHardState(update.hardState);
  }

  async createSnapshot(index: number, confState: ConfState, data: Uint8Array): Promise<Snapshot> {
    const snap = this.mem.createSnapshot(index, confState, data);
    // keep some entries behind the snapshot so a briefly slow follower needs no snapshot
    this.mem.compact(Math.max(0, index - 1000));
    return snap;
  }

  async close(): Promise<void> {}
}
