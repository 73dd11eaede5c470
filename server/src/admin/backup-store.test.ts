import { LIMITS } from '@baton/proto-schemas';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/errors.js';
import { BackupStore } from './backup-store.js';
import { ADMIN_LIMITS } from './limits.js';

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
    return 'OK';
  } catch (err) {
    if (err instanceof ApiError) return err.code;
    throw err;
  }
};

afterEach(() => {
  vi.useRealTimers();
});

describe('BackupStore', () => {
  it('hands out the bytes in chunks and forgets them after the last one', () => {
    const store = new BackupStore();
    const bytes = Uint8Array.from({ length: 2 * LIMITS.snapshotChunkBytes + 5 }, (_, i) => i % 256);
    const id = store.hold(bytes);
    const parts: Buffer[] = [];
    let offset = 0;
    for (let i = 0; i < 10; i++) {
      const c = store.chunk(id, offset);
      const data = Buffer.from(c.data, 'base64');
      parts.push(data);
      offset += data.byteLength;
      if (c.done) break;
    }
    expect(Buffer.concat(parts).equals(Buffer.from(bytes))).toBe(true);
    expect(parts.map((x) => x.byteLength)).toEqual([LIMITS.snapshotChunkBytes, LIMITS.snapshotChunkBytes, 5]);
    expect(store.size).toBe(0);
    expect(codeOf(() => store.chunk(id, 0))).toBe('NOT_FOUND');
  });

  it('bounds how many are held, refuses offsets past the end, and drops abandoned ones', () => {
    vi.useFakeTimers();
    const store = new BackupStore(1_000);
    const ids = Array.from({ length: ADMIN_LIMITS.maxHeldSnapshots }, () => store.hold(new Uint8Array(10)));
    expect(codeOf(() => store.hold(new Uint8Array(1)))).toBe('RESOURCE_EXHAUSTED');
    expect(codeOf(() => store.chunk(ids[0] as string, 11))).toBe('INVALID_ARGUMENT');
    vi.advanceTimersByTime(1_001);
    expect(store.size).toBe(0);
    expect(codeOf(() => store.chunk(ids[1] as string, 0))).toBe('NOT_FOUND');
    store.close();
  });
});
