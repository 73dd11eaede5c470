import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './errors.js';
import { errorResponse, event, okResponse, ServerFrameSchema } from './frames.js';
import { parseResult, parseServerFrame } from './parse.js';
import { REQUEST_TYPES } from './requests.js';
import { VALID_RESULT_EXAMPLES } from './test-fixtures.js';

describe('frame builders', () => {
  it.each(REQUEST_TYPES)('okResponse of a %s result survives the wire and its result parses', (type) => {
    const frame = okResponse('r1', VALID_RESULT_EXAMPLES[type]);
    const parsed = parseServerFrame(JSON.stringify(frame));
    expect(parsed).toEqual({ ok: true, frame });
    expect(parseResult(type, frame.result)).toEqual({ ok: true, result: VALID_RESULT_EXAMPLES[type] });
  });

  it.each(ERROR_CODES)('errorResponse with %s survives the wire', (code) => {
    const frame = errorResponse('r1', code, 'what happened', { field: 'name', leaderHint: undefined });
    expect(frame.error).toEqual({ code, message: 'what happened', field: 'name' });
    expect(parseServerFrame(JSON.stringify(frame))).toEqual({ ok: true, frame });
  });

  it('an error response may have a null id (the request id was unreadable)', () => {
    const frame = errorResponse(null, 'INVALID_ARGUMENT', 'malformed JSON');
    expect(parseServerFrame(JSON.stringify(frame))).toEqual({ ok: true, frame });
  });

  it('NOT_LEADER carries the leader hint', () => {
    const frame = errorResponse('r1', 'NOT_LEADER', 'not the leader', { leaderHint: 'ws://127.0.0.1:7002/v1/client' });
    expect(ServerFrameSchema.parse(frame)).toEqual(frame);
  });

  it('builds every event and each survives the wire', () => {
    const events = [
      event('granted', { sessionId: '12', name: 'n', token: 57, generation: 3, requestId: 'r5' }),
      event('lost', { sessionId: '12', name: 'n', token: 57, reason: 'expired' }),
      event('sessionExpired', { sessionId: '12' }),
      event('election', { name: 'primary', leader: null }),
      event('election', { name: 'primary', leader: { sessionId: '12', value: 'v', term: 90 } }),
    ];
    for (const frame of events) {
      expect(frame.type).toBe('event');
      expect(parseServerFrame(JSON.stringify(frame))).toEqual({ ok: true, frame });
    }
  });
});

describe('parseServerFrame', () => {
  it('a frame that breaks the contract is INTERNAL, naming the field and echoing a response id', () => {
    const bad = { type: 'response', id: 'r1', ok: false, error: { code: 'WHATEVER', message: 'm' } };
    expect(parseServerFrame(JSON.stringify(bad))).toMatchObject({
      ok: false,
      id: 'r1',
      error: { code: 'INTERNAL', field: 'error.code' },
    });
  });

  it('refuses unknown events, unknown keys, malformed JSON and non-objects', () => {
    for (const text of [
      JSON.stringify({ type: 'event', event: 'surprise' }),
      JSON.stringify({ ...event('sessionExpired', { sessionId: '1' }), extra: 1 }),
      JSON.stringify({ type: 'response', id: 'r', ok: true }),
      '{',
      '[]',
    ]) {
      expect(parseServerFrame(text), text).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    }
  });
});

describe('parseResult', () => {
  it('checks a result against the schema of its request type', () => {
    expect(parseResult('lock.acquire', { acquired: false })).toEqual({ ok: true, result: { acquired: false } });
    expect(parseResult('lock.acquire', { acquired: false, token: 3 })).toMatchObject({
      ok: false,
      error: { code: 'INTERNAL', field: 'result.token' },
    });
    expect(parseResult('session.close', { sessionId: '1' })).toMatchObject({
      ok: false,
      error: { field: 'result.sessionId' },
    });
    expect(parseResult('status', { ...VALID_RESULT_EXAMPLES.status, role: 'boss' })).toMatchObject({
      ok: false,
      error: { field: 'result.role' },
    });
    const describeResult = VALID_RESULT_EXAMPLES['lock.describe'];
    const badHolder = { ...describeResult, holders: [{ ...describeResult.holders[0], token: -1 }] };
    expect(parseResult('lock.describe', badHolder)).toMatchObject({
      ok: false,
      error: { field: 'result.holders[0].token' },
    });
  });
});
