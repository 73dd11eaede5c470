/** Errors the WAL reports. Both mean "do not carry on": the node must stop. */

const RECOVERY_HINT =
  'The node must not start from this data directory: move it aside and restore it from a healthy ' +
  'peer (start this node with an empty data directory and let the leader send it a snapshot) or ' +
  'from a backup snapshot.';

/** Damage found while reading the WAL that is not a torn tail: the node refuses to start. */
export class WalCorruptionError extends Error {
  readonly code = 'WAL_CORRUPTION';
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`WAL corruption in ${file} at byte offset ${offset}: ${reason}. ${RECOVERY_HINT}`);
    this.name = 'WalCorruptionError';
  }
}

/**
 * A write or fdatasync failed earlier. After a failed fsync the kernel may have dropped the dirty
 * pages (fsyncgate), so a retry could "succeed" without the data being on disk: the WAL refuses
 * every later append, and the node must restart and recover from what is actually on disk.
 */
export class WalFailedError extends Error {
  readonly code = 'WAL_FAILED';
  constructor(cause: Error) {
    super(`WAL failed after a disk error and accepts no more writes (restart to recover): ${cause.message}`, {
      cause,
    });
    this.name = 'WalFailedError';
  }
}

/** The WAL was closed. */
export class WalClosedError extends Error {
  readonly code = 'WAL_CLOSED';
  constructor() {
    super('WAL is closed');
    this.name = 'WalClosedError';
  }
}

/**
 * The snapshot files and the WAL do not fit together (for example the WAL starts after the newest
 * snapshot that verifies, leaving a gap): the node refuses to start rather than run with a hole in
 * its log.
 */
export class StorageInconsistentError extends Error {
  readonly code = 'STORAGE_INCONSISTENT';
  constructor(
    readonly dir: string,
    readonly reason: string,
  ) {
    super(`data directory ${dir} is inconsistent: ${reason}. ${RECOVERY_HINT}`);
    this.name = 'StorageInconsistentError';
  }
}

/**
 * A snapshot was saved and is in effect, but deleting the WAL segments behind it failed. Nothing
 * is lost: the segments stay on disk and a later snapshot removes them.
 */
export class WalCompactionError extends Error {
  readonly code = 'WAL_COMPACTION_FAILED';
  constructor(
    readonly snapshotIndex: number,
    cause: Error,
  ) {
    super(`snapshot ${snapshotIndex} is saved, but removing the WAL segments behind it failed: ${cause.message}`, {
      cause,
    });
    this.name = 'WalCompactionError';
  }
}
