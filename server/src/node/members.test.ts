import { describe, expect, it } from 'vitest';
import { clientUrlFor, MembersError, nodeIdFromName, parseMembers } from './members.js';

describe('members', () => {
  it('derives stable positive ids from names', () => {
    expect(nodeIdFromName('n1')).toBe(nodeIdFromName('n1'));
    expect(nodeIdFromName('n1')).not.toBe(nodeIdFromName('n2'));
    for (const name of ['a', 'n1', 'node-17', 'x'.repeat(63)]) expect(nodeIdFromName(name)).toBeGreaterThan(0);
  });

  it('maps peer URLs to client URLs, with overrides for proxied peers', () => {
    expect(clientUrlFor('http://127.0.0.1:7001')).toBe('ws://127.0.0.1:7001/v1/client');
    expect(clientUrlFor('https://[::1]:7001')).toBe('wss://[::1]:7001/v1/client');
    const ms = parseMembers('a=http://127.0.0.1:9001,b=http://127.0.0.1:9002', 'a=ws://127.0.0.1:7001/v1/client');
    expect(ms[0]?.clientUrl).toBe('ws://127.0.0.1:7001/v1/client');
    expect(ms[0]?.peerUrl).toBe('http://127.0.0.1:9001');
    expect(ms[1]?.clientUrl).toBe('ws://127.0.0.1:9002/v1/client');
  });

  it('refuses malformed lists', () => {
    for (const bad of ['', 'n1', 'n1=', '=http://a:1', 'n 1=http://a:1', 'n1=http://a:1,n1=http://b:1', 'n1=nope']) {
      expect(() => parseMembers(bad), bad).toThrow(MembersError);
    }
  });
});
