/**
 * DiskStorage on a real file system (temp directories): restart recovery, received and local
 * snapshots, compaction, the refusals at start-up, the directory lock, and disk errors.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CompactedError, RaftInvariantError } from '../raft/storage.js';
import type { ConfState, Entry, HardState, Snapshot } from '../raft/types.js';
import { DataDirLockedError } from './dir-lock.js';
import { DiskStorage, type DiskStorageOptions, SNAP_DIR, WAL_DIR } from './disk-storage.js';
import { StorageInconsistentError, WalFailedError } from './errors.js';
import { decodeFrames } from './record.js';
import { saveSnapshot, snapshotFileName } from './snapshot-files.js';
import { failAt, faultyFileOps, ioError } from './testing/faulty-file-ops.js';

let dir: string;
const open: DiskStorage[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baton-disk-'));
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

const CONF: ConfState = { voters: [1, 2, 3], learners: [] };
/** Entry data derived from index and term, so any mix-up shows. */
function entry(index: number, term = 1, size = 40): Entry {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (index * 31 + term * 7 + i) % 256;
  return { index, term, type: 'normal', data };
}
const range = (from: number, to: number, term = 1): Entry[] =>
  Array.from({ length: to - from + 1 }, (_, i) => entry(from + i, term));
const hs = (term: number, commit: number, vote = 1): HardState => ({ term, vote, commit });
function snap(index: number, term: number, bytes = 100): Snapshot {
  return { metadata: { index, term, confState: CONF }, data: new Uint8Array(bytes).fill(index % 256) };
}

async function openStorage(options: DiskStorageOptions = {}) {
  const r = await DiskStorage.open(dir, options);
  open.push(r.storage);
  return r;
}
async function reopen(s: DiskStorage, options: DiskStorageOptions = {}) {
  await s.close();
  return openStorage(options);
}
const ls = async (sub: string) => (await readdir(join(dir, sub))).sort();
const walSegments = async () => (await ls(WAL_DIR)).filter((n) => n.endsWith('.wal'));
const allEntries = (s: DiskStorage) => s.entries(s.firstIndex(), s.lastIndex() + 1, Number.POSITIVE_INFINITY);

describe('open and restart', () => {
  it('lays out LOCK, wal/ and snap/ and starts empty', async () => {
    const { storage, info } = await openStorage();
    expect(await readdir(dir)).toEqual(expect.arrayContaining(['LOCK', WAL_DIR]));
    expect(info).toMatchObject({
      truncatedTail: null,
      damagedSnapshots: [],
      snapshotIndex: 0,
      firstIndex: 1,
      lastIndex: 0,
      hardState: { term: 0, vote: 0, commit: 0 },
      adoptedSnapshot: false,
    });
    expect(storage.initialState().confState).toEqual({ voters: [], learners: [] });
    expect(storage.failed).toBeNull();
  });

  it('recovers hard state and entries after a restart', async () => {
    const { storage } = await openStorage();
    await storage.persist({ entries: range(1, 5), hardState: hs(1, 3), snapshot: null });
    await storage.persist({ entries: range(6, 7, 2), hardState: hs(2, 6, 2), snapshot: null });
    const { storage: again, info } = await reopen(storage);
    expect(info).toMatchObject({ firstIndex: 1, lastIndex: 7, hardState: hs(2, 6, 2) });
    expect(allEntries(again)).toEqual([...range(1, 5), ...range(6, 7, 2)]);
    expect(again.initialState().hardState).toEqual(hs(2, 6, 2));
  });

  it('truncates a conflicting suffix like MemoryStorage.append, also across a restart', async () => {
    const { storage } = await openStorage();
    await storage.persist({ entries: range(1, 6), hardState: hs(1, 2), snapshot: null });
    // a new leader overwrites 4..6 with 4..5 of term 2
    const p = storage.persist({ entries: range(4, 5, 2), hardState: hs(2, 2), snapshot: null });
    expect(storage.lastIndex()).toBe(5); // in memory at once
    expect(storage.term(4)).toBe(2);
    await p;
    const { storage: again } = await reopen(storage);
    expect(allEntries(again)).toEqual([...range(1, 3), ...range(4, 5, 2)]);
  });

  it('refuses entries that are not contiguous or leave a gap, changing nothing', async () => {
    const { storage } = await openStorage();
    await storage.persist({ entries: range(1, 3), hardState: null, snapshot: null });
    await expect(storage.persist({ entries: [entry(5)], hardState: null, snapshot: null })).rejects.toThrow(
      RaftInvariantError,
    );
    await expect(
      storage.persist({ entries: [entry(4), entry(6)], hardState: hs(1, 1), snapshot: null }),
    ).rejects.toThrow(RaftInvariantError);
    expect(storage.lastIndex()).toBe(3);
    expect(storage.initialState().hardState).toEqual({ term: 0, vote: 0, commit: 0 });
    expect(storage.failed).toBeNull();
    await storage.persist({ entries: [entry(4)], hardState: null, snapshot: null });
  });

  it('a second open of the same directory is refused while the first is open', async () => {
    const { storage } = await openStorage();
    await expect(DiskStorage.open(dir)).rejects.toThrow(DataDirLockedError);
    await storage.close();
    const { info } = await openStorage();
    expect(info.tookOverLockFrom).toBeNull();
  });
});

describe('snapshots from the leader (persist with a snapshot)', () => {
  it('replaces the log; the snapshot and the entries after it survive a restart', async () => {
    const { storage } = await openStorage();
    await storage.persist({ entries: range(1, 4), hardState: hs(1, 2), snapshot: null });
    await storage.persist({ entries: range(11, 12, 2), hardState: hs(2, 10), snapshot: snap(10, 2) });
    expect(storage.firstIndex()).toBe(11);
    expect(() => storage.term(9)).toThrow(CompactedError);
    expect(storage.term(10)).toBe(2);
    const { storage: again, info } = await reopen(storage);
    expect(info).toMatchObject({ snapshotIndex: 10, firstIndex: 11, lastIndex: 12, adoptedSnapshot: false });
    expect(again.snapshot()).toEqual(snap(10, 2));
    expect(again.initialState()).toEqual({ hardState: hs(2, 10), confState: CONF });
    expect(allEntries(again)).toEqual(range(11, 12, 2));
  });

  it('saves the snapshot file before the WAL records its marker', async () => {
    const { ops, ctl } = faultyFileOps();
    const { storage } = await openStorage({ fileOps: ops });
    await storage.persist({ entries: range(1, 2), hardState: null, snapshot: null });
    const snapFile = join(dir, SNAP_DIR, snapshotFileName({ term: 2, index: 5 }));
    const snapFileAtWalWrites: boolean[] = [];
    ctl.inject = (point, path) => {
      if (point === 'write' && path.includes(`${WAL_DIR}/`)) snapFileAtWalWrites.push(existsSync(snapFile));
      return null;
    };
    await storage.persist({ entries: [], hardState: hs(2, 5), snapshot: snap(5, 2) });
    expect(snapFileAtWalWrites).toEqual([true]);
    expect(await ls(SNAP_DIR)).toEqual([snapshotFileName({ term: 2, index: 5 })]);
    // and the marker follows the file: the WAL's last records are the marker and the hard state
    const walFiles = await walSegments();
    const { records } = decodeFrames(await readFile(join(dir, WAL_DIR, walFiles.at(-1) as string)));
    expect(records.slice(-2).map((r) => r.record.kind)).toEqual(['snapshot', 'hardState']);
  });

  it('persists issued while a snapshot is being saved reach the WAL after it, in order', async () => {
    const { storage } = await openStorage();
    await storage.persist({ entries: range(1, 2), hardState: null, snapshot: null });
    const a = storage.persist({ entries: [], hardState: hs(2, 5), snapshot: snap(5, 2) });
    const b = storage.persist({ entries: range(6, 8, 2), hardState: null, snapshot: null });
    const c = storage.persist({ entries: range(9, 9, 2), hardState: hs(2, 8), snapshot: null });
    const order: string[] = [];
    await Promise.all([a.then(() => order.push('a')), b.then(() => order.push('b')), c.then(() => order.push('c'))]);
    expect(order).toEqual(['a', 'b', 'c']);
    const { storage: again } = await reopen(storage);
    expect(again.snapshot().metadata.index).toBe(5);
    expect(allEntries(again)).toEqual(range(6, 9, 2));
    expect(again.initialState().hardState).toEqual(hs(2, 8));
  });

  it('ignores a snapshot that is not newer than the current one, as MemoryStorage does', async () => {
    const { storage } = await openStorage();
    await storage.persist({ entries: [], hardState: null, snapshot: snap(10, 2) });
    await storage.persist({ entries: range(11, 12, 2), hardState: null, snapshot: snap(8, 2) });
    expect(storage.snapshot().metadata.index).toBe(10);
    expect(storage.lastIndex()).toBe(12);
  });
});

describe('createSnapshot and compaction', () => {
  // 4 entries of 40 data bytes fill a segment: header 33 bytes + 4 * 66-byte entry records
  const SEGMENT_BYTES = 33 + 4 * 66;
  /** The WAL segment names that start at these first indexes (seq counts from 1). */
  const segmentsFrom = (firstSeq: number, lastSeq: number) =>
    Array.from(
      { length: lastSeq - firstSeq + 1 },
      (_, i) => `${String(firstSeq + i).padStart(16, '0')}-${String(4 * (firstSeq + i - 1) + 1).padStart(16, '0')}.wal`,
    );

  async function appendOneByOne(s: DiskStorage, from: number, to: number) {
    for (let i = from; i <= to; i++) await s.persist({ entries: [entry(i)], hardState: null, snapshot: null });
  }

  it('deletes exactly the segments wholly behind the older kept snapshot and the retained entries', async () => {
    const { storage } = await openStorage({ segmentSizeBytes: SEGMENT_BYTES, retainEntriesAfterSnapshot: 2 });
    await appendOneByOne(storage, 1, 40);
    expect(await walSegments()).toEqual(segmentsFrom(1, 10));

    // only snapshot 10 exists; entries 9..10 are retained: segments before the one holding 9 go
    const s10 = await storage.createSnapshot(10, CONF, new Uint8Array([10]));
    expect(s10.metadata).toEqual({ index: 10, term: 1, confState: CONF });
    expect(storage.firstIndex()).toBe(9);
    expect(storage.term(8)).toBe(1); // the compaction point's term stays known
    expect(await walSegments()).toEqual(segmentsFrom(3, 10));

    // snapshots 10 and 30 are kept: the WAL must still reach 10 + 1 (segment 3 holds 9..12)
    await storage.createSnapshot(30, CONF, new Uint8Array([30]));
    expect(storage.firstIndex()).toBe(29);
    expect(await walSegments()).toEqual(segmentsFrom(3, 10));

    await appendOneByOne(storage, 41, 60);
    await storage.createSnapshot(50, CONF, new Uint8Array([50]));
    expect(await ls(SNAP_DIR)).toEqual([
      snapshotFileName({ term: 1, index: 30 }),
      snapshotFileName({ term: 1, index: 50 }),
    ]);
    // older kept snapshot 30: segment 8 holds 29..32, everything before it goes
    expect(await walSegments()).toEqual(segmentsFrom(8, 15));

    const { storage: again, info } = await reopen(storage, { segmentSizeBytes: SEGMENT_BYTES });
    expect(info).toMatchObject({ snapshotIndex: 50, firstIndex: 51, lastIndex: 60 });
    expect(allEntries(again)).toEqual(range(51, 60));
    expect(again.snapshot().data).toEqual(new Uint8Array([50]));
  });

  it('retained entries hold back compaction', async () => {
    const { storage } = await openStorage({ segmentSizeBytes: SEGMENT_BYTES, retainEntriesAfterSnapshot: 25 });
    await appendOneByOne(storage, 1, 40);
    await storage.createSnapshot(30, CONF, new Uint8Array([30]));
    expect(storage.firstIndex()).toBe(6); // 5 is the compaction point, 6..30 retained
    expect(storage.entries(6, 7, 1000)).toEqual([entry(6)]);
    expect(await walSegments()).toEqual(segmentsFrom(2, 10)); // segment 2 holds 5..8
  });

  it('keeps the newest two snapshot files', async () => {
    const { storage } = await openStorage();
    await storage.persist({ entries: range(1, 30), hardState: hs(1, 30), snapshot: null });
    for (const i of [10, 20, 30]) await storage.createSnapshot(i, CONF, new Uint8Array([i]));
    expect(await ls(SNAP_DIR)).toEqual([
      snapshotFileName({ term: 1, index: 20 }),
      snapshotFileName({ term: 1, index: 30 }),
    ]);
    // an index at or behind the current snapshot does nothing
    expect((await storage.createSnapshot(25, CONF, new Uint8Array([25]))).metadata.index).toBe(30);
  });

  it('a damaged newest snapshot falls back to the older one, which the WAL still reaches', async () => {
    const { storage } = await openStorage({ segmentSizeBytes: SEGMENT_BYTES, retainEntriesAfterSnapshot: 0 });
    await appendOneByOne(storage, 1, 40);
    await storage.createSnapshot(20, CONF, new Uint8Array([20]));
    await storage.createSnapshot(36, CONF, new Uint8Array([36]));
    await storage.close();
    const newest = join(dir, SNAP_DIR, snapshotFileName({ term: 1, index: 36 }));
    const bytes = await readFile(newest);
    bytes[20] = (bytes[20] as number) ^ 0xff;
    await writeFile(newest, bytes);
    const { storage: again, info } = await openStorage({ segmentSizeBytes: SEGMENT_BYTES });
    expect(info.snapshotIndex).toBe(20);
    expect(info.damagedSnapshots.map((d) => d.file)).toEqual([snapshotFileName({ term: 1, index: 36 })]);
    expect(allEntries(again)).toEqual(range(21, 40));
  });

  it('an interrupted snapshot write (a temp file) leaves the previous snapshot in use', async () => {
    const { storage } = await openStorage();
    await storage.persist({ entries: range(1, 20), hardState: hs(1, 20), snapshot: null });
    await storage.createSnapshot(10, CONF, new Uint8Array([10]));
    await storage.close();
    const temp = `${snapshotFileName({ term: 1, index: 20 })}.tmp`;
    await writeFile(join(dir, SNAP_DIR, temp), new Uint8Array(17).fill(9));
    const { storage: again, info } = await openStorage();
    expect(info.snapshotIndex).toBe(10);
    expect(info.leftoverSnapshotTemps).toEqual([temp]);
    expect(allEntries(again)).toEqual(range(11, 20));
    // the next save clears the leftover
    await again.createSnapshot(15, CONF, new Uint8Array([15]));
    expect(await ls(SNAP_DIR)).not.toContain(temp);
  });
});

describe('start-up refusals and repairs', () => {
  it('refuses a WAL that starts after the snapshot + 1 (a gap)', async () => {
    const { storage } = await openStorage({ segmentSizeBytes: 33 + 4 * 66, retainEntriesAfterSnapshot: 0 });
    for (let i = 1; i <= 20; i++) await storage.persist({ entries: [entry(i)], hardState: null, snapshot: null });
    await storage.createSnapshot(10, CONF, new Uint8Array([10]));
    await storage.createSnapshot(14, CONF, new Uint8Array([14]));
    await storage.close();
    await rm(join(dir, SNAP_DIR), { recursive: true });
    const err = await DiskStorage.open(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageInconsistentError);
    expect((err as StorageInconsistentError).code).toBe('STORAGE_INCONSISTENT');
    expect((err as Error).message).toMatch(/WAL starts at index 9 .*entries 1\.\.8 are missing/);
    // the failed open released the lock
    await expect(DiskStorage.open(dir)).rejects.toThrow(StorageInconsistentError);
  });

  it('refuses a WAL marker for a snapshot whose file is gone', async () => {
    const { storage } = await openStorage();
    await storage.persist({ entries: [], hardState: hs(2, 10), snapshot: snap(10, 2) });
    await storage.close();
    await rm(join(dir, SNAP_DIR), { recursive: true });
    await expect(DiskStorage.open(dir)).rejects.toThrow(/WAL continues after a snapshot at index 10/);
  });

  it('adopts a snapshot file that is ahead of the WAL (crash between file and marker)', async () => {
    const { storage } = await openStorage();
    await storage.persist({ entries: range(1, 3), hardState: hs(1, 3), snapshot: null });
    await storage.close();
    await saveSnapshot(join(dir, SNAP_DIR), snap(10, 2));
    const { storage: again, info } = await openStorage();
    expect(info).toMatchObject({ adoptedSnapshot: true, snapshotIndex: 10, firstIndex: 11, lastIndex: 10 });
    await again.persist({ entries: [entry(11, 2)], hardState: hs(2, 11), snapshot: null });
    const { storage: third, info: info3 } = await reopen(again);
    expect(info3.adoptedSnapshot).toBe(false); // the marker is in the WAL now
    expect(allEntries(third)).toEqual([entry(11, 2)]);
  });

  it('restores from a snapshot file alone (an empty WAL starts after it)', async () => {
    await saveSnapshot(join(dir, SNAP_DIR), snap(42, 3));
    const { storage, info } = await openStorage();
    expect(info).toMatchObject({ snapshotIndex: 42, firstIndex: 43, lastIndex: 42, adoptedSnapshot: false });
    expect(storage.initialState().confState).toEqual(CONF);
  });
});

describe('disk errors (fsyncgate: stop acknowledging, recover from disk)', () => {
  for (const [point, code] of [
    ['write', 'ENOSPC'],
    ['datasync', 'ENOSPC'],
    ['datasync', 'EIO'],
  ] as const) {
    it(`${code} on ${point}: this and every later persist reject; a restart keeps every acknowledged entry`, async () => {
      const { ops, ctl } = faultyFileOps();
      const { storage } = await openStorage({ fileOps: ops, segmentSizeBytes: 1024 });
      const acknowledged: Entry[] = [];
      for (let i = 1; i <= 30; i++) {
        await storage.persist({ entries: [entry(i)], hardState: hs(1, i - 1), snapshot: null });
        acknowledged.push(entry(i));
      }
      // the disk fills up; a short write leaves a torn record behind
      ctl.partialWriteBytes = 20;
      ctl.inject = failAt(point, ioError(code), /\.wal(\.tmp)?$/);
      const failed = storage.persist({ entries: [entry(31)], hardState: hs(1, 30), snapshot: null });
      await expect(failed).rejects.toThrow(WalFailedError);
      await expect(failed).rejects.toMatchObject({ code: 'WAL_FAILED' });
      expect(storage.failed?.message).toMatch(code);
      // space returns, but the node must not carry on: the state after a failed fsync is unknown
      ctl.inject = null;
      await expect(storage.persist({ entries: [entry(32)], hardState: null, snapshot: null })).rejects.toThrow(
        WalFailedError,
      );
      await expect(storage.createSnapshot(10, CONF, new Uint8Array(1))).rejects.toThrow(WalFailedError);
      await storage.close();

      const { storage: again, info } = await openStorage({ segmentSizeBytes: 1024 });
      expect(allEntries(again).slice(0, 30)).toEqual(acknowledged);
      expect(again.lastIndex()).toBeGreaterThanOrEqual(30);
      if (point === 'write') expect(info.truncatedTail).not.toBeNull();
      await again.persist({ entries: [entry(again.lastIndex() + 1)], hardState: null, snapshot: null });
    });
  }

  it('ENOSPC while saving a snapshot from the leader: persist rejects, the WAL has no marker', async () => {
    const { ops, ctl } = faultyFileOps();
    const { storage } = await openStorage({ fileOps: ops });
    await storage.persist({ entries: range(1, 5), hardState: hs(1, 5), snapshot: null });
    ctl.inject = failAt('write', ioError('ENOSPC'), /\.snap\.tmp$/);
    const p = storage.persist({ entries: range(21, 22, 2), hardState: hs(2, 20), snapshot: snap(20, 2) });
    const later = storage.persist({ entries: [entry(23, 2)], hardState: null, snapshot: null });
    await expect(p).rejects.toThrow(WalFailedError);
    await expect(later).rejects.toThrow(WalFailedError);
    expect(storage.failed?.message).toMatch(/ENOSPC/);
    await storage.close();
    ctl.inject = null;
    const { storage: again, info } = await openStorage();
    expect(info).toMatchObject({ snapshotIndex: 0, lastIndex: 5, hardState: hs(1, 5) });
    expect(allEntries(again)).toEqual(range(1, 5));
  });

  it('a failed local snapshot save changes nothing and does not stop the node', async () => {
    const { ops, ctl } = faultyFileOps();
    const { storage } = await openStorage({ fileOps: ops, retainEntriesAfterSnapshot: 0 });
    await storage.persist({ entries: range(1, 10), hardState: hs(1, 10), snapshot: null });
    ctl.inject = failAt('datasync', ioError('EIO'), /\.snap\.tmp$/);
    await expect(storage.createSnapshot(8, CONF, new Uint8Array([8]))).rejects.toMatchObject({
      code: 'SNAPSHOT_WRITE_FAILED',
    });
    expect(storage.firstIndex()).toBe(1);
    expect(storage.failed).toBeNull();
    ctl.inject = null;
    await storage.persist({ entries: [entry(11)], hardState: null, snapshot: null });
  });
});
