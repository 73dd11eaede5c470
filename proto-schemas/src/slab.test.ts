import { describe, expect, it } from 'vitest';
import { SlabCopier } from './slab.js';

describe('SlabCopier', () => {
  it('packs small copies into one shared slab, each an independent copy of its bytes', () => {
    const copier = new SlabCopier(1024, 256);
    const sources = Array.from({ length: 8 }, (_, i) => new Uint8Array(100).fill(i + 1));
    const copies = sources.map((s) => copier.copy(s));
    // 8 x 100 bytes fit one 1 KiB slab: one allocation, not eight
    expect(new Set(copies.map((c) => c.buffer)).size).toBe(1);
    for (const [i, c] of copies.entries()) {
      expect(c).toEqual(sources[i]);
      expect(c.buffer).not.toBe(sources[i]?.buffer);
    }
    // changing a source changes no copy
    sources[0]?.fill(0xee);
    expect(copies[0]?.[0]).toBe(1);
  });

  it('starts a new slab when the next copy does not fit, and gives big copies their own buffer', () => {
    const copier = new SlabCopier(1024, 512);
    const a = copier.copy(new Uint8Array(500));
    const b = copier.copy(new Uint8Array(400));
    const c = copier.copy(new Uint8Array(200));
    expect(b.buffer).toBe(a.buffer);
    expect(c.buffer).not.toBe(a.buffer);
    expect(c.buffer.byteLength).toBe(1024);
    const big = copier.copy(new Uint8Array(513).fill(7));
    expect(big.buffer.byteLength).toBe(513);
    expect(big[512]).toBe(7);
    expect(copier.copy(new Uint8Array(0)).byteLength).toBe(0);
  });

  it('refuses a packing limit outside (0, slab size]', () => {
    expect(() => new SlabCopier(1024, 0)).toThrow(RangeError);
    expect(() => new SlabCopier(1024, 2048)).toThrow(RangeError);
  });
});
