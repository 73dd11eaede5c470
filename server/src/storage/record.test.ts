/** Framing: round trips, and each way a frame can be torn or corrupt. */
import { crc32c } from '@node-rs/crc32';
import { describe, expect, it } from 'vitest';
import {
  decodeFrames,
  encodeRecord,
  FRAME_HEADER_BYTES,
  MAX_ENTRY_DATA_BYTES,
  MAX_RECORD_PAYLOAD_BYTES,
  type WalRecord,
} from './record.js';

const bytes = (...xs: number[]) => new Uint8Array(xs);

const SAMPLES: WalRecord[] = [
  { kind: 'segmentHeader', seq: 7, firstIndex: 1234 },
  { kind: 'entry', entry: { term: 1, index: 1, type: 'normal', data: new Uint8Array(0) } },
  { kind: 'entry', entry: { term: 2 ** 40, index: 2 ** 53 - 1, type: 'confChange', data: bytes(1, 2, 3) } },
  { kind: 'entry', entry: { term: 3, index: 9, type: 'normal', data: new Uint8Array(1000).fill(0xab) } },
  { kind: 'hardState', hardState: { term: 5, vote: 3, commit: 2 ** 33 + 1 } },
  { kind: 'snapshot', index: 100, term: 4 },
];

function stream(records: readonly WalRecord[]): { buf: Buffer; offsets: number[] } {
  const frames = records.map(encodeRecord);
  const offsets: number[] = [];
  let at = 0;
  for (const f of frames) {
    offsets.push(at);
    at += f.length;
  }
  return { buf: Buffer.concat(frames), offsets };
}

/** A frame with a correct checksum around an arbitrary type and payload. */
function rawFrame(type: number, payload: Uint8Array): Buffer {
  const out = Buffer.alloc(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt8(type, 8);
  out.set(payload, FRAME_HEADER_BYTES);
  out.writeUInt32LE(crc32c(out.subarray(8)), 4);
  return out;
}

describe('crc32c', () => {
  it('is Castagnoli (the standard check value)', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});

describe('encodeRecord / decodeFrames', () => {
  it('round-trips every record kind with offsets and sizes', () => {
    const { buf, offsets } = stream(SAMPLES);
    const { records, outcome } = decodeFrames(buf);
    expect(outcome).toEqual({ kind: 'ok' });
    expect(records.map((r) => r.record)).toEqual(SAMPLES);
    expect(records.map((r) => r.offset)).toEqual(offsets);
    expect(records.reduce((n, r) => n + r.size, 0)).toBe(buf.length);
  });

  it('decodes a view into a larger buffer', () => {
    const { buf } = stream(SAMPLES);
    const big = Buffer.concat([Buffer.from('junk'), buf]);
    expect(decodeFrames(big.subarray(4)).records.map((r) => r.record)).toEqual(SAMPLES);
  });

  it('lays out an entry compactly: header, 17 fixed bytes, data', () => {
    const f = encodeRecord({ kind: 'entry', entry: { term: 1, index: 2, type: 'normal', data: bytes(9) } });
    expect(f.length).toBe(FRAME_HEADER_BYTES + 17 + 1);
    expect(f.readUInt32LE(0)).toBe(18);
  });

  it('refuses values the format cannot hold', () => {
    expect(() => encodeRecord({ kind: 'snapshot', index: 2 ** 53, term: 1 })).toThrow(RangeError);
    expect(() => encodeRecord({ kind: 'hardState', hardState: { term: -1, vote: 0, commit: 0 } })).toThrow(RangeError);
    const data = new Uint8Array(MAX_ENTRY_DATA_BYTES + 1);
    expect(() => encodeRecord({ kind: 'entry', entry: { term: 1, index: 1, type: 'normal', data } })).toThrow(/exceed/);
  });

  it('an empty buffer is ok with no records', () => {
    expect(decodeFrames(new Uint8Array(0))).toEqual({ records: [], outcome: { kind: 'ok' } });
  });
});

describe('torn tails', () => {
  it('every cut inside the last frame is a torn tail at that frame', () => {
    const { buf, offsets } = stream(SAMPLES);
    const last = offsets[offsets.length - 1] as number;
    for (let cut = last + 1; cut < buf.length; cut++) {
      const { records, outcome } = decodeFrames(buf.subarray(0, cut));
      expect(outcome.kind, `cut ${cut}`).toBe('tornTail');
      expect(outcome.kind === 'tornTail' && outcome.offset).toBe(last);
      expect(records.map((r) => r.record)).toEqual(SAMPLES.slice(0, -1));
    }
  });

  it('zero fill after the last record is a torn tail', () => {
    const { buf, offsets } = stream(SAMPLES);
    for (const zeros of [1, FRAME_HEADER_BYTES, 4096]) {
      const { records, outcome } = decodeFrames(Buffer.concat([buf, Buffer.alloc(zeros)]));
      expect(outcome).toMatchObject({ kind: 'tornTail', offset: buf.length, reason: 'zero-filled tail' });
      expect(records).toHaveLength(offsets.length);
    }
  });
});

describe('corruption', () => {
  const { buf, offsets } = stream(SAMPLES);
  const second = offsets[1] as number;

  it('a flipped payload byte is a checksum mismatch at that frame', () => {
    const bad = Buffer.from(buf);
    bad.writeUInt8(bad.readUInt8(second + FRAME_HEADER_BYTES + 3) ^ 0xff, second + FRAME_HEADER_BYTES + 3);
    const { records, outcome } = decodeFrames(bad);
    expect(outcome).toMatchObject({ kind: 'corrupt', offset: second });
    expect(outcome.kind === 'corrupt' && outcome.reason).toMatch(/checksum mismatch/);
    expect(records).toHaveLength(1);
  });

  it('a flipped checksum byte or type byte is detected', () => {
    for (const at of [second + 4, second + 7, second + 8]) {
      const bad = Buffer.from(buf);
      bad.writeUInt8(bad.readUInt8(at) ^ 0x01, at);
      expect(decodeFrames(bad).outcome).toMatchObject({ kind: 'corrupt', offset: second });
    }
  });

  it('a length above the limit is impossible, not a big record', () => {
    const bad = Buffer.from(buf);
    bad.writeUInt32LE(MAX_RECORD_PAYLOAD_BYTES + 1, second);
    const { outcome } = decodeFrames(bad);
    expect(outcome).toMatchObject({ kind: 'corrupt', offset: second });
    expect(outcome.kind === 'corrupt' && outcome.reason).toMatch(/impossible record length/);
  });

  it('a length running past the end with whole records after it is corruption, not a torn tail', () => {
    const bad = Buffer.from(buf);
    bad.writeUInt32LE(buf.length, second); // now "longer than the rest of the buffer"
    const { outcome } = decodeFrames(bad);
    expect(outcome).toMatchObject({ kind: 'corrupt', offset: second });
    expect(outcome.kind === 'corrupt' && outcome.reason).toMatch(/whole records follow/);
  });

  it('an unknown type with a valid checksum is corrupt', () => {
    const bad = Buffer.concat([buf, rawFrame(9, bytes(1, 2))]);
    expect(decodeFrames(bad).outcome).toMatchObject({ kind: 'corrupt', offset: buf.length });
    expect(decodeFrames(rawFrame(0, bytes(1))).outcome).toMatchObject({ kind: 'corrupt', offset: 0 });
  });

  it('a payload that does not fit its type is corrupt even with a valid checksum', () => {
    const cases = [
      rawFrame(1, new Uint8Array(24)), // segment header without the magic
      rawFrame(2, new Uint8Array(16)), // entry too short
      rawFrame(2, Buffer.concat([new Uint8Array(16), bytes(7)])), // unknown entry type
      rawFrame(3, new Uint8Array(23)), // hard state too short
      rawFrame(4, new Uint8Array(16).fill(0xff)), // index beyond 2^53
    ];
    for (const frame of cases) {
      expect(decodeFrames(frame).outcome, frame.toString('hex')).toMatchObject({ kind: 'corrupt', offset: 0 });
    }
  });
});
