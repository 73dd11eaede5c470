/**
 * The search's memo (Porcupine's cache): every (linearized set, model state) pair already
 * explored. Reaching one again cannot lead anywhere new, which is what keeps the backtracking
 * from being exponential on real histories.
 *
 * Built for the hot loop: the linearized set is a bitset with an incrementally maintained
 * Zobrist hash (one fixed random word per operation, XORed in and out), so hashing is O(1) per
 * step; states are interned to small integers by their canonical key; entries live in typed
 * arrays (an open-addressing table over one arena of bitset copies), so adding one allocates
 * nothing but amortized growth.
 */

/** murmur3's 32-bit finalizer: a fixed, well-mixed word per operation index. */
export function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const GOLDEN_RATIO_32 = 0x9e3779b1;
const INITIAL_SLOTS = 1 << 12;
/** Grow the table when it is half full: linear probing stays short. */
const MAX_LOAD_FACTOR = 0.5;

export class LinearizedSet {
  readonly bits: Uint32Array;
  /** XOR of the Zobrist words of the members. */
  hash = 0;
  private readonly zobrist: Uint32Array;

  constructor(size: number) {
    this.bits = new Uint32Array(Math.max(1, Math.ceil(size / 32)));
    this.zobrist = new Uint32Array(size);
    for (let i = 0; i < size; i++) this.zobrist[i] = mix32(i + GOLDEN_RATIO_32);
  }

  /** Adds or removes member `i` (the caller knows which). */
  toggle(i: number): void {
    this.bits[i >>> 5]! ^= 1 << (i & 31);
    this.hash = (this.hash ^ this.zobrist[i]!) >>> 0;
  }
}

export class Memo {
  private readonly stateIds = new Map<string | number, number>();
  private readonly words: number;
  /** slot -> entry + 1 (0 = empty) */
  private table = new Int32Array(INITIAL_SLOTS);
  private entryHash = new Uint32Array(INITIAL_SLOTS / 2);
  private entryState = new Int32Array(INITIAL_SLOTS / 2);
  /** entry i's bitset is arena[i * words, (i + 1) * words) */
  private arena: Uint32Array;
  size = 0;
  /** What one entry costs: its bitset, hash and state id, and two table slots. */
  readonly bytesPerEntry: number;

  constructor(setSize: number) {
    this.words = Math.max(1, Math.ceil(setSize / 32));
    this.bytesPerEntry = 4 * (this.words + 2 + 2);
    this.arena = new Uint32Array((INITIAL_SLOTS / 2) * this.words);
  }

  /** The small integer standing for a state key; new keys get the next id. */
  stateId(key: string | number): number {
    let id = this.stateIds.get(key);
    if (id === undefined) {
      id = this.stateIds.size;
      this.stateIds.set(key, id);
    }
    return id;
  }

  /** Records (set, state); false if it was already there. */
  add(set: LinearizedSet, stateId: number): boolean {
    const hash = (set.hash ^ Math.imul(stateId + 1, GOLDEN_RATIO_32)) >>> 0;
    const mask = this.table.length - 1;
    const bits = set.bits;
    const words = this.words;
    let slot = hash & mask;
    for (;;) {
      const stored = this.table[slot]!;
      if (stored === 0) break;
      const e = stored - 1;
      if (this.entryHash[e] === hash && this.entryState[e] === stateId) {
        const base = e * words;
        let same = true;
        for (let w = 0; w < words; w++) {
          if (this.arena[base + w] !== bits[w]) {
            same = false;
            break;
          }
        }
        if (same) return false;
      }
      slot = (slot + 1) & mask;
    }
    const e = this.size++;
    if (e >= this.entryHash.length) this.growEntries();
    this.entryHash[e] = hash;
    this.entryState[e] = stateId;
    this.arena.set(bits, e * words);
    this.table[slot] = e + 1;
    if (this.size > this.table.length * MAX_LOAD_FACTOR) this.growTable();
    return true;
  }

  private growEntries(): void {
    const capacity = this.entryHash.length * 2;
    const entryHash = new Uint32Array(capacity);
    entryHash.set(this.entryHash);
    this.entryHash = entryHash;
    const entryState = new Int32Array(capacity);
    entryState.set(this.entryState);
    this.entryState = entryState;
    const arena = new Uint32Array(capacity * this.words);
    arena.set(this.arena);
    this.arena = arena;
  }

  private growTable(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    for (let e = 0; e < this.size; e++) {
      let slot = this.entryHash[e]! & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = e + 1;
    }
    this.table = table;
  }
}
