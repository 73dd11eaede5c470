import { describe, expect, it } from 'vitest';
import { LIMITS } from './limits.js';
import { parseClientFrame } from './parse.js';
import {
  ClientRequestSchema,
  isMutatingRequest,
  MUTATING_REQUEST_TYPES,
  REQUEST_SCHEMAS,
  REQUEST_TYPES,
  type RequestType,
} from './requests.js';
import { VALID_REQUEST_EXAMPLES } from './test-fixtures.js';

/** The example of `type` with `patch` applied; a key patched to `undefined` is removed. */
function frameOf(type: RequestType, patch: Record<string, unknown> = {}): string {
  const frame: Record<string, unknown> = { ...VALID_REQUEST_EXAMPLES[type], ...patch };
  for (const [key, value] of Object.entries(patch)) if (value === undefined) delete frame[key];
  return JSON.stringify(frame);
}

const maxNameBytesName = 'é'.repeat(LIMITS.maxNameBytes / 2);
const overlongName = `${maxNameBytesName}a`;

describe('every request type', () => {
  it('has an example, a schema and nothing else', () => {
    expect(Object.keys(VALID_REQUEST_EXAMPLES).sort()).toEqual([...REQUEST_TYPES].sort());
    expect(REQUEST_TYPES).toHaveLength(23);
  });

  it.each(REQUEST_TYPES)('%s: the example parses, through the union too', (type) => {
    const parsed = parseClientFrame(frameOf(type));
    expect(parsed).toEqual({ ok: true, request: VALID_REQUEST_EXAMPLES[type] });
    expect(ClientRequestSchema.safeParse(VALID_REQUEST_EXAMPLES[type]).success).toBe(true);
  });

  it.each(REQUEST_TYPES)('%s: an unknown field is refused and named', (type) => {
    const parsed = parseClientFrame(frameOf(type, { surprise: true }));
    expect(parsed).toMatchObject({ ok: false, id: VALID_REQUEST_EXAMPLES[type].id, error: { field: 'surprise' } });
  });

  it.each(REQUEST_TYPES)('%s: seq is required exactly on mutating requests', (type) => {
    const mutating = (MUTATING_REQUEST_TYPES as readonly string[]).includes(type);
    const withoutSeq = parseClientFrame(frameOf(type, { seq: undefined }));
    const withSeq = parseClientFrame(frameOf(type, { seq: 9 }));
    if (mutating) {
      expect(withoutSeq).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', field: 'seq' } });
      expect(withSeq.ok).toBe(true);
    } else {
      expect(withoutSeq.ok).toBe(true);
      expect(withSeq).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', field: 'seq' } });
    }
  });

  it('isMutatingRequest agrees with the presence of seq in each schema', () => {
    for (const type of REQUEST_TYPES) {
      const parsed = REQUEST_SCHEMAS[type].parse(VALID_REQUEST_EXAMPLES[type]);
      expect(isMutatingRequest(parsed), type).toBe('seq' in parsed);
    }
  });
});

/** [type, patch, the field the error must name]. Every case is INVALID_ARGUMENT. */
const INVALID: [RequestType, Record<string, unknown>, string][] = [
  ['hello', { clientId: undefined }, 'clientId'],
  ['hello', { clientId: '' }, 'clientId'],
  ['hello', { clientId: 'c'.repeat(LIMITS.maxClientIdBytes + 1) }, 'clientId'],
  ['hello', { token: 7 }, 'token'],
  ['hello', { protocolVersions: [] }, 'protocolVersions'],
  ['hello', { protocolVersions: [1, 'two'] }, 'protocolVersions[1]'],
  ['hello', { protocolVersions: Array(LIMITS.maxHelloProtocolVersions + 1).fill(1) }, 'protocolVersions'],
  ['session.open', { ttlMs: undefined }, 'ttlMs'],
  ['session.open', { ttlMs: LIMITS.minTtlMs - 1 }, 'ttlMs'],
  ['session.open', { ttlMs: LIMITS.maxTtlMs + 1 }, 'ttlMs'],
  ['session.open', { ttlMs: -5 }, 'ttlMs'],
  ['session.open', { ttlMs: 1e300 }, 'ttlMs'],
  ['session.open', { ttlMs: 1500.5 }, 'ttlMs'],
  ['session.open', { ttlMs: '5000' }, 'ttlMs'],
  ['session.open', { label: 'l'.repeat(LIMITS.maxSessionLabelBytes + 1) }, 'label'],
  ['session.open', { seq: 0 }, 'seq'],
  ['session.open', { seq: -1 }, 'seq'],
  ['session.open', { seq: 2 ** 53 }, 'seq'],
  ['session.keepalive', { sessionId: 12 }, 'sessionId'],
  ['session.keepalive', { sessionId: 'abc' }, 'sessionId'],
  ['session.close', { sessionId: undefined }, 'sessionId'],
  ['lock.acquire', { name: '' }, 'name'],
  ['lock.acquire', { name: overlongName }, 'name'],
  ['lock.acquire', { name: 'a\nb' }, 'name'],
  ['lock.acquire', { wait: undefined }, 'wait'],
  ['lock.acquire', { wait: 'yes' }, 'wait'],
  ['lock.acquire', { limit: 0 }, 'limit'],
  ['lock.acquire', { limit: LIMITS.maxSemaphoreLimit + 1 }, 'limit'],
  ['lock.acquire', { timeoutMs: -1 }, 'timeoutMs'],
  ['lock.acquire', { timeoutMs: LIMITS.maxWaitMs + 1 }, 'timeoutMs'],
  ['lock.acquire', { wait: false, timeoutMs: 10 }, 'timeoutMs'],
  ['lock.acquire', { lockDelayMs: LIMITS.maxLockDelayMs + 1 }, 'lockDelayMs'],
  ['lock.acquire', { metadata: { pid: 1.5 } }, 'metadata.pid'],
  ['lock.acquire', { metadata: { pid: -1 } }, 'metadata.pid'],
  ['lock.acquire', { metadata: { owner: 5 } }, 'metadata.owner'],
  ['lock.acquire', { metadata: { colour: 'red' } }, 'metadata.colour'],
  ['lock.acquire', { metadata: { owner: 'o'.repeat(LIMITS.maxMetadataBytes) } }, 'metadata'],
  ['lock.acquire', { metadata: 'cron' }, 'metadata'],
  ['lock.cancel', { requestId: undefined }, 'requestId'],
  ['lock.cancel', { requestId: 'r'.repeat(LIMITS.maxRequestIdBytes + 1) }, 'requestId'],
  ['lock.release', { token: undefined }, 'token'],
  ['lock.release', { token: 0 }, 'token'],
  ['lock.release', { token: '57' }, 'token'],
  ['lock.describe', { name: undefined }, 'name'],
  ['lock.fenceCheck', { token: 1.5 }, 'token'],
  ['election.campaign', { value: undefined }, 'value'],
  ['election.campaign', { value: 'v'.repeat(LIMITS.maxValueBytes + 1) }, 'value'],
  ['election.campaign', { timeoutMs: LIMITS.maxWaitMs + 1 }, 'timeoutMs'],
  ['election.proclaim', { term: undefined }, 'term'],
  ['election.proclaim', { value: null }, 'value'],
  ['election.resign', { term: -90 }, 'term'],
  ['election.leader', { name: 7 }, 'name'],
  ['election.observe', { name: overlongName }, 'name'],
  ['election.unobserve', { name: '\u0000' }, 'name'],
  ['status', { nodeId: 'n1' }, 'nodeId'],
];

describe('invalid requests', () => {
  it.each(INVALID)('%s %j → INVALID_ARGUMENT naming %s', (type, patch, field) => {
    const parsed = parseClientFrame(frameOf(type, patch));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.id).toBe(VALID_REQUEST_EXAMPLES[type].id);
    expect(parsed.error.code).toBe('INVALID_ARGUMENT');
    expect(parsed.error.field).toBe(field);
    expect(parsed.error.message.startsWith(`${field}: `)).toBe(true);
  });

  it('names the first bad field when several are bad', () => {
    const parsed = parseClientFrame(frameOf('session.open', { ttlMs: 1, label: 5 }));
    expect(parsed).toMatchObject({ ok: false, error: { field: 'ttlMs' } });
  });
});

describe('limit boundaries that pass', () => {
  it.each<[RequestType, Record<string, unknown>]>([
    ['session.open', { ttlMs: LIMITS.minTtlMs }],
    ['session.open', { ttlMs: LIMITS.maxTtlMs }],
    ['session.open', { label: '' }],
    ['session.open', { label: 'é'.repeat(LIMITS.maxSessionLabelBytes / 2) }],
    ['lock.acquire', { name: maxNameBytesName }],
    ['lock.acquire', { limit: LIMITS.maxSemaphoreLimit }],
    ['lock.acquire', { timeoutMs: 0 }],
    ['lock.acquire', { timeoutMs: LIMITS.maxWaitMs }],
    ['lock.acquire', { lockDelayMs: LIMITS.maxLockDelayMs }],
    ['lock.acquire', { metadata: {} }],
    ['lock.release', { token: Number.MAX_SAFE_INTEGER }],
    ['election.campaign', { value: '' }],
    ['election.campaign', { value: 'é'.repeat(LIMITS.maxValueBytes / 2) }],
    ['hello', { clientId: 'c'.repeat(LIMITS.maxClientIdBytes), token: undefined, protocolVersions: undefined }],
  ])('%s %j', (type, patch) => {
    expect(parseClientFrame(frameOf(type, patch)).ok).toBe(true);
  });

  it('metadata of exactly maxMetadataBytes passes and one byte more fails', () => {
    const overhead = JSON.stringify({ owner: '' }).length;
    const owner = 'o'.repeat(LIMITS.maxMetadataBytes - overhead);
    expect(parseClientFrame(frameOf('lock.acquire', { metadata: { owner } })).ok).toBe(true);
    expect(parseClientFrame(frameOf('lock.acquire', { metadata: { owner: `${owner}o` } }))).toMatchObject({
      ok: false,
      error: { field: 'metadata' },
    });
  });
});

describe('defaults', () => {
  it('a lock.acquire without limit is a lock (limit 1)', () => {
    const parsed = parseClientFrame(frameOf('lock.acquire', { limit: undefined }));
    expect(parsed).toMatchObject({ ok: true, request: { limit: 1 } });
  });

  it('a try (wait: false) without timeout parses', () => {
    const parsed = parseClientFrame(frameOf('lock.acquire', { wait: false, timeoutMs: undefined }));
    expect(parsed).toMatchObject({ ok: true, request: { wait: false } });
  });
});
