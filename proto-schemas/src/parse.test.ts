import { describe, expect, it } from 'vitest';
import { LIMITS } from './limits.js';
import { parseClientFrame } from './parse.js';
import { VALID_REQUEST_EXAMPLES } from './test-fixtures.js';

const status = VALID_REQUEST_EXAMPLES.status;

function withFields(fields: Record<string, unknown>): string {
  return JSON.stringify({ ...status, ...fields });
}

describe('parseClientFrame: frames that are not requests at all', () => {
  it.each(['', '{', '{"v":1,', 'undefined', "{'v':1}", '{"v":1}}', 'NaN'])('malformed JSON %j', (text) => {
    expect(parseClientFrame(text)).toEqual({
      ok: false,
      id: null,
      error: { code: 'INVALID_ARGUMENT', message: 'malformed JSON' },
    });
  });

  it.each(['null', '[]', '[{"v":1}]', '"status"', '42', 'true'])('non-object %s', (text) => {
    expect(parseClientFrame(text)).toMatchObject({ ok: false, id: null, error: { code: 'INVALID_ARGUMENT' } });
  });

  it('a non-string argument (from untyped JS) is refused, not thrown', () => {
    expect(parseClientFrame(42 as unknown as string)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
  });

  it('a frame over maxClientFrameBytes is refused before it is parsed', () => {
    const padding = 'x'.repeat(LIMITS.maxClientFrameBytes);
    expect(parseClientFrame(withFields({ padding }))).toMatchObject({
      ok: false,
      id: null,
      error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining(`${LIMITS.maxClientFrameBytes}`) },
    });
  });
});

describe('parseClientFrame: the envelope', () => {
  it('v other than 1 → UNSUPPORTED_VERSION, echoing the id', () => {
    for (const v of [0, 2, 1.5, -1]) {
      expect(parseClientFrame(withFields({ v }))).toEqual({
        ok: false,
        id: status.id,
        error: { code: 'UNSUPPORTED_VERSION', message: expect.any(String), field: 'v' },
      });
    }
  });

  it('v missing or not a number → INVALID_ARGUMENT naming v', () => {
    for (const v of [undefined, '1', null, [1]]) {
      expect(parseClientFrame(withFields({ v }))).toMatchObject({
        ok: false,
        id: status.id,
        error: { code: 'INVALID_ARGUMENT', field: 'v' },
      });
    }
  });

  it('a missing, empty, non-string or overlong id → INVALID_ARGUMENT naming id, with id null', () => {
    for (const id of [undefined, '', 7, 'i'.repeat(LIMITS.maxRequestIdBytes + 1)]) {
      expect(parseClientFrame(withFields({ id }))).toMatchObject({
        ok: false,
        id: null,
        error: { code: 'INVALID_ARGUMENT', field: 'id' },
      });
    }
  });

  it('an unknown or missing type → INVALID_ARGUMENT naming type, echoing the id', () => {
    for (const type of ['lock.steal', 'toString', '__proto__', 'hasOwnProperty', undefined, 3, null]) {
      expect(parseClientFrame(withFields({ type }))).toMatchObject({
        ok: false,
        id: status.id,
        error: { code: 'INVALID_ARGUMENT', field: 'type' },
      });
    }
  });

  it('quotes at most a bounded prefix of an unknown type', () => {
    const parsed = parseClientFrame(withFields({ type: 'z'.repeat(10_000) }));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.message.length).toBeLessThan(200);
  });

  it('the id is echoed even when the rest of the frame is bad', () => {
    const parsed = parseClientFrame(JSON.stringify({ v: 1, id: 'keep-me', type: 'session.open', seq: 'x' }));
    expect(parsed).toMatchObject({ ok: false, id: 'keep-me', error: { field: 'seq' } });
  });
});

describe('parseClientFrame: hostile shapes', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('refuses a %s key at the top level', (key) => {
    const text = `{"v":1,"id":"r","type":"status","${key}":{"polluted":true}}`;
    expect(parseClientFrame(text)).toMatchObject({
      ok: false,
      id: 'r',
      error: { code: 'INVALID_ARGUMENT', field: key },
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a __proto__ key nested in metadata and names its path', () => {
    const frame = { ...VALID_REQUEST_EXAMPLES['lock.acquire'], metadata: '__HERE__' };
    const text = JSON.stringify(frame).replace('"__HERE__"', '{"__proto__":{"isAdmin":true}}');
    expect(parseClientFrame(text)).toMatchObject({ ok: false, error: { field: 'metadata.__proto__' } });
  });

  it('refuses nesting deeper than maxFrameDepth, naming where', () => {
    // The frame is level 1, `extra` level 2: its innermost array is level maxFrameDepth + 1.
    const deep = JSON.parse(`${'['.repeat(LIMITS.maxFrameDepth)}${']'.repeat(LIMITS.maxFrameDepth)}`) as unknown;
    expect(parseClientFrame(withFields({ extra: deep }))).toMatchObject({
      ok: false,
      id: status.id,
      error: { code: 'INVALID_ARGUMENT', field: `extra${'[0]'.repeat(LIMITS.maxFrameDepth - 1)}` },
    });
  });

  it('survives nesting as deep as a maximum-size frame allows', () => {
    const depth = Math.floor(LIMITS.maxClientFrameBytes / 2) - 100;
    const text = `{"v":1,"id":"r","type":"status","x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    expect(parseClientFrame(text)).toMatchObject({ ok: false, id: 'r', error: { code: 'INVALID_ARGUMENT' } });
  });

  it('nesting at exactly maxFrameDepth reaches the schema (which names the unknown key)', () => {
    const depth = LIMITS.maxFrameDepth - 1; // the frame object itself is level 1
    const nested = JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown;
    expect(parseClientFrame(withFields({ extra: nested }))).toMatchObject({
      ok: false,
      error: { field: 'extra', message: 'extra: unknown field' },
    });
  });
});
