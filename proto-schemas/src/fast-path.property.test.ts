/**
 * The hand-written fast paths against the schemas they shortcut, on generated frames: whatever a
 * fast path accepts, the schema accepts with an equal output; and on plain valid frames of the
 * hot types the fast path does answer (or it would be dead weight). Seeded: BATON_FC_SEED=<seed>
 * replays a failure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastClientRequest, fastResult, fastServerFrame } from './fast-path.js';
import { ServerFrameSchema } from './frames.js';
import { LIMITS } from './limits.js';
import { REQUEST_SCHEMAS, RESULT_SCHEMAS, type RequestType } from './requests.js';
import { hasControlOrLoneSurrogate, utf8ByteLength, utf8Bytes } from './utf8.js';

const seed = Number(process.env.BATON_FC_SEED ?? 20_260_101);
const runs = (numRuns: number) => ({ seed, numRuns });

const HOT_TYPES = [
  'lock.acquire',
  'lock.release',
  'session.keepalive',
  'election.campaign',
  'election.resign',
] as const;

const utf8Within = (minBytes: number, maxBytes: number, maxLength: number) =>
  fc
    .string({ unit: 'binary', minLength: minBytes, maxLength })
    .filter((t) => utf8ByteLength(t) >= minBytes && utf8ByteLength(t) <= maxBytes);
const name = fc.oneof(
  utf8Within(1, LIMITS.maxNameBytes, 40).filter((t) => !hasControlOrLoneSurrogate(t)),
  fc.constantFrom('é'.repeat(LIMITS.maxNameBytes / 2), '😀'.repeat(LIMITS.maxNameBytes / 4), 'a'.repeat(256)),
);
const positive = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const base = (type: string) => ({
  v: fc.constant(1),
  id: utf8Within(1, LIMITS.maxRequestIdBytes, 16),
  type: fc.constant(type),
});

const VALID: Record<(typeof HOT_TYPES)[number], fc.Arbitrary<Record<string, unknown>>> = {
  'lock.acquire': fc
    .record(
      {
        ...base('lock.acquire'),
        seq: positive,
        sessionId: positive.map(String),
        name,
        limit: fc.integer({ min: 1, max: LIMITS.maxSemaphoreLimit }),
        wait: fc.boolean(),
        timeoutMs: fc.integer({ min: 0, max: LIMITS.maxWaitMs }),
        lockDelayMs: fc.integer({ min: 0, max: LIMITS.maxLockDelayMs }),
      },
      { requiredKeys: ['v', 'id', 'type', 'seq', 'sessionId', 'name', 'wait'] },
    )
    .map((r) => (r.wait ? r : (({ timeoutMs: _t, ...rest }) => rest)(r))),
  'lock.release': fc.record({
    ...base('lock.release'),
    seq: positive,
    sessionId: positive.map(String),
    name,
    token: positive,
  }),
  'session.keepalive': fc.record({ ...base('session.keepalive'), sessionId: positive.map(String) }),
  'election.campaign': fc.record(
    {
      ...base('election.campaign'),
      seq: positive,
      sessionId: positive.map(String),
      name,
      value: utf8Within(0, LIMITS.maxValueBytes, 40),
      timeoutMs: fc.integer({ min: 0, max: LIMITS.maxWaitMs }),
    },
    { requiredKeys: ['v', 'id', 'type', 'seq', 'sessionId', 'name', 'value'] },
  ),
  'election.resign': fc.record({
    ...base('election.resign'),
    seq: positive,
    sessionId: positive.map(String),
    name,
    term: positive,
  }),
};

const anyValid = fc.oneof(...HOT_TYPES.map((t) => VALID[t]));

/** One field replaced by something arbitrary (or removed, or an unknown one added). */
const mutated = fc
  .tuple(
    anyValid,
    fc.oneof(
      fc.constantFrom('v', 'id', 'type', 'seq', 'sessionId', 'name', 'limit', 'wait', 'timeoutMs', 'lockDelayMs'),
      fc.constantFrom('value', 'token', 'term', 'metadata', '__proto__', 'constructor'),
      fc.string({ maxLength: 6 }),
    ),
    fc.option(
      fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.integer(),
        fc.double(),
        fc.constantFrom(0, -0, -1, 1.5, 2 ** 53, '0', '01', '9007199254740993', '', '\u0000', '\ud800', true),
      ),
      { nil: undefined },
    ),
  )
  .map(([frame, key, value]) => {
    const copy: Record<string, unknown> = { ...frame };
    if (value === undefined) delete copy[key];
    else Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
    // through JSON, as a frame arrives
    return JSON.parse(JSON.stringify(copy)) as Record<string, unknown>;
  });

function schemaOf(frame: Record<string, unknown>) {
  const t = frame.type;
  return typeof t === 'string' && Object.hasOwn(REQUEST_SCHEMAS, t) ? REQUEST_SCHEMAS[t as RequestType] : null;
}

describe('fastClientRequest', () => {
  it('answers every plain valid hot request, as the schema does', () => {
    fc.assert(
      fc.property(anyValid, (frame) => {
        const fast = fastClientRequest(frame);
        expect(fast).not.toBeNull();
        expect(fast).toEqual(schemaOf(frame)?.parse(frame));
      }),
      runs(3_000),
    );
  });

  it('accepts nothing the schema refuses, and outputs what the schema outputs', () => {
    fc.assert(
      fc.property(mutated, (frame) => {
        const fast = fastClientRequest(frame);
        if (fast === null) return;
        const parsed = schemaOf(frame)?.safeParse(frame);
        expect(parsed?.success, JSON.stringify(frame)).toBe(true);
        expect(fast).toEqual(parsed?.data);
      }),
      runs(20_000),
    );
  });
});

describe('fastClientRequest on arbitrary strings', () => {
  it('for names, values, ids and session ids', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({ unit: 'binary-ascii', maxLength: 20 }),
      fc.constantFrom(
        '\u007f',
        'a\u0080',
        '\u009f',
        '\u00a0',
        '\ud83d',
        '\ude00x',
        '😀',
        ' ',
        '01',
        '1e3',
        '9'.repeat(17),
      ),
    );
    const field = fc.constantFrom('name', 'value', 'id', 'sessionId');
    fc.assert(
      fc.property(VALID['election.campaign'], field, text, (frame, key, value) => {
        const f = JSON.parse(JSON.stringify({ ...frame, [key]: value })) as Record<string, unknown>;
        const fast = fastClientRequest(f);
        const parsed = REQUEST_SCHEMAS['election.campaign'].safeParse(f);
        expect(fast !== null, JSON.stringify(f)).toBe(parsed.success);
        if (fast !== null) expect(fast).toEqual(parsed.data);
      }),
      runs(20_000),
    );
  });
});

describe('fastResult and fastServerFrame', () => {
  const results = fc.oneof(
    fc.record({ acquired: fc.constant(true), token: positive, generation: fc.nat() }),
    fc.constant({ acquired: false }),
    fc.record({ ttlMs: fc.integer({ min: LIMITS.minTtlMs, max: LIMITS.maxTtlMs }), remainingMs: fc.nat() }),
    fc.record({ term: positive }),
    fc.constant({}),
    fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.double())),
  );
  const types = fc.constantFrom(...(Object.keys(RESULT_SCHEMAS) as RequestType[]));

  it('fastResult accepts nothing the schema refuses, with equal output', () => {
    fc.assert(
      fc.property(types, results, (type, r) => {
        const result = JSON.parse(JSON.stringify(r)) as unknown;
        const fast = fastResult(type, result);
        if (fast === null) return;
        const parsed = RESULT_SCHEMAS[type].safeParse(result);
        expect(parsed.success, `${type} ${JSON.stringify(result)}`).toBe(true);
        expect(fast).toEqual(parsed.data);
      }),
      runs(10_000),
    );
  });

  it('fastServerFrame accepts nothing ServerFrameSchema refuses, with equal output', () => {
    const frames = fc.oneof(
      fc.record({
        type: fc.constantFrom('response', 'event', 'x'),
        id: fc.oneof(utf8Within(1, 64, 8), fc.constant(''), fc.constant(null)),
        ok: fc.oneof(fc.constant(true), fc.boolean(), fc.constant(1)),
        result: fc.oneof(results, fc.jsonValue({ maxDepth: 2 })),
      }),
      fc.record(
        {
          type: fc.constant('event'),
          event: fc.constantFrom('granted', 'lost'),
          sessionId: fc.oneof(positive.map(String), fc.string({ maxLength: 4 })),
          name: fc.oneof(name, fc.string({ maxLength: 4 })),
          token: fc.oneof(positive, fc.integer()),
          generation: fc.oneof(positive, fc.integer()),
          requestId: fc.oneof(utf8Within(1, 64, 8), fc.constant('')),
          extra: fc.constant(1),
        },
        { requiredKeys: ['type', 'event'] },
      ),
    );
    fc.assert(
      fc.property(frames, (f) => {
        const frame = JSON.parse(JSON.stringify(f)) as Record<string, unknown>;
        const fast = fastServerFrame(frame);
        if (fast === null) return;
        const parsed = ServerFrameSchema.safeParse(frame);
        expect(parsed.success, JSON.stringify(frame)).toBe(true);
        expect(fast).toEqual(parsed.data);
      }),
      runs(10_000),
    );
  });
});

describe('utf8Bytes', () => {
  it('counts as TextEncoder encodes, lone surrogates included', () => {
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 50 }),
        fc.string({ unit: 'grapheme', maxLength: 20 }),
        (a, b) => {
          for (const s of [a, b, a + b, `${a}\ud800`, `\udc00${b}`])
            expect(utf8Bytes(s)).toBe(encoder.encode(s).length);
        },
      ),
      runs(5_000),
    );
  });
});
