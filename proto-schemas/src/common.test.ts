import { describe, expect, it } from 'vitest';
import { NameSchema, RequestIdSchema, SessionIdSchema } from './common.js';
import { LIMITS } from './limits.js';
import { utf8ByteLength } from './utf8.js';

describe('NameSchema', () => {
  const max = LIMITS.maxNameBytes;

  it.each([
    ['ASCII', 'a'.repeat(max)],
    ['2-byte é', 'é'.repeat(max / 2)],
    ['3-byte €, topped up with ASCII', `${'€'.repeat(Math.floor(max / 3))}${'a'.repeat(max % 3)}`],
    ['4-byte emoji', '😀'.repeat(max / 4)],
  ])('accepts exactly maxNameBytes bytes (%s)', (_label, name) => {
    expect(utf8ByteLength(name)).toBe(max);
    expect(NameSchema.safeParse(name).success).toBe(true);
  });

  it.each([
    ['ASCII', `${'a'.repeat(max)}a`],
    ['2-byte é', `${'é'.repeat(max / 2)}a`],
    ['3-byte €', `${'€'.repeat(Math.floor(max / 3))}${'a'.repeat(max % 3)}€`],
    ['4-byte emoji', `${'😀'.repeat(max / 4)}a`],
  ])('refuses maxNameBytes + 1 or more bytes (%s)', (_label, name) => {
    expect(utf8ByteLength(name)).toBeGreaterThan(max);
    expect(NameSchema.safeParse(name).success).toBe(false);
  });

  it('counts bytes, not UTF-16 code units', () => {
    const name = 'é'.repeat(max / 2 + 1); // fewer code units than the limit, more bytes
    expect(name.length).toBeLessThan(max);
    expect(NameSchema.safeParse(name).success).toBe(false);
  });

  it('refuses the empty name, control characters and unpaired surrogates', () => {
    for (const bad of ['', 'a\u0000b', 'tab\there', 'line\n', 'del\u007f', 'c1\u0085', 'lone\ud800', '\udc00x']) {
      expect(NameSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('accepts spaces, slashes, paired surrogates and other printable text', () => {
    for (const good of ['a b', 'jobs/nightly', '锁', '🔒 lock', 'x.y-z_1']) {
      expect(NameSchema.safeParse(good).success, good).toBe(true);
    }
  });

  it('refuses non-strings', () => {
    for (const bad of [1, null, undefined, ['a'], { name: 'a' }]) {
      expect(NameSchema.safeParse(bad).success).toBe(false);
    }
  });
});

describe('RequestIdSchema', () => {
  it('accepts 1..maxRequestIdBytes bytes and refuses more', () => {
    expect(RequestIdSchema.safeParse('x').success).toBe(true);
    expect(RequestIdSchema.safeParse('é'.repeat(LIMITS.maxRequestIdBytes / 2)).success).toBe(true);
    expect(RequestIdSchema.safeParse(`${'é'.repeat(LIMITS.maxRequestIdBytes / 2)}a`).success).toBe(false);
    expect(RequestIdSchema.safeParse('').success).toBe(false);
  });
});

describe('SessionIdSchema', () => {
  it('accepts the decimal of a positive safe integer', () => {
    for (const good of ['1', '12', String(Number.MAX_SAFE_INTEGER)]) {
      expect(SessionIdSchema.safeParse(good).success, good).toBe(true);
    }
  });

  it('refuses anything else', () => {
    const bad = [
      '0',
      '012',
      '-1',
      '1.5',
      '1e3',
      ' 1',
      'abc',
      '',
      String(Number.MAX_SAFE_INTEGER + 1),
      '1'.repeat(17),
      12,
    ];
    for (const value of bad) {
      expect(SessionIdSchema.safeParse(value).success, String(value)).toBe(false);
    }
  });
});

describe('utf8ByteLength', () => {
  it('counts UTF-8 bytes', () => {
    expect(utf8ByteLength('')).toBe(0);
    expect(utf8ByteLength('aé€😀')).toBe(1 + 2 + 3 + 4);
  });

  it('answers "over the cap" without encoding a string with more code units than the cap', () => {
    expect(utf8ByteLength('abcdef', 3)).toBeGreaterThan(3);
    expect(utf8ByteLength('é', 3)).toBe(2);
  });
});
