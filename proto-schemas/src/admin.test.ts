import { describe, expect, it } from 'vitest';
import { LIMITS } from './limits.js';
import { parseClientFrame, parseResult } from './parse.js';
import { ADMIN_REQUEST_PREFIX, isAdminRequest, REQUEST_TYPES } from './requests.js';
import { VALID_REQUEST_EXAMPLES, VALID_RESULT_EXAMPLES } from './test-fixtures.js';

const add = (patch: Record<string, unknown>) =>
  parseClientFrame(JSON.stringify({ ...VALID_REQUEST_EXAMPLES['admin.members.add'], ...patch }));

describe('admin requests', () => {
  it('all start with admin. (the permission mapping depends on it) and are recognised', () => {
    const admin = REQUEST_TYPES.filter((t) => t.startsWith(ADMIN_REQUEST_PREFIX));
    expect(admin.sort()).toEqual([
      'admin.leader.transfer',
      'admin.members.add',
      'admin.members.list',
      'admin.members.promote',
      'admin.members.remove',
      'admin.snapshot.chunk',
      'admin.snapshot.save',
    ]);
    for (const type of REQUEST_TYPES) {
      const parsed = parseClientFrame(JSON.stringify(VALID_REQUEST_EXAMPLES[type]));
      if (!parsed.ok) throw new Error(type);
      expect(isAdminRequest(parsed.request)).toBe(type.startsWith('admin.'));
    }
  });

  it('the request id and the member id are different fields', () => {
    const parsed = add({});
    expect(parsed).toMatchObject({ ok: true, request: { id: 'r18', memberId: 'n4' } });
  });

  it.each([
    ['memberId', 'n 4'],
    ['memberId', '-n4'],
    ['memberId', 'x'.repeat(64)],
    ['peerUrl', 'ftp://10.0.0.4:7001'],
    ['peerUrl', 'http://10.0.0.4:7001/v1/peer'],
    ['peerUrl', 'http://user:pw@10.0.0.4:7001'],
    ['peerUrl', 'not a url'],
    ['peerUrl', `http://${'a'.repeat(LIMITS.maxMemberUrlBytes)}.example:1`],
    ['clientUrl', 'http://10.0.0.4:7001/v1/client'],
  ])('add refuses %s = %j, naming the field', (field, value) => {
    expect(add({ [field]: value })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', field } });
  });

  it('waits are bounded', () => {
    const frame = { ...VALID_REQUEST_EXAMPLES['admin.members.promote'], timeoutMs: LIMITS.maxAdminWaitMs + 1 };
    expect(parseClientFrame(JSON.stringify(frame))).toMatchObject({ ok: false, error: { field: 'timeoutMs' } });
  });

  it('a chunk answer is bounded by snapshotChunkBytes and must be base64', () => {
    const big = Buffer.alloc(LIMITS.snapshotChunkBytes + 3).toString('base64');
    expect(parseResult('admin.snapshot.chunk', { offset: 0, data: big, done: true }).ok).toBe(false);
    expect(parseResult('admin.snapshot.chunk', { offset: 0, data: '@@@', done: true }).ok).toBe(false);
    const max = Buffer.alloc(LIMITS.snapshotChunkBytes).toString('base64');
    expect(parseResult('admin.snapshot.chunk', { offset: 0, data: max, done: true }).ok).toBe(true);
    // the largest chunk answer still fits a client frame
    expect(
      JSON.stringify({
        type: 'response',
        id: 'x'.repeat(64),
        ok: true,
        result: { offset: 1e15, data: max, done: false },
      }).length,
    ).toBeLessThan(LIMITS.maxClientFrameBytes);
  });

  it('every result example parses', () => {
    for (const type of REQUEST_TYPES) expect(parseResult(type, VALID_RESULT_EXAMPLES[type]).ok, type).toBe(true);
  });
});
