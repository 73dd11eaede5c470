/**
 * Snapshot files on a real file system (temp directories), with fault injection through FileOps.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Snapshot } from '../raft/types.js';
import { type FileOps, nodeFileOps, type WalFile } from './file-ops.js';
import {
  decodeSnapshot,
  encodeSnapshot,
  loadNewestSnapshot,
  NoValidSnapshotError,
  SnapshotCorruptionError,
  SnapshotWriteError,
  saveSnapshot,
  snapshotFileName,
} from './snapshot-files.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baton-snap-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function snap(index: number, term = 1, size = 32): Snapshot {
  return {
    metadata: { index, term, confState: { voters: [1, 2, 3], learners: [4] } },
    data: new Uint8Array(size).map((_, i) => (i * 7 + index) % 256),
  };
}
const name = (index: number, term = 1) => snapshotFileName({ term, index });
async function files(): Promise<string[]> {
  return (await readdir(dir)).sort();
}

/** FileOps over the real file system that can fail datasync or "crash" at rename. */
function faultyOps() {
  const ctl = { failDatasync: null as Error | null, failRename: null as Error | null };
  const wrap = (f: WalFile): WalFile => ({
    write: (data, position) => f.write(data, position),
    async datasync() {
      if (ctl.failDatasync) throw ctl.failDatasync;
      return f.datasync();
    },
    truncateAndSync: (n) => f.truncateAndSync(n),
    close: () => f.close(),
  });
  const ops: FileOps = {
    ...nodeFileOps,
    createExclusive: async (p) => wrap(await nodeFileOps.createExclusive(p)),
    async rename(from, to) {
      if (ctl.failRename) throw ctl.failRename;
      return nodeFileOps.rename(from, to);
    },
  };
  return { ops, ctl };
}
function ioError(code: string): Error {
  return Object.assign(new Error(`${code}: injected`), { code });
}

describe('format', () => {
  it('round-trips metadata and data, including empty membership and data', () => {
    for (const s of [
      snap(10, 3),
      snap(2 ** 40, 2 ** 33, 0),
      { metadata: { index: 0, term: 0, confState: { voters: [], learners: [] } }, data: new Uint8Array() },
    ]) {
      expect(decodeSnapshot(encodeSnapshot(s), 'x')).toEqual(s);
    }
  });

  it('detects a flipped byte anywhere and a truncation at every length', () => {
    const bytes = encodeSnapshot(snap(5, 2, 8));
    for (let i = 0; i < bytes.length; i++) {
      const copy = Buffer.from(bytes);
      copy[i] = (copy[i] as number) ^ 0x01;
      expect(() => decodeSnapshot(copy, 'f')).toThrow(SnapshotCorruptionError);
    }
    for (let n = 0; n < bytes.length; n++) {
      expect(() => decodeSnapshot(bytes.subarray(0, n), 'f')).toThrow(SnapshotCorruptionError);
    }
  });

  it("saves the data from the snapshot's own buffer: no whole-file copy, same bytes on disk", async () => {
    const s = snap(7, 2, 100_000);
    const writes: Uint8Array[] = [];
    const ops: FileOps = {
      ...nodeFileOps,
      async createExclusive(p) {
        const f = await nodeFileOps.createExclusive(p);
        return {
          write: (data, position) => {
            writes.push(data);
            return f.write(data, position);
          },
          datasync: () => f.datasync(),
          truncateAndSync: (n) => f.truncateAndSync(n),
          close: () => f.close(),
        };
      },
    };
    const saved = await saveSnapshot(dir, s, ops);
    // the megabytes of a big state machine are written where they are, never copied once more
    expect(writes.some((w) => w === s.data)).toBe(true);
    expect(Math.max(...writes.filter((w) => w !== s.data).map((w) => w.byteLength))).toBeLessThan(1_000);
    const onDisk = await readFile(join(dir, saved.file));
    expect(Buffer.compare(onDisk, encodeSnapshot(s))).toBe(0);
    expect(decodeSnapshot(onDisk, saved.file)).toEqual(s);
  });

  it('rejects values the format cannot hold before touching the disk', async () => {
    await expect(saveSnapshot(dir, snap(-1))).rejects.toThrow(RangeError);
    await expect(saveSnapshot(dir, snap(1, 1.5))).rejects.toThrow(RangeError);
    expect(await files()).toEqual([]);
  });
});

describe('save and load', () => {
  it('round-trips through the directory', async () => {
    const s = snap(100, 4, 1000);
    expect(await saveSnapshot(dir, s)).toEqual({ file: name(100, 4), removed: [], cleanupError: null });
    expect(await files()).toEqual([name(100, 4)]);
    expect(await loadNewestSnapshot(dir)).toEqual({ snapshot: s, file: name(100, 4), damaged: [], leftoverTemps: [] });
  });

  it('gives no snapshot for an empty or missing directory', async () => {
    const none = { snapshot: null, file: null, damaged: [], leftoverTemps: [] };
    expect(await loadNewestSnapshot(dir)).toEqual(none);
    expect(await loadNewestSnapshot(join(dir, 'missing'))).toEqual(none);
  });

  it('creates the directory if missing', async () => {
    const sub = join(dir, 'a', 'snap');
    await saveSnapshot(sub, snap(1));
    expect((await loadNewestSnapshot(sub)).snapshot).toEqual(snap(1));
  });

  it('keeps only the newest two snapshots', async () => {
    await saveSnapshot(dir, snap(10, 1));
    await saveSnapshot(dir, snap(20, 1));
    expect(await files()).toEqual([name(10), name(20)]);
    const r = await saveSnapshot(dir, snap(30, 2));
    expect(r.removed).toEqual([name(10)]);
    await saveSnapshot(dir, snap(40, 2));
    expect(await files()).toEqual([name(30, 2), name(40, 2)]);
    expect((await loadNewestSnapshot(dir)).snapshot).toEqual(snap(40, 2));
  });

  it('orders by term before index (names sort the same way)', async () => {
    await saveSnapshot(dir, snap(9, 1));
    await saveSnapshot(dir, snap(10, 2));
    expect((await loadNewestSnapshot(dir)).file).toBe(name(10, 2));
  });

  it('saving the same snapshot twice replaces it', async () => {
    await saveSnapshot(dir, snap(5));
    await saveSnapshot(dir, snap(5));
    expect(await files()).toEqual([name(5)]);
  });
});

describe('interrupted writes and damage', () => {
  it('a leftover temp file is reported and the previous snapshot used', async () => {
    await saveSnapshot(dir, snap(10));
    const temp = `${name(20)}.tmp`;
    await writeFile(join(dir, temp), encodeSnapshot(snap(20)).subarray(0, 17)); // torn write
    const r = await loadNewestSnapshot(dir);
    expect(r).toMatchObject({ snapshot: snap(10), file: name(10), damaged: [], leftoverTemps: [temp] });
    expect(await files()).toContain(temp); // reported, not deleted
    // the next save of the same snapshot replaces the leftover, and removes stale temps
    await saveSnapshot(dir, snap(20));
    expect(await files()).toEqual([name(10), name(20)]);
  });

  it('a crash between write and rename leaves the previous snapshot in use', async () => {
    await saveSnapshot(dir, snap(10));
    const { ops, ctl } = faultyOps();
    ctl.failRename = ioError('EIO');
    const err = await saveSnapshot(dir, snap(20), ops).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnapshotWriteError);
    expect((err as SnapshotWriteError).file).toBe(name(20));
    expect((err as Error).cause).toBe(ctl.failRename);
    expect(await files()).toEqual([name(10), `${name(20)}.tmp`]);
    const r = await loadNewestSnapshot(dir);
    expect(r).toMatchObject({ snapshot: snap(10), leftoverTemps: [`${name(20)}.tmp`] });
  });

  it('a flipped byte in the newest snapshot falls back to the previous one and reports it', async () => {
    await saveSnapshot(dir, snap(10));
    await saveSnapshot(dir, snap(20));
    const path = join(dir, name(20));
    const bytes = await readFile(path);
    bytes[60] = (bytes[60] as number) ^ 0xff;
    await writeFile(path, bytes);
    const r = await loadNewestSnapshot(dir);
    expect(r.snapshot).toEqual(snap(10));
    expect(r.file).toBe(name(10));
    expect(r.damaged).toEqual([
      { file: name(20), offset: bytes.length - 4, reason: expect.stringMatching(/checksum/) },
    ]);
    expect(await files()).toEqual([name(10), name(20)]); // kept as evidence
  });

  it('a file whose name does not match its header counts as damaged', async () => {
    await saveSnapshot(dir, snap(10));
    await writeFile(join(dir, name(30)), encodeSnapshot(snap(20)));
    const r = await loadNewestSnapshot(dir);
    expect(r.file).toBe(name(10));
    expect(r.damaged).toEqual([{ file: name(30), offset: 8, reason: expect.stringMatching(/file name/) }]);
  });

  it('refuses when snapshot files exist but none verifies', async () => {
    await saveSnapshot(dir, snap(10));
    await writeFile(join(dir, name(10)), Buffer.alloc(50));
    const err = await loadNewestSnapshot(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoValidSnapshotError);
    expect((err as Error).message).toMatch(new RegExp(`${name(10)}.*restore it from a healthy peer`));
  });

  it('an injected fdatasync failure rejects and leaves the previous snapshot intact', async () => {
    await saveSnapshot(dir, snap(10));
    await saveSnapshot(dir, snap(20));
    const before = await readFile(join(dir, name(20)));
    const { ops, ctl } = faultyOps();
    ctl.failDatasync = ioError('EIO');
    await expect(saveSnapshot(dir, snap(30), ops)).rejects.toThrow(SnapshotWriteError);
    // nothing was removed by retention, the failed temp is gone, the old files are byte-identical
    expect(await files()).toEqual([name(10), name(20)]);
    expect(await readFile(join(dir, name(20)))).toEqual(before);
    expect(await loadNewestSnapshot(dir)).toMatchObject({ snapshot: snap(20), damaged: [], leftoverTemps: [] });
  });

  it('a cleanup failure after a durable save is reported, not thrown', async () => {
    await saveSnapshot(dir, snap(10));
    await saveSnapshot(dir, snap(20));
    const failure = ioError('EACCES');
    const ops: FileOps = { ...nodeFileOps, unlink: () => Promise.reject(failure) };
    const r = await saveSnapshot(dir, snap(30), ops);
    expect(r).toEqual({ file: name(30), removed: [], cleanupError: failure });
    expect((await loadNewestSnapshot(dir)).snapshot).toEqual(snap(30));
  });
});
