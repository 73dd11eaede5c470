import { describe, expect, it } from 'vitest';
import { parseTokenFile } from './token-file.js';
import { TokenStore } from './token-store.js';

const A = 'token-a-0123456789abcdef';
const B = 'token-b-0123456789abcdef';
const EXPIRES = '2030-01-01T00:00:00Z';
const BEFORE = Date.parse(EXPIRES) - 1;
const AFTER = Date.parse(EXPIRES);

function table(tokens: Record<string, unknown>[]) {
  return parseTokenFile(JSON.stringify({ tokens }));
}

const BOTH = table([
  { name: 'a', token: A, permissions: { 'a/': ['lock'] } },
  { name: 'b', token: B, permissions: { 'b/': ['read'] }, expiresAt: EXPIRES },
]);

describe('TokenStore', () => {
  it('knows its tokens and nothing else', () => {
    const store = new TokenStore(BOTH);
    const a = store.authenticate(A, BEFORE);
    expect(a.ok && a.credential.identity.name).toBe('a');
    expect(store.authenticate(undefined, BEFORE)).toMatchObject({ ok: false });
    expect(store.authenticate('token-c-0123456789abcdef', BEFORE)).toEqual({ ok: false, message: 'unknown token' });
    // a prefix or an extension of a valid token is just another unknown token
    expect(store.authenticate(A.slice(0, -1), BEFORE).ok).toBe(false);
    expect(store.authenticate(`${A}x`, BEFORE).ok).toBe(false);
  });

  it('refuses a token at and after its expiresAt, also on a connection authenticated before', () => {
    const store = new TokenStore(BOTH);
    const b = store.authenticate(B, BEFORE);
    if (!b.ok) throw new Error('expected ok');
    expect(store.recheck(b.credential, BEFORE).ok).toBe(true);
    expect(store.recheck(b.credential, AFTER)).toEqual({ ok: false, message: 'the token expired' });
    expect(store.authenticate(B, AFTER)).toEqual({ ok: false, message: 'the token expired' });
  });

  it('after a reload, a removed token stops working and a changed one carries its new permissions', () => {
    const store = new TokenStore(BOTH);
    const a = store.authenticate(A, BEFORE);
    const b = store.authenticate(B, BEFORE);
    if (!a.ok || !b.ok) throw new Error('expected ok');
    store.replace(table([{ name: 'a', token: A, permissions: { 'other/': ['elect'] } }]));
    expect(store.recheck(b.credential, BEFORE)).toEqual({ ok: false, message: 'unknown token' });
    const again = store.recheck(a.credential, BEFORE);
    expect(again.ok && again.credential.identity.grants[0]?.prefix).toBe('other/');
    expect(again.ok && again.credential.generation).toBe(store.generation);
  });
});
