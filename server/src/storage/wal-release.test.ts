/**
 * WAL compaction (releaseSegmentsBefore) and partial recovery (retainEntriesFrom).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Entry } from '../raft/types.js';
import { WalClosedError } from './errors.js';
import { failAt, faultyFileOps, ioError } from './testing/faulty-file-ops.js';
import { Wal, type WalOptions } from './wal.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baton-wal-release-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const entry = (index: number, term = 1): Entry => ({
  index,
  term,
  type: 'normal',
  data: new Uint8Array(40).fill((index + term) % 256),
});
/** 4 such entries fill a segment (33-byte header + 4 * 66-byte records). */
const OPTIONS: WalOptions = { segmentSizeBytes: 33 + 4 * 66 };
const names = async () => (await readdir(dir)).filter((n) => n.endsWith('.wal')).sort();
const firstIndexes = async () => (await names()).map((n) => Number(n.slice(17, 33)));

async function walWith(from: number, to: number, options: WalOptions = OPTIONS) {
  const { wal } = await Wal.open(dir, options);
  for (let i = from; i <= to; i++) await wal.append([{ kind: 'entry', entry: entry(i) }]);
  return wal;
}

describe('releaseSegmentsBefore', () => {
  it('deletes the segments wholly before the index, never the current one', async () => {
    const wal = await walWith(1, 18); // segments start at 1, 5, 9, 13, 17
    expect(await firstIndexes()).toEqual([1, 5, 9, 13, 17]);
    expect(await wal.releaseSegmentsBefore(4)).toEqual([]); // 4 lives in the first segment
    const removed = await wal.releaseSegmentsBefore(10);
    expect(removed).toHaveLength(2);
    expect(await firstIndexes()).toEqual([9, 13, 17]);
    expect(wal.segmentNames).toEqual(await names());
    expect(wal.position).toEqual({ firstIndex: 9, lastIndex: 18 });
    // far beyond the end: the current segment stays
    await wal.releaseSegmentsBefore(1000);
    expect(await firstIndexes()).toEqual([17]);
    expect(wal.currentSegment).toBe((await names())[0]);
    await wal.append([{ kind: 'entry', entry: entry(19) }]);
    // an append below the new first index is refused, as recovery would refuse it
    await expect(wal.append([{ kind: 'entry', entry: entry(16, 2) }])).rejects.toThrow(/before the first index 17/);
    expect(wal.failed).toBeNull();
    await wal.close();
    const { wal: again, recovered } = await Wal.open(dir, OPTIONS);
    expect(recovered.firstIndex).toBe(17);
    expect(recovered.entries.map((e) => e.index)).toEqual([17, 18, 19]);
    await again.close();
  });

  it('keeps a segment an overwrite reached back into (recovery must be able to replay)', async () => {
    const wal = await walWith(1, 10); // segments 1..4, 5..8, 9..10
    // a new term overwrites from 6: written into the segment that starts at 9
    await wal.append([{ kind: 'entry', entry: entry(6, 2) }]);
    await wal.append([{ kind: 'entry', entry: entry(7, 2) }]);
    await wal.releaseSegmentsBefore(9);
    expect(await firstIndexes()).toEqual([5, 9]); // not [9]: replay from 9 would meet entry 6
    await wal.close();
    const { wal: again, recovered } = await Wal.open(dir, OPTIONS);
    expect(recovered.entries).toEqual([entry(5), entry(6, 2), entry(7, 2)]);
    await again.close();
  });

  it('a snapshot marker in a later segment ends what an earlier overwrite matters', async () => {
    const wal = await walWith(1, 10);
    await wal.append([{ kind: 'snapshot', index: 20, term: 2 }]);
    await wal.append([{ kind: 'entry', entry: entry(21, 2) }]);
    await wal.releaseSegmentsBefore(21);
    expect(await firstIndexes()).toEqual([9]); // the marker is in the segment that starts at 9
    await wal.close();
    const { wal: again, recovered } = await Wal.open(dir, OPTIONS);
    expect(recovered).toMatchObject({ firstIndex: 21, lastIndex: 21, snapshot: { index: 20, term: 2 } });
    await again.close();
  });

  it('a failed unlink leaves files that a later release removes', async () => {
    const { ops, ctl } = faultyFileOps();
    const wal = await walWith(1, 18, { ...OPTIONS, fileOps: ops });
    const second = (await names())[1] as string;
    ctl.inject = failAt('unlink', ioError('EIO'), new RegExp(second));
    await expect(wal.releaseSegmentsBefore(17)).rejects.toThrow(/EIO/);
    expect(await firstIndexes()).toEqual([5, 9, 13, 17]); // not yet deleted, but no longer the log
    ctl.inject = null;
    expect(await wal.releaseSegmentsBefore(17)).toHaveLength(3); // a later release finishes the job
    await wal.close();
    await expect(wal.releaseSegmentsBefore(17)).rejects.toThrow(WalClosedError);
    const { wal: again, recovered } = await Wal.open(dir, OPTIONS);
    expect(recovered.entries.map((e) => e.index)).toEqual([17, 18]);
    await again.close();
  });

  it('a crash part-way through the deletions: recovery finishes them (START), even past an unreplayable segment', async () => {
    const { ops, ctl } = faultyFileOps();
    const wal = await walWith(1, 7, { ...OPTIONS, fileOps: ops }); // segments 1..4, 5..7
    // a new term overwrites from 4, right after the rollover: segment 2 now holds entry 4
    for (let i = 4; i <= 12; i++) await wal.append([{ kind: 'entry', entry: entry(i, 2) }]);
    expect(await firstIndexes()).toEqual([1, 5, 5, 9]);
    // the process dies after deleting segment 1 and before segment 2 (here: the unlink fails)
    ctl.inject = failAt('unlink', ioError('EIO'), /^0000000000000002-/);
    await expect(wal.releaseSegmentsBefore(10)).rejects.toThrow(/EIO/);
    expect(await firstIndexes()).toEqual([5, 5, 9]);
    await wal.close();
    // segment 2 alone cannot be replayed (entry 4 is before its start 5); START says the log
    // starts at segment 4, and recovery removes segments 2 and 3
    const { wal: again, recovered } = await Wal.open(dir, OPTIONS);
    expect(await firstIndexes()).toEqual([9]);
    expect(recovered).toMatchObject({ firstIndex: 9, lastIndex: 12 });
    expect(recovered.entries).toEqual([9, 10, 11, 12].map((i) => entry(i, 2)));
    await again.close();
  });

  it('refuses to start when the segment START names is missing', async () => {
    const wal = await walWith(1, 12);
    await wal.releaseSegmentsBefore(9);
    await wal.close();
    await rm(join(dir, (await names())[0] as string));
    await expect(Wal.open(dir, OPTIONS)).rejects.toThrow(/WAL corruption in START .*segment 3, which is missing/);
  });
});

describe('retainEntriesFrom', () => {
  it('verifies everything but returns only the entries from the index on', async () => {
    const wal = await walWith(1, 12);
    await wal.append([{ kind: 'entry', entry: entry(8, 2) }]); // overwrite 8..12 with 8'
    await wal.close();
    const { wal: a, recovered } = await Wal.open(dir, { ...OPTIONS, retainEntriesFrom: 6 });
    expect(recovered).toMatchObject({ firstIndex: 1, lastIndex: 8, entriesFrom: 6 });
    expect(recovered.entries).toEqual([entry(6), entry(7), entry(8, 2)]);
    await a.close();
    const { wal: b, recovered: beyond } = await Wal.open(dir, { ...OPTIONS, retainEntriesFrom: 100 });
    expect(beyond).toMatchObject({ lastIndex: 8, entriesFrom: 100, entries: [] });
    await b.close();
  });
});
