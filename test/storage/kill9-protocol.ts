/**
 * What the kill -9 child and its parent share: the data every entry and snapshot carries (derived
 * from index and term, so the parent can verify bytes it never saw), and the line protocol on the
 * child's stdout. A line is written only after the durability it reports (a resolved persist or
 * createSnapshot), and stdout to a pipe is synchronous in Node, so a line the parent reads is
 * a promise the disk must keep, even if the child is killed right after writing it.
 *
 *   opening                      about to open the data directory (recovery starts)
 *   open <first> <last> <snap>   opened: first/last log index, snapshot index
 *   a <from> <to> <term>         entries from..to of this term are durable
 *   h <term> <commit>            this hard state is durable
 *   s <index> <term>             a snapshot at index (of this term) is durable
 *   t <index> <term>             (information) the log was truncated at index for a new term
 */

/** Entry data of a size and content that only (index, term) decide; now and then a large one. */
export function entryData(index: number, term: number): Uint8Array {
  let x = mix(index * 2_654_435_761 + term * 40_503);
  const size = x % 97 === 0 ? 16_384 + (x % 24_000) : x % 1_500;
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    x = mix(x + i);
    data[i] = x & 0xff;
  }
  return data;
}

/** The snapshot data a state machine would produce at (index, term). */
export function snapshotData(index: number, term: number): Uint8Array {
  const data = new Uint8Array(64 + (index % 900));
  let x = mix(index ^ (term << 20));
  for (let i = 0; i < data.length; i++) {
    x = mix(x + i);
    data[i] = x & 0xff;
  }
  return data;
}

/** A 32-bit integer hash (lowbias32), good enough to make data look random. */
function mix(n: number): number {
  let x = n >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

export const CHILD_OPTIONS = {
  /** Small segments and retention: rollover and segment deletion happen every few hundred entries. */
  segmentSizeBytes: 64 * 1024,
  retainEntriesAfterSnapshot: 40,
} as const;

export const CONF_STATE = { voters: [1, 2, 3], learners: [] } as const;
