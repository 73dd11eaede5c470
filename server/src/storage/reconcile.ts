/**
 * Start-up check that the newest snapshot file and the recovered WAL fit together, and the log
 * they give. Pure: DiskStorage.open does the I/O around it.
 *
 * How the two can legitimately differ after a crash:
 * - A snapshot received from the leader is saved to its file first, and only then is a snapshot
 *   marker appended to the WAL. A crash between the two leaves a snapshot file that is ahead of
 *   (or conflicts with) the WAL: the file is committed state, so it wins, and the caller appends
 *   the missing marker before anything else.
 * - The state machine's own snapshots are written while the WAL keeps going; the WAL then holds
 *   entries at and behind the snapshot index. Those are dropped from the in-memory view.
 * - The newest snapshot file is damaged and the previous one is used: fine as long as the WAL
 *   still reaches back to it, which compaction behind the older kept snapshot ensures.
 *
 * What refuses the start (StorageInconsistentError):
 * - the WAL starts after the snapshot + 1 (entries in between are gone: a gap);
 * - the WAL holds a marker for a snapshot newer than every snapshot file that verifies (the log
 *   was reset to a snapshot that is now missing or damaged);
 * - a marker at the snapshot's index with a different term;
 * - a hard state whose commit index lies beyond the log.
 */
import type { Entry, HardState, Snapshot } from '../raft/types.js';
import { EMPTY_HARD_STATE } from '../raft/types.js';
import type { RecoveredLog } from './replay.js';

export interface Reconciled {
  /** Entries after the snapshot index, contiguous. */
  readonly entries: Entry[];
  readonly hardState: HardState;
  /**
   * Set when the snapshot file is ahead of the WAL or conflicts with it: the caller must append a
   * marker for it (index, term) to the WAL before it appends anything else.
   */
  readonly markerToWrite: { readonly index: number; readonly term: number } | null;
  /** Index of the last entry (the snapshot index when there is none after it). */
  readonly lastIndex: number;
}

/** Returns the log to serve, or a reason to refuse the start. */
export function reconcile(snapshot: Snapshot | null, wal: RecoveredLog): Reconciled | { refuse: string } {
  const snapIndex = snapshot?.metadata.index ?? 0;
  const snapTerm = snapshot?.metadata.term ?? 0;
  const marker = wal.snapshot;
  const hardState = wal.hardState ?? EMPTY_HARD_STATE;

  if (marker !== null && marker.index > snapIndex) {
    return {
      refuse:
        `the WAL continues after a snapshot at index ${marker.index} (term ${marker.term}), but the newest ` +
        `snapshot file that verifies is ${snapshot === null ? 'none' : `at index ${snapIndex}`}`,
    };
  }
  if (marker !== null && marker.index === snapIndex && marker.term !== snapTerm) {
    return {
      refuse: `the WAL's snapshot marker at index ${snapIndex} has term ${marker.term}, the snapshot file has term ${snapTerm}`,
    };
  }
  if (wal.firstIndex > snapIndex + 1) {
    return {
      refuse:
        `the WAL starts at index ${wal.firstIndex} but the newest snapshot that verifies ends at index ` +
        `${snapIndex}: entries ${snapIndex + 1}..${wal.firstIndex - 1} are missing`,
    };
  }

  let entries: Entry[];
  let markerToWrite: Reconciled['markerToWrite'] = null;
  const walTermAtSnapshot = termAt(wal, snapIndex);
  if (snapIndex > wal.lastIndex || (walTermAtSnapshot !== null && walTermAtSnapshot !== snapTerm)) {
    // the snapshot's marker never reached the WAL: the snapshot replaces the whole log
    entries = [];
    markerToWrite = { index: snapIndex, term: snapTerm };
  } else {
    entries = wal.entries.slice(Math.max(0, snapIndex + 1 - wal.entriesFrom));
    if (snapIndex + 1 < wal.entriesFrom && wal.lastIndex > snapIndex) {
      // the caller asked the WAL to keep less than the snapshot needs: a programmer error
      return { refuse: `recovered entries start at ${wal.entriesFrom}, after the snapshot index ${snapIndex} + 1` };
    }
  }
  const lastIndex = entries.length > 0 ? (entries[entries.length - 1] as Entry).index : snapIndex;
  if (hardState.commit > lastIndex) {
    return { refuse: `the hard state's commit index ${hardState.commit} is beyond the last log index ${lastIndex}` };
  }
  return { entries, hardState, markerToWrite, lastIndex };
}

/** Term of the WAL's entry at `index`, or null when the recovered entries do not include it. */
function termAt(wal: RecoveredLog, index: number): number | null {
  if (index < wal.entriesFrom || index > wal.lastIndex) return null;
  return wal.entries[index - wal.entriesFrom]?.term ?? null;
}
