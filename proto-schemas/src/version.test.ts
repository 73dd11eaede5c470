import { describe, expect, it } from 'vitest';
import { negotiateProtocolVersion, PROTOCOL_VERSION } from './version.js';

describe('negotiateProtocolVersion', () => {
  it('settles on a shared version, or null when none is shared', () => {
    expect(negotiateProtocolVersion(undefined)).toBe(PROTOCOL_VERSION);
    expect(negotiateProtocolVersion([3, 1, 2])).toBe(1);
    expect(negotiateProtocolVersion([2, 3])).toBeNull();
    expect(negotiateProtocolVersion([])).toBeNull();
  });
});
