/**
 * The little binary format entries and snapshots use: u8, u32 (counts and lengths), f64 (every
 * number, so a negative or fractional argument still encodes and apply() can refuse it with a
 * result), and length-prefixed UTF-8 strings. Big-endian, no padding, so equal values give equal
 * bytes on every node.
 */

import { ENTRY_SLAB_BYTES, MAX_SLAB_PACKED_ENTRY_BYTES, SlabCopier } from '@baton/proto-schemas';

const encoder = new TextEncoder();
/** fatal: malformed UTF-8 is refused rather than silently replaced (the bytes would not round-trip). */
const decoder = new TextDecoder('utf-8', { fatal: true });

const INITIAL_CAPACITY_BYTES = 256;
/**
 * ByteWriter.inScratch() writers start in this shared buffer (an entry's envelope fits): encoding
 * an envelope is synchronous and finish() copies the bytes out, so a proposal's first buffer is
 * not an allocation of its own that is garbage a moment later.
 */
const SCRATCH_BYTES = 4096;
const scratch = new Uint8Array(SCRATCH_BYTES);
/** The writer that is using `scratch` now; finish() checks that no other one started meanwhile. */
let scratchOwner: ByteWriter | null = null;
/** Their results (entry envelopes, kept by the thousand in the Raft log) are packed into slabs. */
const smallCopier = new SlabCopier(ENTRY_SLAB_BYTES, MAX_SLAB_PACKED_ENTRY_BYTES);

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private lengthBytes = 0;

  /** A good guess of the final size saves the copies of growing (a snapshot knows roughly). */
  constructor(capacityBytes = INITIAL_CAPACITY_BYTES) {
    this.buf = new Uint8Array(Math.max(16, capacityBytes));
    this.view = new DataView(this.buf.buffer);
  }

  /**
   * A writer for one small encoding that starts in the shared scratch buffer and whose finish()
   * packs the result into a slab. Only for code that finishes it before any other inScratch()
   * writer starts (no nesting): finish() throws if another one started meanwhile.
   */
  static inScratch(): ByteWriter {
    const w = new ByteWriter(0);
    w.buf = scratch;
    w.view = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);
    scratchOwner = w;
    return w;
  }

  /** The slow path of every write: the buffer doubles until `n` more bytes fit. */
  private grow(n: number): void {
    const need = this.lengthBytes + n;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.lengthBytes));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    if (this.lengthBytes + 1 > this.buf.length) this.grow(1);
    this.buf[this.lengthBytes] = v;
    this.lengthBytes += 1;
  }

  bool(v: boolean): void {
    this.u8(v ? 1 : 0);
  }

  u32(v: number): void {
    if (this.lengthBytes + 4 > this.buf.length) this.grow(4);
    this.view.setUint32(this.lengthBytes, v);
    this.lengthBytes += 4;
  }

  f64(v: number): void {
    if (this.lengthBytes + 8 > this.buf.length) this.grow(8);
    this.view.setFloat64(this.lengthBytes, v);
    this.lengthBytes += 8;
  }

  raw(bytes: Uint8Array): void {
    if (this.lengthBytes + bytes.length > this.buf.length) this.grow(bytes.length);
    this.buf.set(bytes, this.lengthBytes);
    this.lengthBytes += bytes.length;
  }

  /**
   * A u32 byte length, then the UTF-8 bytes, written in place: names and ids are nearly always
   * ASCII and copied a char at a time; anything else goes through encodeInto (the same bytes as
   * TextEncoder.encode, lone surrogates included). Snapshots write one per name, so no temporary
   * array per string (it was most of a snapshot's time and garbage).
   */
  str(s: string): void {
    // a UTF-16 unit is at most 3 UTF-8 bytes (a surrogate pair: 2 units, 4 bytes)
    const most = 4 + s.length * 3;
    if (this.lengthBytes + most > this.buf.length) this.grow(most);
    const start = this.lengthBytes + 4;
    const buf = this.buf;
    let written = 0;
    for (; written < s.length; written++) {
      const c = s.charCodeAt(written);
      if (c >= 0x80) break;
      buf[start + written] = c;
    }
    if (written < s.length) written = encoder.encodeInto(s, buf.subarray(start)).written;
    this.view.setUint32(this.lengthBytes, written);
    this.lengthBytes = start + written;
  }
  /** A flag byte, then the string if present. */
  optStr(s: string | null | undefined): void {
    if (s === null || s === undefined) {
      this.u8(0);
      return;
    }
    this.u8(1);
    this.str(s);
  }

  optF64(v: number | null | undefined): void {
    if (v === null || v === undefined) {
      this.u8(0);
      return;
    }
    this.u8(1);
    this.f64(v);
  }

  /**
   * The bytes written. Out of the shared scratch buffer (inScratch) they are packed into a slab.
   * Otherwise a buffer that is nearly full is handed over
   * as it is (a snapshot's megabytes are not copied once more); one with much spare room is copied,
   * so a small result does not keep a large buffer alive.
   */
  finish(): Uint8Array {
    const bytes = this.buf.subarray(0, this.lengthBytes);
    if (this.buf === scratch) {
      if (scratchOwner !== this) throw new Error('ByteWriter: two writers used the shared scratch buffer at once');
      scratchOwner = null;
      return smallCopier.copy(bytes);
    }
    if (this.buf.length - this.lengthBytes <= this.lengthBytes / 4) return bytes;
    return bytes.slice();
  }
}

/** Reads what ByteWriter wrote; every malformation is reported through `fail`, which throws. */
export class ByteReader {
  private readonly view: DataView;
  private offset = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly fail: (reason: string) => never,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number, what: string): void {
    if (this.offset + n > this.bytes.length) {
      this.fail(`${what} at byte ${this.offset} runs past the end (${this.bytes.length} bytes)`);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    const v = this.view.getUint8(this.offset);
    this.offset += 1;
    return v;
  }

  bool(what: string): boolean {
    const v = this.u8(what);
    if (v > 1) this.fail(`${what} is ${v}, not a boolean`);
    return v === 1;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }

  /** A finite number: NaN and infinities never come from a valid writer of these formats. */
  f64(what: string): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.offset);
    this.offset += 8;
    if (!Number.isFinite(v)) this.fail(`${what} is not a finite number`);
    return v;
  }

  /** A non-negative integer stored as f64 (indexes, ids, counters, milliseconds). */
  uint(what: string): number {
    const v = this.f64(what);
    if (!Number.isSafeInteger(v) || v < 0) this.fail(`${what} is ${v}, not a non-negative integer`);
    return v;
  }

  str(what: string, maxBytes = Number.POSITIVE_INFINITY): string {
    const n = this.u32(`${what} length`);
    if (n > maxBytes) this.fail(`${what} is ${n} bytes, over ${maxBytes}`);
    this.need(n, what);
    const slice = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    try {
      return decoder.decode(slice);
    } catch {
      return this.fail(`${what} is not valid UTF-8`);
    }
  }

  optStr(what: string, maxBytes?: number): string | null {
    return this.bool(`${what} flag`) ? this.str(what, maxBytes) : null;
  }

  optF64(what: string): number | null {
    return this.bool(`${what} flag`) ? this.f64(what) : null;
  }

  /** Counts precede lists: a count larger than the bytes left could hold is refused before looping. */
  count(what: string, minItemBytes: number): number {
    const n = this.u32(what);
    if (n * minItemBytes > this.bytes.length - this.offset) this.fail(`${what} ${n} is more than the bytes left hold`);
    return n;
  }

  end(): void {
    if (this.offset !== this.bytes.length) {
      this.fail(`${this.bytes.length - this.offset} unexpected bytes after the end at byte ${this.offset}`);
    }
  }
}

export function utf8ByteLength(s: string): number {
  return encoder.encode(s).length;
}
