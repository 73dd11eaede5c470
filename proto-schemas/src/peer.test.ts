import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodePeerBatch,
  decodePeerChallenge,
  decodePeerHello,
  decodePeerWelcome,
  encodePeerBatch,
  MAX_PEER_BATCH_MESSAGES,
  MAX_PEER_CONF_MEMBERS,
  MAX_PEER_CTX_BYTES,
  PEER_FRAME_VERSION,
  PEER_MESSAGE_TYPES,
  PeerBatchSchema,
  PeerFrameError,
  type PeerFrameErrorCode,
  type PeerMessage,
  peerBatchEncodedBytes,
  peerMessageEncodedBytes,
} from './peer.js';

// fixed seeds: a failure names its seed and replays the same way
const SEED = 20_240_611;

const uintArb = fc.oneof(fc.nat({ max: 300 }), fc.maxSafeNat());
const nodeIdArb = fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }));
const bytesArb = fc.uint8Array({ maxLength: 40 });

const entryArb = fc.record({
  term: uintArb,
  index: uintArb,
  type: fc.constantFrom('normal' as const, 'confChange' as const),
  data: bytesArb,
});

const snapshotArb = fc.record({
  metadata: fc.record({
    index: uintArb,
    term: uintArb,
    confState: fc.record({
      voters: fc.array(nodeIdArb, { maxLength: 5 }),
      learners: fc.array(nodeIdArb, { maxLength: 3 }),
    }),
  }),
  data: bytesArb,
});

const messageArb: fc.Arbitrary<PeerMessage> = fc.record({
  type: fc.constantFrom(...PEER_MESSAGE_TYPES),
  from: nodeIdArb,
  to: nodeIdArb,
  term: uintArb,
  logTerm: uintArb,
  index: uintArb,
  entries: fc.array(entryArb, { maxLength: 4 }),
  commit: uintArb,
  reject: fc.boolean(),
  rejectHint: uintArb,
  snapshot: fc.option(snapshotArb, { nil: null }),
  ctx: fc.string({ unit: 'grapheme', maxLength: 12 }),
  readId: uintArb,
  leaseTick: uintArb,
});

const batchArb = fc.array(messageArb, { maxLength: 4 });

const heartbeat: PeerMessage = {
  type: 'heartbeat',
  from: 1,
  to: 2,
  term: 3,
  logTerm: 0,
  index: 0,
  entries: [],
  commit: 7,
  reject: false,
  rejectHint: 0,
  snapshot: null,
  ctx: '',
  readId: 0,
  leaseTick: 0,
};

function codeOf(thunk: () => unknown): PeerFrameErrorCode | 'none' {
  try {
    thunk();
    return 'none';
  } catch (error) {
    if (error instanceof PeerFrameError) return error.code;
    throw error;
  }
}

/** Frame bytes by hand: version, count, then the given message bytes. */
function frame(...bytes: number[]): Uint8Array {
  return Uint8Array.from(bytes);
}
/** A heartbeat 1 → 2 with every varint 0 except those given, then ctx/entries empty, as raw bytes. */
const HEARTBEAT_BODY = [8, 0, 1, 2, 3, 0, 0, 7, 0, 0, 0, 0, 0];

describe('peer batch codec', () => {
  it('round-trips any batch of valid messages', () => {
    fc.assert(
      fc.property(batchArb, (batch) => {
        const bytes = encodePeerBatch(batch);
        expect(decodePeerBatch(bytes)).toEqual(batch);
        const sized = peerBatchEncodedBytes(
          batch.length,
          batch.reduce((sum, m) => sum + peerMessageEncodedBytes(m), 0),
        );
        expect(bytes.byteLength).toBe(sized);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('encodes a heartbeat compactly, in the documented layout', () => {
    const bytes = encodePeerBatch([heartbeat]);
    expect([...bytes]).toEqual([PEER_FRAME_VERSION, 1, ...HEARTBEAT_BODY]);
  });

  it('decodes into fresh data, not views of the frame', () => {
    const message: PeerMessage = {
      ...heartbeat,
      type: 'app',
      entries: [{ term: 1, index: 2, type: 'normal', data: Uint8Array.of(9, 9) }],
    };
    const bytes = encodePeerBatch([message]);
    const [decoded] = decodePeerBatch(bytes);
    bytes.fill(0);
    expect(decoded?.entries[0]?.data).toEqual(Uint8Array.of(9, 9));
  });

  it('packs the data of many small entries into shared slabs, not one allocation each', () => {
    const entries = Array.from({ length: 100 }, (_, i) => ({
      term: 1,
      index: i + 1,
      type: 'normal' as const,
      data: new Uint8Array(120).fill(i),
    }));
    const [decoded] = decodePeerBatch(encodePeerBatch([{ ...heartbeat, type: 'app', entries }]));
    const data = decoded?.entries.map((e) => e.data) ?? [];
    expect(data).toEqual(entries.map((e) => e.data));
    // 100 x 120 bytes: at most two slabs (the first may have been partly used by earlier tests)
    expect(new Set(data.map((d) => d.buffer)).size).toBeLessThanOrEqual(2);
  });

  it('accepts a Buffer (what ws delivers) and decodes from its offset', () => {
    const bytes = encodePeerBatch([heartbeat]);
    const pooled = Buffer.alloc(bytes.byteLength + 10, 0xff);
    pooled.set(bytes, 5);
    expect(decodePeerBatch(pooled.subarray(5, 5 + bytes.byteLength))).toEqual([heartbeat]);
  });

  it('throws PeerFrameError for every strict prefix of a valid frame', () => {
    fc.assert(
      fc.property(fc.array(messageArb, { minLength: 1, maxLength: 3 }), (batch) => {
        const bytes = encodePeerBatch(batch);
        for (let cut = 0; cut < bytes.byteLength; cut++) {
          expect(codeOf(() => decodePeerBatch(bytes.subarray(0, cut)))).not.toBe('none');
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('throws nothing but PeerFrameError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.boolean(), (noise, versioned) => {
        const bytes = versioned ? Uint8Array.from([PEER_FRAME_VERSION, ...noise]) : noise;
        codeOf(() => decodePeerBatch(bytes)); // rethrows anything that is not a PeerFrameError
      }),
      { seed: SEED, numRuns: 5_000 },
    );
  });

  it('throws nothing but PeerFrameError on valid frames with corrupted bytes, and decodes only valid batches', () => {
    fc.assert(
      fc.property(
        fc.array(messageArb, { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (batch, flips) => {
          const bytes = encodePeerBatch(batch);
          for (const [at, value] of flips) bytes[at % bytes.byteLength] = value;
          try {
            const decoded = decodePeerBatch(bytes);
            // whatever survives the corruption is a valid batch: it encodes back to the same bytes
            // and satisfies the schema (the decoder checks by hand what the schema says)
            expect(encodePeerBatch(decoded)).toEqual(bytes);
            expect(PeerBatchSchema.safeParse(decoded).success).toBe(true);
          } catch (error) {
            expect(error).toBeInstanceOf(PeerFrameError);
          }
        },
      ),
      { seed: SEED, numRuns: 2_000 },
    );
  });

  it('refuses bad bytes with the matching code', () => {
    const v = PEER_FRAME_VERSION;
    expect(codeOf(() => decodePeerBatch(frame()))).toBe('TRUNCATED');
    expect(codeOf(() => decodePeerBatch(frame(v + 1, 0)))).toBe('UNSUPPORTED_VERSION');
    expect(codeOf(() => decodePeerBatch(frame(v, 0)))).toBe('none');
    expect(codeOf(() => decodePeerBatch(frame(v, 0, 0)))).toBe('TRAILING_BYTES');
    expect(codeOf(() => decodePeerBatch(frame(v, 1, ...HEARTBEAT_BODY, 0)))).toBe('TRAILING_BYTES');
    // message type code 0 and 13 do not exist
    expect(codeOf(() => decodePeerBatch(frame(v, 1, 0, ...HEARTBEAT_BODY.slice(1))))).toBe('MALFORMED');
    expect(codeOf(() => decodePeerBatch(frame(v, 1, 13, ...HEARTBEAT_BODY.slice(1))))).toBe('MALFORMED');
    // unknown flag bit
    expect(codeOf(() => decodePeerBatch(frame(v, 1, 8, 4, ...HEARTBEAT_BODY.slice(2))))).toBe('MALFORMED');
    // from = 0 decodes but breaks the schema
    expect(codeOf(() => decodePeerBatch(frame(v, 1, 8, 0, 0, ...HEARTBEAT_BODY.slice(3))))).toBe('INVALID_MESSAGE');
    // a non-minimal varint (0x81 0x00 is 1 written in two bytes)
    expect(codeOf(() => decodePeerBatch(frame(v, 1, 8, 0, 0x81, 0x00, ...HEARTBEAT_BODY.slice(3))))).toBe('MALFORMED');
    // varints past 2^53: eight continuation bytes, or an 8th byte over 0x0f
    const tooLong = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    expect(codeOf(() => decodePeerBatch(frame(v, 1, 8, 0, ...tooLong, ...HEARTBEAT_BODY.slice(3))))).toBe('MALFORMED');
    const over53 = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x10];
    expect(codeOf(() => decodePeerBatch(frame(v, 1, 8, 0, ...over53, ...HEARTBEAT_BODY.slice(3))))).toBe('MALFORMED');
    const max53 = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f];
    const [decoded] = decodePeerBatch(frame(v, 1, 8, 0, ...max53, ...HEARTBEAT_BODY.slice(3)));
    expect(decoded?.from).toBe(Number.MAX_SAFE_INTEGER);
    // ctx that is not UTF-8
    const badCtx = [...HEARTBEAT_BODY.slice(0, 11), 1, 0xff, 0];
    expect(codeOf(() => decodePeerBatch(frame(v, 1, ...badCtx)))).toBe('MALFORMED');
    // unknown entry type
    const badEntry = [...HEARTBEAT_BODY.slice(0, 12), 1, 1, 1, 7, 0];
    expect(codeOf(() => decodePeerBatch(frame(v, 1, ...badEntry)))).toBe('MALFORMED');
  });

  it('refuses counts over the limits or past the end without allocating for them', () => {
    const v = PEER_FRAME_VERSION;
    // 2^53 - 1 messages announced in a 10-byte frame
    const huge = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f];
    expect(codeOf(() => decodePeerBatch(frame(v, ...huge)))).toBe('LIMIT_EXCEEDED');
    // a count within the limit that the frame cannot hold is refused before any message is read
    const twoAnnouncedOneSent = frame(v, 2, ...HEARTBEAT_BODY);
    expect(() => decodePeerBatch(twoAnnouncedOneSent)).toThrow(
      expect.objectContaining({ code: 'TRUNCATED', offset: 2 }),
    );
    // an entry whose data length runs past the end
    const longData = [...HEARTBEAT_BODY.slice(0, 12), 1, 1, 1, 0, 0xff, 0xff, 0x03];
    expect(codeOf(() => decodePeerBatch(frame(v, 1, ...longData)))).toBe('TRUNCATED');
    // ctx over its limit
    const ctxLength = [0x81, 0x20]; // 4097
    expect(MAX_PEER_CTX_BYTES).toBe(4096);
    const longCtx = [...HEARTBEAT_BODY.slice(0, 11), ...ctxLength];
    expect(codeOf(() => decodePeerBatch(frame(v, 1, ...longCtx)))).toBe('LIMIT_EXCEEDED');
  });

  it('refuses non-binary input', () => {
    expect(codeOf(() => decodePeerBatch('garbage' as unknown as Uint8Array))).toBe('MALFORMED');
  });
});

describe('peer batch encoder', () => {
  it('refuses values the format cannot carry', () => {
    const cases: [Partial<PeerMessage> | Record<string, unknown>, PeerFrameErrorCode][] = [
      [{ type: 'hup' }, 'INVALID_MESSAGE'],
      [{ from: 0 }, 'INVALID_MESSAGE'],
      [{ to: -1 }, 'INVALID_MESSAGE'],
      [{ term: 1.5 }, 'INVALID_MESSAGE'],
      [{ commit: 2 ** 53 }, 'INVALID_MESSAGE'],
      [{ ctx: 'x'.repeat(MAX_PEER_CTX_BYTES + 1) }, 'INVALID_MESSAGE'],
      [{ ctx: 'a\ud800b' }, 'INVALID_MESSAGE'],
      [{ entries: [{ term: 1, index: 1, type: 'other', data: new Uint8Array() }] }, 'INVALID_MESSAGE'],
      [
        {
          snapshot: {
            metadata: {
              index: 1,
              term: 1,
              confState: { voters: Array(MAX_PEER_CONF_MEMBERS + 1).fill(1), learners: [] },
            },
            data: new Uint8Array(),
          },
        },
        'INVALID_MESSAGE',
      ],
    ];
    for (const [change, code] of cases) {
      expect(codeOf(() => encodePeerBatch([{ ...heartbeat, ...change } as PeerMessage]))).toBe(code);
    }
    expect(codeOf(() => encodePeerBatch(Array(MAX_PEER_BATCH_MESSAGES + 1).fill(heartbeat)))).toBe('LIMIT_EXCEEDED');
  });

  it('keeps a ctx with a byte-order mark and astral characters intact', () => {
    const message = { ...heartbeat, type: 'readIndex' as const, ctx: '\ufeffread-😀-1' };
    expect(decodePeerBatch(encodePeerBatch([message]))).toEqual([message]);
  });
});

describe('peer handshake frames', () => {
  const nonce = 'ab'.repeat(16);
  const proof = 'cd'.repeat(32);
  const hello = { type: 'peerHello', protocol: 1, clusterId: 'c1', fromNodeName: 'n1', toNodeName: 'n2', nonce };

  it('parses well-formed frames', () => {
    expect(decodePeerChallenge(JSON.stringify({ type: 'peerChallenge', protocol: 1, nonce }))).toEqual({
      type: 'peerChallenge',
      protocol: 1,
      nonce,
    });
    expect(decodePeerHello(JSON.stringify(hello))).toEqual(hello);
    expect(decodePeerHello(JSON.stringify({ ...hello, proof }))).toEqual({ ...hello, proof });
    const welcome = { type: 'peerWelcome', protocol: 1, clusterId: 'c1', nodeName: 'n2', proof };
    expect(decodePeerWelcome(JSON.stringify(welcome))).toEqual(welcome);
  });

  it('refuses malformed frames with a code', () => {
    expect(codeOf(() => decodePeerHello('{'))).toBe('MALFORMED');
    expect(codeOf(() => decodePeerHello(JSON.stringify({ ...hello, protocol: 2 })))).toBe('UNSUPPORTED_VERSION');
    expect(codeOf(() => decodePeerHello(JSON.stringify({ ...hello, extra: 1 })))).toBe('INVALID_MESSAGE');
    expect(codeOf(() => decodePeerHello(JSON.stringify({ ...hello, fromNodeName: 'n 1' })))).toBe('INVALID_MESSAGE');
    expect(codeOf(() => decodePeerHello(JSON.stringify({ ...hello, clusterId: '' })))).toBe('INVALID_MESSAGE');
    expect(codeOf(() => decodePeerHello(JSON.stringify({ ...hello, nonce: 'XYZ' })))).toBe('INVALID_MESSAGE');
    expect(codeOf(() => decodePeerHello(JSON.stringify({ ...hello, proof: 'short' })))).toBe('INVALID_MESSAGE');
    expect(codeOf(() => decodePeerHello(JSON.stringify({ ...hello, type: 'peerWelcome' })))).toBe('INVALID_MESSAGE');
    expect(codeOf(() => decodePeerHello(JSON.stringify({ ...hello, clusterId: 'x'.repeat(3000) })))).toBe(
      'FRAME_TOO_LARGE',
    );
    expect(codeOf(() => decodePeerWelcome('null'))).toBe('INVALID_MESSAGE');
  });

  it('throws nothing but PeerFrameError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        codeOf(() => decodePeerHello(text));
        codeOf(() => decodePeerWelcome(text));
        codeOf(() => decodePeerChallenge(text));
      }),
      { seed: SEED, numRuns: 2_000 },
    );
  });
});
