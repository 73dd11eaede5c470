/**
 * Copies of small byte strings packed into shared slabs.
 *
 * A Uint8Array of more than 64 bytes gets a C allocation of its own outside V8's heap, plus V8's
 * bookkeeping for it (three allocations in all). A Raft node makes one for every entry it
 * proposes or receives and keeps thousands of them alive in its log: at 100,000 acquires the
 * allocator's heap fragments around the live ones and stays resident. Packed into slabs they are
 * one allocation per slab. A slab lives while any copy in it does; entries leave the log oldest
 * first, so whole slabs are freed together.
 */
export class SlabCopier {
  private slab = new Uint8Array(0);
  private usedBytes = 0;

  constructor(
    /** Size of each shared slab. */
    readonly slabBytes: number,
    /** Larger copies get an allocation of their own (a big one would waste a slab's tail). */
    readonly maxPackedBytes: number,
  ) {
    if (!(maxPackedBytes > 0 && maxPackedBytes <= slabBytes)) {
      throw new RangeError(`maxPackedBytes must be in (0, slabBytes], got ${maxPackedBytes} of ${slabBytes}`);
    }
  }

  /** A copy of `data` that shares nothing with it. */
  copy(data: Uint8Array): Uint8Array {
    const n = data.byteLength;
    if (n > this.maxPackedBytes) return data.slice();
    if (this.usedBytes + n > this.slab.byteLength) {
      this.slab = new Uint8Array(this.slabBytes);
      this.usedBytes = 0;
    }
    const out = this.slab.subarray(this.usedBytes, this.usedBytes + n);
    out.set(data);
    this.usedBytes += n;
    return out;
  }
}

/** Slab size for Raft entry data: a few thousand typical entries each. */
export const ENTRY_SLAB_BYTES = 256 * 1024;
/** Entry data larger than this is copied on its own. */
export const MAX_SLAB_PACKED_ENTRY_BYTES = 4 * 1024;
