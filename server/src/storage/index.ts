/**
 * Durable storage for a Baton node: the data directory (DiskStorage) and its parts, the
 * write-ahead log, snapshot files and the directory lock. See README.md in this folder.
 */

export { acquireDirLock, DataDirLockedError, DirLock, LOCK_FILE } from './dir-lock.js';
export {
  DEFAULT_RETAIN_ENTRIES_AFTER_SNAPSHOT,
  DiskStorage,
  type DiskStorageOpenInfo,
  type DiskStorageOptions,
  type PersistUpdate,
  SNAP_DIR,
  WAL_DIR,
} from './disk-storage.js';
export {
  StorageInconsistentError,
  WalClosedError,
  WalCompactionError,
  WalCorruptionError,
  WalFailedError,
} from './errors.js';
export { type FileOps, nodeFileOps, type WalFile } from './file-ops.js';
export { MAX_ENTRY_DATA_BYTES } from './record.js';
export {
  type DamagedSnapshotFile,
  loadNewestSnapshot,
  NoValidSnapshotError,
  SnapshotCorruptionError,
  SnapshotWriteError,
  saveSnapshot,
} from './snapshot-files.js';
export {
  type AppendRecord,
  DEFAULT_SEGMENT_BYTES,
  readyRecords,
  Wal,
  type WalOptions,
  type WalRecovery,
} from './wal.js';
