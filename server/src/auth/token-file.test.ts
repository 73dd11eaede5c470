import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyPath } from '../node/config-error.js';
import { parseTokenFile, TokenFileError, tokenDigest } from './token-file.js';

const TOKEN = 'cron-token-0123456789abcdef';

function keyOf(json: unknown): string {
  try {
    parseTokenFile(typeof json === 'string' ? json : JSON.stringify(json));
  } catch (err) {
    expect(err).toBeInstanceOf(TokenFileError);
    expect((err as TokenFileError).code).toBe('INVALID_CONFIG');
    return (err as TokenFileError).key;
  }
  throw new Error('expected a TokenFileError');
}

function entry(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'cron', token: TOKEN, permissions: { 'jobs/': ['lock'] }, ...fields };
}

describe('parseTokenFile', () => {
  it('reads tokens, digests and grants; keeps no token text', () => {
    const sha = createHash('sha256').update('ops-token-0123456789abcdef').digest('hex');
    const table = parseTokenFile(
      JSON.stringify({
        tokens: [
          entry(),
          { name: 'ops', sha256: sha, permissions: { '': ['admin'] }, expiresAt: '2030-01-01T00:00:00Z' },
        ],
      }),
    );
    expect(table.entries).toHaveLength(2);
    const [cron, ops] = table.entries;
    expect(cron?.digest.equals(tokenDigest(TOKEN))).toBe(true);
    expect(cron?.identity).toMatchObject({ name: 'cron', admin: false });
    expect([...(cron?.identity.grants[0]?.permissions ?? [])]).toEqual(['lock']);
    expect(cron?.expiresAtMs).toBeNull();
    expect(ops?.digest.toString('hex')).toBe(sha);
    expect(ops?.identity.admin).toBe(true);
    expect(ops?.expiresAtMs).toBe(Date.parse('2030-01-01T00:00:00Z'));
    expect(JSON.stringify(table)).not.toContain(TOKEN);
  });

  it('accepts an empty list (every client refused)', () => {
    expect(parseTokenFile('{"tokens":[]}').entries).toEqual([]);
  });

  it.each([
    ['not JSON', '{tokens', 'file'],
    ['not an object', [], '(top level)'],
    ['no tokens key', {}, 'tokens'],
    ['an unknown top-level key', { tokens: [], users: [] }, '(top level)'],
    ['an unknown entry key', { tokens: [entry({ role: 'x' })] }, 'tokens[0]'],
    ['a bad name', { tokens: [entry({ name: 'has space' })] }, 'tokens[0].name'],
    ['a short token', { tokens: [entry({ token: 'short' })] }, 'tokens[0].token'],
    ['a token and a sha256', { tokens: [entry({ sha256: 'a'.repeat(64) })] }, 'tokens[0].token'],
    ['neither token nor sha256', { tokens: [{ name: 'x', permissions: { '': ['read'] } }] }, 'tokens[0].token'],
    ['a bad sha256', { tokens: [{ name: 'x', sha256: 'XYZ', permissions: {} }] }, 'tokens[0].sha256'],
    [
      'an unknown permission',
      { tokens: [entry(), entry({ name: 'b', token: `${TOKEN}-b`, permissions: { 'jobs/': ['write'] } })] },
      'tokens[1].permissions["jobs/"][0]',
    ],
    [
      'an empty permission list',
      { tokens: [entry({ permissions: { 'jobs/': [] } })] },
      'tokens[0].permissions["jobs/"]',
    ],
    [
      'admin on a prefix',
      { tokens: [entry({ permissions: { 'jobs/': ['admin'] } })] },
      'tokens[0].permissions["jobs/"]',
    ],
    ['a bad expiresAt', { tokens: [entry({ expiresAt: 'tomorrow' })] }, 'tokens[0].expiresAt'],
    ['an expiresAt without a zone', { tokens: [entry({ expiresAt: '2030-01-01T00:00:00' })] }, 'tokens[0].expiresAt'],
    ['a duplicate token', { tokens: [entry(), entry({ name: 'again' })] }, 'tokens[1].token'],
    [
      'a prefix over the name limit',
      { tokens: [entry({ permissions: { ['p/'.repeat(150)]: ['read'] } })] },
      `tokens[0].permissions[${JSON.stringify('p/'.repeat(150))}]`,
    ],
  ])('%s is refused naming the key', (_what, json, key) => {
    expect(keyOf(json)).toBe(key);
  });

  it('refuses a token digest that is also given as a plain token', () => {
    const sha = tokenDigest(TOKEN).toString('hex');
    expect(keyOf({ tokens: [entry(), { name: 'twin', sha256: sha, permissions: { '': ['read'] } }] })).toBe(
      'tokens[1].sha256',
    );
  });
});

describe('keyPath', () => {
  it('writes paths as a reader would', () => {
    expect(keyPath(['tokens', 2, 'permissions', 'jobs/', 0])).toBe('tokens[2].permissions["jobs/"][0]');
    expect(keyPath([])).toBe('(top level)');
    expect(keyPath(['tick-ms'])).toBe('["tick-ms"]');
  });
});
