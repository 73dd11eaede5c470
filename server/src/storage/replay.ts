/**
 * The meaning of a sequence of WAL records, shared by recovery (which rebuilds the log) and by
 * `Wal.append` (which refuses a batch that recovery could not replay). Keeping both on one rule
 * is what makes replay unambiguous: records apply strictly in file order, and
 * - an entry at index i (firstIndex <= i <= lastIndex + 1) replaces every entry >= i: Raft's
 *   truncation of a conflicting uncommitted suffix is just "append at i";
 * - a hard state replaces the previous one;
 * - a snapshot marker (index, term) discards the whole log; the next entry is index + 1.
 */
import type { Entry, HardState } from '../raft/types.js';
import { copyEntryData, type WalRecord } from './record.js';

export interface LogPosition {
  /** Index of the first entry the log can hold (snapshot index + 1, or the first segment's start). */
  readonly firstIndex: number;
  /** Index of the last entry; firstIndex - 1 when there is none. */
  readonly lastIndex: number;
}

/** The position after `record`, or the reason it cannot follow `pos`. */
export function advancePosition(pos: LogPosition, record: WalRecord): LogPosition | string {
  switch (record.kind) {
    case 'entry': {
      const i = record.entry.index;
      if (i < pos.firstIndex) return `entry ${i} is before the first index ${pos.firstIndex}`;
      if (i > pos.lastIndex + 1) return `entry ${i} leaves a gap after the last index ${pos.lastIndex}`;
      return { firstIndex: pos.firstIndex, lastIndex: i };
    }
    case 'snapshot':
      return { firstIndex: record.index + 1, lastIndex: record.index };
    case 'hardState':
      return pos;
    case 'segmentHeader':
      // headers only open segments; the segment reader checks them against the position
      return 'segment header in the middle of a segment';
  }
}

/** What recovery hands to the storage layer above it. */
export interface RecoveredLog {
  /** Index of the first entry slot (see LogPosition). */
  readonly firstIndex: number;
  /** Index of the last entry; firstIndex - 1 when there is none. */
  readonly lastIndex: number;
  /**
   * Index of `entries[0]`: max(firstIndex, the `retainFrom` asked for). Entries before it were
   * read and verified but not kept in memory.
   */
  readonly entriesFrom: number;
  /** Contiguous entries [entriesFrom, lastIndex]. */
  readonly entries: Entry[];
  /** The newest hard state recorded, or null if none was ever written. */
  readonly hardState: HardState | null;
  /** The newest snapshot marker still in the WAL, or null. */
  readonly snapshot: { readonly index: number; readonly term: number } | null;
}

/**
 * Rebuilds the log from records in file order. Entries below `retainFrom` are checked for their
 * position but not kept: a caller that holds a snapshot at index s needs nothing below s, and a
 * large log behind a snapshot would otherwise sit in memory for the whole recovery.
 */
export class LogReplay {
  private pos: LogPosition;
  private entries: Entry[] = [];
  private hardState: HardState | null = null;
  private snapshot: { index: number; term: number } | null = null;

  constructor(
    firstIndex: number,
    private readonly retainFrom = 0,
  ) {
    this.pos = { firstIndex, lastIndex: firstIndex - 1 };
  }

  /** Index of entries[0]. Only snapshot markers move firstIndex, and they also empty `entries`. */
  private get entriesFrom(): number {
    return Math.max(this.pos.firstIndex, this.retainFrom);
  }

  get position(): LogPosition {
    return this.pos;
  }

  /** Applies one record; returns the reason if it cannot follow what came before. */
  apply(record: WalRecord): string | null {
    const next = advancePosition(this.pos, record);
    if (typeof next === 'string') return next;
    switch (record.kind) {
      case 'entry': {
        // an entry at i replaces every entry >= i
        const kept = record.entry.index - this.entriesFrom;
        if (kept < this.entries.length) this.entries.length = Math.max(0, kept);
        // the record may point into a read buffer that is about to be reused: keep a copy
        if (kept >= 0) this.entries.push({ ...record.entry, data: copyEntryData(record.entry.data) });
        break;
      }
      case 'hardState':
        this.hardState = record.hardState;
        break;
      case 'snapshot':
        this.entries = [];
        this.snapshot = { index: record.index, term: record.term };
        break;
      case 'segmentHeader':
        break;
    }
    this.pos = next;
    return null;
  }

  result(): RecoveredLog {
    return {
      firstIndex: this.pos.firstIndex,
      lastIndex: this.pos.lastIndex,
      entriesFrom: this.entriesFrom,
      entries: this.entries,
      hardState: this.hardState,
      snapshot: this.snapshot,
    };
  }
}
