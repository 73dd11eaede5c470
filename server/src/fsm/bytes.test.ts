import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from './bytes.js';

const STRINGS = [
  '',
  'a',
  'load/mem/12345',
  'é',
  'naïve/lock',
  '日本語',
  '🔒 fenced',
  'x\ud800y',
  '\udc00',
  'a'.repeat(300),
];

function expected(s: string): Uint8Array {
  const bytes = new TextEncoder().encode(s);
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
}

const fail = (reason: string): never => {
  throw new Error(reason);
};

describe('ByteWriter', () => {
  it('writes a string as its UTF-8 length and bytes, exactly as TextEncoder encodes it', () => {
    for (const s of STRINGS) {
      // capacity 16: long and non-ASCII strings take the growing path too
      const w = new ByteWriter(16);
      w.str(s);
      expect([...w.finish()], JSON.stringify(s)).toEqual([...expected(s)]);
    }
  });

  it('reads back what it wrote, across growth, with every field type in between', () => {
    const w = new ByteWriter(16);
    for (const [i, s] of STRINGS.entries()) {
      w.u8(i);
      w.str(s);
      w.f64(i * 1.5);
      w.u32(i * 1000);
      w.optStr(i % 2 === 0 ? s : null);
      w.bool(i % 3 === 0);
    }
    const r = new ByteReader(w.finish(), (reason) => {
      throw new Error(reason);
    });
    for (const [i, s] of STRINGS.entries()) {
      // a lone surrogate is written as U+FFFD (as TextEncoder does), so it does not read back
      const lossless = !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));
      expect(r.u8('u8')).toBe(i);
      const back = r.str('str');
      if (lossless) expect(back).toBe(s);
      expect(r.f64('f64')).toBe(i * 1.5);
      expect(r.u32('u32')).toBe(i * 1000);
      const opt = r.optStr('opt');
      if (i % 2 === 1) expect(opt).toBeNull();
      else if (lossless) expect(opt).toBe(s);
      expect(r.bool('bool')).toBe(i % 3 === 0);
    }
    r.end();
  });

  it('finish() hands over exactly the bytes written, whether the buffer is nearly full or mostly empty', () => {
    const full = new ByteWriter(16);
    for (let i = 0; i < 15; i++) full.u8(i);
    expect([...full.finish()]).toEqual([...Array(15).keys()]);
    const roomy = new ByteWriter(1024);
    roomy.u8(7);
    const out = roomy.finish();
    expect([...out]).toEqual([7]);
    // a copy: a one-byte result does not keep the 1 KiB buffer alive
    expect(out.buffer.byteLength).toBe(1);
  });

  it('inScratch(): small results land in shared slabs, each its own bytes', () => {
    const outs = Array.from({ length: 50 }, (_, i) => {
      const w = ByteWriter.inScratch();
      w.str(`load/mem/${i}`);
      w.f64(i);
      return w.finish();
    });
    // each result is its own bytes, though they share (at most two) slabs
    for (const [i, out] of outs.entries()) {
      const r = new ByteReader(out, fail);
      expect(r.str('name')).toBe(`load/mem/${i}`);
      expect(r.f64('n')).toBe(i);
    }
    expect(new Set(outs.map((o) => o.buffer)).size).toBeLessThanOrEqual(2);
  });

  it('a writer that outgrows the scratch buffer still returns all of its bytes', () => {
    const w = ByteWriter.inScratch();
    const long = 'z'.repeat(10_000);
    w.str(long);
    const out = w.finish();
    expect(new ByteReader(out, fail).str('long')).toBe(long);
  });

  it('inScratch(): refuses to finish when another one started in the shared scratch meanwhile', () => {
    const a = ByteWriter.inScratch();
    a.u8(1);
    const b = ByteWriter.inScratch();
    b.u8(2);
    expect(() => a.finish()).toThrow(/two writers/);
    expect([...b.finish()]).toEqual([2]);
  });
});
