/**
 * Properties of the parsers over generated input. Seeded: a failure prints its seed and path, and
 * BATON_FC_SEED=<seed> replays it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './errors.js';
import { ErrorBodySchema, errorResponse, ServerFrameSchema } from './frames.js';
import { LIMITS } from './limits.js';
import { type ClientFrameParse, parseClientFrame } from './parse.js';
import { type ClientRequestInput, ClientRequestSchema, REQUEST_TYPES, type RequestType } from './requests.js';
import { VALID_REQUEST_EXAMPLES } from './test-fixtures.js';
import { hasControlOrLoneSurrogate, utf8ByteLength } from './utf8.js';

const seed = Number(process.env.BATON_FC_SEED ?? 20_250_101);
const runs = (numRuns: number) => ({ seed, numRuns });

/** The outcome is one of the two typed shapes, whatever the input was. */
function expectTyped(outcome: ClientFrameParse): void {
  if (outcome.ok) {
    expect(REQUEST_TYPES).toContain(outcome.request.type);
    expect(ClientRequestSchema.safeParse(outcome.request).success).toBe(true);
    return;
  }
  expect(ERROR_CODES).toContain(outcome.error.code);
  expect(ErrorBodySchema.safeParse(outcome.error).success).toBe(true);
  expect(outcome.error.message.length).toBeGreaterThan(0);
  expect(outcome.id === null || typeof outcome.id === 'string').toBe(true);
  // The server answers with this error as-is: it must itself be a valid server frame.
  const answer = errorResponse(outcome.id, outcome.error.code, outcome.error.message, outcome.error);
  expect(ServerFrameSchema.safeParse(JSON.parse(JSON.stringify(answer))).success).toBe(true);
}

describe('parseClientFrame never throws and always answers a typed result', () => {
  it('for arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => expectTyped(parseClientFrame(text))),
      runs(3_000),
    );
  });

  it('for arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => expectTyped(parseClientFrame(JSON.stringify(value) ?? 'null'))),
      runs(3_000),
    );
  });

  it('for valid requests with one field (or one metadata field) replaced by arbitrary JSON or removed', () => {
    const fieldNames = [...new Set(Object.values(VALID_REQUEST_EXAMPLES).flatMap((example) => Object.keys(example)))];
    const mutation = fc.record({
      type: fc.constantFrom(...REQUEST_TYPES),
      inMetadata: fc.boolean(),
      key: fc.oneof(
        fc.constantFrom(...fieldNames, 'owner', 'host', 'pid', '__proto__', 'constructor'),
        fc.string({ maxLength: 8 }),
      ),
      value: fc.option(fc.jsonValue({ maxDepth: 12 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(mutation, ({ type, inMetadata, key, value }) => {
        const frame: Record<string, unknown> = { ...VALID_REQUEST_EXAMPLES[type] };
        const target: Record<string, unknown> = inMetadata ? { ...(frame.metadata as object) } : frame;
        if (inMetadata) frame.metadata = target;
        // defineProperty, so that `__proto__` becomes an own key as JSON.parse would make it.
        if (value === undefined) delete target[key];
        else Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
        const outcome = parseClientFrame(JSON.stringify(frame));
        expectTyped(outcome);
        if (!outcome.ok && !(key === 'id' && !inMetadata)) expect(outcome.id).toBe(frame.id);
      }),
      runs(3_000),
    );
  });

  it('for truncations of valid frames', () => {
    const truncation = fc.constantFrom(...REQUEST_TYPES).chain((type) => {
      const text = JSON.stringify(VALID_REQUEST_EXAMPLES[type]);
      return fc.integer({ min: 0, max: text.length - 1 }).map((end) => text.slice(0, end));
    });
    fc.assert(
      fc.property(truncation, (text) => {
        const outcome = parseClientFrame(text);
        expectTyped(outcome);
        expect(outcome.ok).toBe(false);
      }),
      runs(1_000),
    );
  });
});

// Arbitraries of valid requests, built from the limits (not from the schemas they test).
const utf8Within = (minBytes: number, maxBytes: number, maxLength: number) =>
  fc
    .string({ unit: 'binary', minLength: minBytes, maxLength })
    .filter((text) => utf8ByteLength(text) >= minBytes && utf8ByteLength(text) <= maxBytes);
const exactlyMaxBytesName = fc.constantFrom('é'.repeat(LIMITS.maxNameBytes / 2), '😀'.repeat(LIMITS.maxNameBytes / 4));
const name = fc.oneof(
  utf8Within(1, LIMITS.maxNameBytes, 40).filter((text) => !hasControlOrLoneSurrogate(text)),
  exactlyMaxBytesName,
);
const requestId = utf8Within(1, LIMITS.maxRequestIdBytes, 16);
const logIndex = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const sessionId = logIndex.map(String);
const seq = logIndex;
const waitMs = fc.integer({ min: 0, max: LIMITS.maxWaitMs });
const value = utf8Within(0, LIMITS.maxValueBytes, 40);
const nodeName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/);
const peerUrl = fc
  .tuple(
    fc.constantFrom('http', 'https'),
    fc.constantFrom('127.0.0.1', 'db-1.example', '[::1]'),
    fc.integer({ min: 1, max: 65_535 }),
  )
  .map(([scheme, host, port]) => `${scheme}://${host}:${port}`);
const adminWaitMs = fc.integer({ min: 0, max: LIMITS.maxAdminWaitMs });
const metadata = fc.record(
  {
    owner: fc.string({ unit: 'binary', maxLength: 60 }),
    host: fc.string({ unit: 'binary', maxLength: 60 }),
    pid: fc.integer({ min: 0, max: 4_194_304 }),
  },
  { requiredKeys: [] },
);

function request<T extends RequestType>(
  type: T,
  fields: Record<string, fc.Arbitrary<unknown>>,
  optional: string[] = [],
) {
  const model: Record<string, fc.Arbitrary<unknown>> = { v: fc.constant(1), id: requestId, type: fc.constant(type) };
  Object.assign(model, fields);
  const requiredKeys = Object.keys(model).filter((key) => !optional.includes(key));
  return fc.record(model, { requiredKeys });
}

const VALID_REQUESTS: { [T in RequestType]: fc.Arbitrary<unknown> } = {
  hello: request(
    'hello',
    {
      clientId: utf8Within(1, LIMITS.maxClientIdBytes, 32),
      token: utf8Within(1, LIMITS.maxAuthTokenBytes, 32),
      protocolVersions: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 16 }),
    },
    ['token', 'protocolVersions'],
  ),
  'session.open': request(
    'session.open',
    {
      seq,
      ttlMs: fc.integer({ min: LIMITS.minTtlMs, max: LIMITS.maxTtlMs }),
      label: utf8Within(0, LIMITS.maxSessionLabelBytes, 32),
    },
    ['label'],
  ),
  'session.keepalive': request('session.keepalive', { sessionId }),
  'session.close': request('session.close', { seq, sessionId }),
  'lock.acquire': fc.oneof(
    request(
      'lock.acquire',
      {
        seq,
        sessionId,
        name,
        limit: fc.integer({ min: 1, max: LIMITS.maxSemaphoreLimit }),
        wait: fc.constant(true),
        timeoutMs: waitMs,
        lockDelayMs: fc.integer({ min: 0, max: LIMITS.maxLockDelayMs }),
        metadata,
      },
      ['limit', 'timeoutMs', 'lockDelayMs', 'metadata'],
    ),
    request('lock.acquire', { seq, sessionId, name, wait: fc.constant(false), metadata }, ['metadata']),
  ),
  'lock.cancel': request('lock.cancel', { requestId }),
  'lock.release': request('lock.release', { seq, sessionId, name, token: logIndex }),
  'lock.describe': request('lock.describe', { name }),
  'lock.fenceCheck': request('lock.fenceCheck', { name, token: logIndex }),
  'election.campaign': request('election.campaign', { seq, sessionId, name, value, timeoutMs: waitMs }, ['timeoutMs']),
  'election.proclaim': request('election.proclaim', { seq, sessionId, name, term: logIndex, value }),
  'election.resign': request('election.resign', { seq, sessionId, name, term: logIndex }),
  'election.leader': request('election.leader', { name }),
  'election.observe': request('election.observe', { name }),
  'election.unobserve': request('election.unobserve', { name }),
  status: request('status', {}),
  'admin.members.list': request('admin.members.list', {}),
  'admin.members.add': request(
    'admin.members.add',
    { memberId: nodeName, peerUrl: peerUrl, clientUrl: peerUrl.map((u) => `${u.replace(/^http/, 'ws')}/v1/client`) },
    ['clientUrl'],
  ),
  'admin.members.promote': request('admin.members.promote', { memberId: nodeName, timeoutMs: adminWaitMs }, [
    'timeoutMs',
  ]),
  'admin.members.remove': request('admin.members.remove', { memberId: nodeName }),
  'admin.leader.transfer': request('admin.leader.transfer', { memberId: nodeName, timeoutMs: adminWaitMs }, [
    'timeoutMs',
  ]),
  'admin.snapshot.save': request('admin.snapshot.save', {}),
  'admin.snapshot.chunk': request('admin.snapshot.chunk', {
    snapshotId: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
    offset: fc.nat(),
  }),
};

describe('valid requests round-trip', () => {
  it('has a generator for every request type', () => {
    expect(Object.keys(VALID_REQUESTS).sort()).toEqual([...REQUEST_TYPES].sort());
  });

  it.each(REQUEST_TYPES)('%s: parse(stringify(request)) is the request (defaults filled in), and stable', (type) => {
    fc.assert(
      fc.property(VALID_REQUESTS[type], (generated) => {
        const input = generated as ClientRequestInput;
        const outcome = parseClientFrame(JSON.stringify(input));
        if (!outcome.ok) throw new Error(`refused: ${JSON.stringify(outcome.error)}`);
        const expected = input.type === 'lock.acquire' ? { ...input, limit: input.limit ?? 1 } : input;
        expect(outcome.request).toEqual(expected);
        expect(parseClientFrame(JSON.stringify(outcome.request))).toEqual(outcome);
      }),
      runs(200),
    );
  });
});
