/** The WAL tells its sync observer about every durable batch: the node's fsync histogram. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskStorage } from './disk-storage.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('WAL sync observer', () => {
  it('is called once per synced batch with its duration and bytes, and not for an empty persist', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-walobs-'));
    dirs.push(dir);
    const syncs: { durationMs: number; bytes: number }[] = [];
    const { storage } = await DiskStorage.open(dir, {
      onWalSync: (durationMs, bytes) => syncs.push({ durationMs, bytes }),
    });
    try {
      await storage.persist({ entries: [], hardState: null, snapshot: null });
      expect(syncs).toHaveLength(0);
      const data = new Uint8Array(100);
      await storage.persist({
        entries: [{ index: 1, term: 1, type: 'normal', data }],
        hardState: { term: 1, vote: 0, commit: 0 },
        snapshot: null,
      });
      expect(syncs).toHaveLength(1);
      expect(syncs[0]?.durationMs).toBeGreaterThanOrEqual(0);
      // the entry's payload and the hard state, each framed
      expect(syncs[0]?.bytes).toBeGreaterThan(100);
      // two persists issued in one turn share one sync (group commit)
      const a = storage.persist({
        entries: [{ index: 2, term: 1, type: 'normal', data }],
        hardState: null,
        snapshot: null,
      });
      const b = storage.persist({
        entries: [{ index: 3, term: 1, type: 'normal', data }],
        hardState: null,
        snapshot: null,
      });
      await Promise.all([a, b]);
      expect(syncs.length).toBeGreaterThanOrEqual(2);
      expect(syncs.length).toBeLessThanOrEqual(3);
    } finally {
      await storage.close();
    }
  });
});
