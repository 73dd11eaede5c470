/**
 * The WAL on a real file system (temp directories), with fault injection through FileOps.
 */
import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Entry, HardState } from '../raft/types.js';
import { WalClosedError, WalCorruptionError, WalFailedError } from './errors.js';
import { type FileOps, nodeFileOps, type WalFile } from './file-ops.js';
import { decodeFrames, FRAME_HEADER_BYTES, MAX_RECORD_PAYLOAD_BYTES } from './record.js';
import { type AppendRecord, readyRecords, Wal, type WalOptions } from './wal.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baton-wal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function entry(index: number, term = 1, size = 8): Entry {
  return { index, term, type: 'normal', data: new Uint8Array(size).fill(index % 251) };
}
const hs = (term: number, commit: number, vote = 1): HardState => ({ term, vote, commit });
const entries = (from: number, to: number, term = 1) =>
  Array.from({ length: to - from + 1 }, (_, i) => entry(from + i, term));

async function open(options: WalOptions = {}) {
  return Wal.open(dir, options);
}
async function segmentNames(): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.wal')).sort();
}
async function reopen(options: WalOptions = {}) {
  const { wal, recovered } = await open(options);
  await wal.close();
  return recovered;
}

/** FileOps over the real file system that counts syncs and can fail or hold them. */
function faultyOps() {
  const ctl = {
    datasyncs: 0,
    failDatasync: null as Error | null,
    failWrite: null as Error | null,
    /** While set, every datasync waits for it. */
    gate: null as Promise<void> | null,
    /** Called when a datasync starts. */
    onDatasync: null as (() => void) | null,
  };
  const wrap = (f: WalFile): WalFile => ({
    async write(data, position) {
      if (ctl.failWrite) throw ctl.failWrite;
      return f.write(data, position);
    },
    async datasync() {
      ctl.datasyncs++;
      ctl.onDatasync?.();
      if (ctl.gate) await ctl.gate;
      if (ctl.failDatasync) throw ctl.failDatasync;
      return f.datasync();
    },
    truncateAndSync: (n) => f.truncateAndSync(n),
    close: () => f.close(),
  });
  const ops: FileOps = {
    ...nodeFileOps,
    openExisting: async (p) => wrap(await nodeFileOps.openExisting(p)),
    createExclusive: async (p) => wrap(await nodeFileOps.createExclusive(p)),
  };
  return { ops, ctl };
}

function ioError(code: string): Error {
  return Object.assign(new Error(`${code}: injected`), { code });
}

describe('open and round trip', () => {
  it('creates the first segment in an empty directory', async () => {
    const { wal, recovered } = await open();
    expect(recovered).toMatchObject({ firstIndex: 1, entries: [], hardState: null, snapshot: null, segments: 0 });
    expect(await segmentNames()).toEqual(['0000000000000001-0000000000000001.wal']);
    expect(wal.position).toEqual({ firstIndex: 1, lastIndex: 0 });
    await wal.close();
    expect(await reopen()).toMatchObject({ firstIndex: 1, entries: [], hardState: null, segments: 1 });
  });

  it('starts a new WAL at a given first index', async () => {
    const { wal } = await open({ firstIndex: 50 });
    await wal.append([{ kind: 'entry', entry: entry(50) }]);
    await wal.close();
    const r = await reopen();
    expect(r.firstIndex).toBe(50);
    expect(r.entries).toEqual([entry(50)]);
  });

  it('round-trips entries and hard state across segment rollover and reopen', async () => {
    const opts = { segmentSizeBytes: 256 };
    const { wal } = await open(opts);
    let next = 1;
    for (let batch = 1; batch <= 12; batch++) {
      const ents = entries(next, next + (batch % 4)); // 1..4 entries per batch
      next += ents.length;
      await wal.append(readyRecords(ents, hs(batch, next - 2)));
    }
    await wal.close();
    const names = await segmentNames();
    expect(names.length).toBeGreaterThan(3);
    // sequence numbers count up; each segment's first index is where the log stood
    let lastIndex = 0;
    for (const [i, name] of names.entries()) {
      const [seq, first] = name.replace('.wal', '').split('-').map(Number);
      expect(seq).toBe(i + 1);
      const bytes = await readFile(join(dir, name));
      expect(bytes.length).toBeLessThanOrEqual(256 + 100); // a record never straddles segments
      const { records, outcome } = decodeFrames(bytes);
      expect(outcome.kind).toBe('ok');
      expect(records[0]?.record).toEqual({ kind: 'segmentHeader', seq, firstIndex: first });
      if (i > 0) {
        expect(first).toBe(lastIndex + 1);
        expect(records[1]?.record.kind).toBe('hardState'); // carried into every new segment
      }
      for (const { record } of records) if (record.kind === 'entry') lastIndex = record.entry.index;
    }

    const r = await reopen(opts);
    expect(r.entries).toEqual(entries(1, next - 1));
    expect(r.hardState).toEqual(hs(12, next - 2));
    expect(r.segments).toBe(names.length);
    expect(r.truncatedTail).toBeNull();
  });

  it('keeps appending to the last segment after reopen', async () => {
    const a = await open();
    await a.wal.append(readyRecords(entries(1, 3), hs(1, 1)));
    await a.wal.close();
    const b = await open();
    expect(b.wal.position).toEqual({ firstIndex: 1, lastIndex: 3 });
    await b.wal.append(readyRecords(entries(4, 5), hs(2, 4)));
    await b.wal.close();
    expect(await segmentNames()).toHaveLength(1);
    const r = await reopen();
    expect(r.entries).toEqual(entries(1, 5));
    expect(r.hardState).toEqual(hs(2, 4));
  });
});

describe('conflicting suffix and snapshots', () => {
  it('an append at index i replaces entries >= i, and that survives reopen', async () => {
    const { wal } = await open();
    await wal.append(readyRecords(entries(1, 10, 1), hs(1, 3)));
    await wal.append(readyRecords(entries(6, 7, 2), hs(2, 3)));
    expect(wal.position.lastIndex).toBe(7);
    await wal.close();
    const r = await reopen();
    expect(r.entries).toEqual([...entries(1, 5, 1), ...entries(6, 7, 2)]);
  });

  it('an overwrite reaching back into an earlier segment, then rollover below the old name', async () => {
    const opts = { segmentSizeBytes: 200 };
    const { wal } = await open(opts);
    for (let i = 1; i <= 12; i++) await wal.append([{ kind: 'entry', entry: entry(i, 1) }]);
    const before = await segmentNames();
    expect(before.length).toBeGreaterThan(2);
    // a new leader overwrites from index 3: the replacement goes into the current segment
    for (let i = 3; i <= 9; i++) await wal.append([{ kind: 'entry', entry: entry(i, 2) }]);
    await wal.close();
    const after = await segmentNames();
    // a segment created after the overwrite starts at a lower index than an earlier one
    const firsts = after.map((n) => Number(n.slice(17, 33)));
    expect(firsts.some((f, i) => i > 0 && f < (firsts[i - 1] as number))).toBe(true);
    const r = await reopen(opts);
    expect(r.entries).toEqual([...entries(1, 2, 1), ...entries(3, 9, 2)]);
  });

  it('a snapshot marker resets the log; entries continue after it', async () => {
    const { wal } = await open();
    await wal.append(readyRecords(entries(1, 5), hs(1, 5)));
    await wal.append([{ kind: 'snapshot', index: 20, term: 3 }, ...readyRecords(entries(21, 22, 3), hs(3, 21))]);
    expect(wal.position).toEqual({ firstIndex: 21, lastIndex: 22 });
    await expect(wal.append([{ kind: 'entry', entry: entry(20, 3) }])).rejects.toThrow(/before the first index/);
    await wal.close();
    const r = await reopen();
    expect(r).toMatchObject({ firstIndex: 21, snapshot: { index: 20, term: 3 }, hardState: hs(3, 21) });
    expect(r.entries).toEqual(entries(21, 22, 3));
  });

  it('refuses a batch that would leave a gap, without failing the WAL or writing any of it', async () => {
    const { wal } = await open();
    await wal.append(readyRecords(entries(1, 2), null));
    await expect(
      wal.append([
        { kind: 'entry', entry: entry(3) },
        { kind: 'entry', entry: entry(5) },
      ]),
    ).rejects.toThrow(RangeError);
    expect(wal.failed).toBeNull();
    expect(wal.position.lastIndex).toBe(2);
    await wal.append([{ kind: 'entry', entry: entry(3) }]);
    await expect(wal.append([{ kind: 'segmentHeader', seq: 9, firstIndex: 1 } as never])).rejects.toThrow(TypeError);
    await wal.close();
    expect((await reopen()).entries).toEqual(entries(1, 3));
    await expect(wal.append([])).rejects.toThrow(WalClosedError);
  });
});

describe('group commit', () => {
  it('one fdatasync covers every append issued in the same turn', async () => {
    const { ops, ctl } = faultyOps();
    const { wal } = await open({ fileOps: ops });
    const base = ctl.datasyncs;
    await Promise.all(Array.from({ length: 50 }, (_, i) => wal.append([{ kind: 'entry', entry: entry(i + 1) }])));
    expect(ctl.datasyncs - base).toBe(1);
    await wal.close();
    expect((await reopen()).entries).toEqual(entries(1, 50));
  });

  it('appends made while a sync runs resolve only after the next sync, which covers them all', async () => {
    const { ops, ctl } = faultyOps();
    const { wal } = await open({ fileOps: ops });
    const base = ctl.datasyncs;
    let release!: () => void;
    ctl.gate = new Promise<void>((r) => {
      release = r;
    });
    const inSync = new Promise<void>((r) => {
      ctl.onDatasync = r;
    });
    const done: number[] = [];
    const first = wal.append([{ kind: 'entry', entry: entry(1) }]).then(() => done.push(1));
    await inSync; // the first flush is now waiting in fdatasync
    expect(ctl.datasyncs - base).toBe(1);
    const rest = [2, 3, 4].map((i) => wal.append([{ kind: 'entry', entry: entry(i) }]).then(() => done.push(i)));
    await new Promise((r) => setImmediate(r));
    expect(done).toEqual([]); // nothing resolves before its fdatasync returns
    ctl.gate = null;
    release();
    await Promise.all([first, ...rest]);
    expect(done).toEqual([1, 2, 3, 4]);
    expect(ctl.datasyncs - base).toBe(2);
    await wal.close();
  });

  it('an empty append is a barrier that costs no fdatasync of its own', async () => {
    const { ops, ctl } = faultyOps();
    const { wal } = await open({ fileOps: ops });
    await wal.append([{ kind: 'entry', entry: entry(1) }]);
    const base = ctl.datasyncs;
    await wal.append([]);
    expect(ctl.datasyncs).toBe(base);
    await wal.close();
  });
});

describe('disk errors (fsyncgate: never retry)', () => {
  it.each([
    ['fdatasync fails with EIO', 'failDatasync', 'EIO'],
    ['write fails with ENOSPC', 'failWrite', 'ENOSPC'],
  ] as const)('%s: the WAL fails for good', async (_name, knob, code) => {
    const { ops, ctl } = faultyOps();
    const { wal } = await open({ fileOps: ops });
    await wal.append(readyRecords(entries(1, 2), hs(1, 1)));
    const injected = ioError(code);
    ctl[knob] = injected;
    const failing = wal.append([{ kind: 'entry', entry: entry(3) }]);
    const queued = wal.append([{ kind: 'entry', entry: entry(4) }]);
    await expect(failing).rejects.toThrow(WalFailedError);
    await expect(failing).rejects.toMatchObject({ cause: injected });
    await expect(queued).rejects.toThrow(WalFailedError);
    expect(wal.failed).toBe(injected);

    // the disk "recovers", but the WAL does not pretend: no retry, every append refused
    ctl[knob] = null;
    const syncs = ctl.datasyncs;
    await expect(wal.append([{ kind: 'entry', entry: entry(3) }])).rejects.toThrow(/failed after a disk error/);
    await expect(wal.append([])).rejects.toThrow(WalFailedError);
    expect(ctl.datasyncs).toBe(syncs);
    await wal.close();

    // a restart recovers what was acknowledged
    const r = await reopen();
    expect(r.entries.slice(0, 2)).toEqual(entries(1, 2));
  });

  it('a failure while creating the next segment fails the WAL too', async () => {
    const { ops } = faultyOps();
    let failRename: Error | null = null;
    const failing: FileOps = {
      ...ops,
      async rename(from, to) {
        if (failRename) throw failRename;
        return ops.rename(from, to);
      },
    };
    const { wal } = await open({ fileOps: failing, segmentSizeBytes: 128 });
    await wal.append(readyRecords(entries(1, 2), null));
    failRename = ioError('EIO');
    // entry 3 does not fit the first segment: the rollover's rename fails
    await expect(wal.append(readyRecords(entries(3, 6), null))).rejects.toThrow(WalFailedError);
    expect(wal.failed).toBe(failRename);
    await expect(wal.append([])).rejects.toThrow(WalFailedError);
    await wal.close();
    // the half-created segment is a temp file: a restart removes it and keeps what was synced
    expect((await readdir(dir)).some((n) => n.endsWith('.tmp'))).toBe(true);
    const r = await reopen();
    expect(r.entries).toEqual(entries(1, 2));
    expect(await segmentNames()).toEqual(['0000000000000001-0000000000000001.wal']);
  });
});

describe('recovery', () => {
  /** Writes a multi-segment log whose last record is an entry or a hard state. */
  async function writeLog(lastKind: 'entry' | 'hardState') {
    const { wal } = await open({ segmentSizeBytes: 256 });
    for (let i = 1; i <= 14; i += 2) await wal.append(readyRecords(entries(i, i + 1), hs(i, i)));
    const last: AppendRecord[] =
      lastKind === 'entry'
        ? [{ kind: 'entry', entry: entry(15, 1, 20) }]
        : [{ kind: 'hardState', hardState: hs(99, 14) }];
    await wal.append(last);
    await wal.close();
    const names = await segmentNames();
    expect(names.length).toBeGreaterThan(1);
    const lastName = names[names.length - 1] as string;
    const path = join(dir, lastName);
    const original = await readFile(path);
    const frames = decodeFrames(original).records;
    const tail = frames[frames.length - 1] as (typeof frames)[number];
    expect(tail.record.kind).toBe(lastKind);
    return { path, lastName, original, tail };
  }

  it.each(['entry', 'hardState'] as const)(
    'torn-tail sweep (last record: %s): a cut at every byte inside it keeps exactly the records before',
    async (lastKind) => {
      const { path, lastName, original, tail } = await writeLog(lastKind);
      for (let cut = tail.offset; cut < tail.offset + tail.size; cut++) {
        await writeFile(path, original.subarray(0, cut));
        const { wal, recovered } = await open({ segmentSizeBytes: 256 });
        expect(recovered.entries, `cut ${cut}`).toEqual(entries(1, 14));
        expect(recovered.hardState).toEqual(hs(13, 13));
        expect(recovered.truncatedTail).toEqual(
          cut === tail.offset ? null : { file: lastName, offset: tail.offset, bytes: cut - tail.offset },
        );
        expect((await stat(path)).size).toBe(tail.offset);
        // the WAL appends cleanly after the cut
        await wal.append([{ kind: 'entry', entry: entry(15, 2) }]);
        await wal.close();
        expect((await reopen({ segmentSizeBytes: 256 })).entries).toEqual([...entries(1, 14), entry(15, 2)]);
      }
    },
  );

  it('corruption sweep: a flipped byte anywhere is detected; only a tail length that runs past the end counts as torn', async () => {
    const { wal } = await open({ segmentSizeBytes: 160 });
    for (let i = 1; i <= 6; i++) await wal.append(readyRecords([entry(i)], hs(1, i - 1)));
    await wal.close();
    const names = await segmentNames();
    expect(names.length).toBeGreaterThan(1);
    const originals = new Map<string, Buffer>();
    for (const n of names) originals.set(n, await readFile(join(dir, n)));
    const lastName = names[names.length - 1] as string;
    const complete = await reopen();

    let flips = 0;
    let torn = 0;
    for (const name of names) {
      const original = originals.get(name) as Buffer;
      const frames = decodeFrames(original).records;
      for (const [fi, frame] of frames.entries()) {
        const isTail = name === lastName && fi === frames.length - 1;
        for (let at = frame.offset; at < frame.offset + frame.size; at++) {
          const bad = Buffer.from(original);
          bad[at] = (bad[at] as number) ^ 0xff;
          await writeFile(join(dir, name), bad);
          flips++;
          // The tail record's length field is outside the checksum: if the flip makes it run past
          // the end of the file, that is indistinguishable from a torn write and is truncated
          // (nothing follows it that could prove otherwise). Anything else is corruption.
          const length = bad.readUInt32LE(frame.offset);
          const looksTorn =
            isTail &&
            at < frame.offset + 4 &&
            length <= MAX_RECORD_PAYLOAD_BYTES &&
            frame.offset + FRAME_HEADER_BYTES + length > bad.length;
          if (looksTorn) {
            torn++;
            const r = await reopen();
            expect(r.truncatedTail).toMatchObject({ file: name, offset: frame.offset });
            expect(r.hardState).toEqual(hs(1, 4)); // the tail hard state (commit 5) is dropped
            expect(r.entries).toEqual(complete.entries);
          } else {
            const err = await open().then(
              () => null,
              (e: unknown) => e,
            );
            expect(err, `${name} byte ${at}`).toBeInstanceOf(WalCorruptionError);
            const c = err as WalCorruptionError;
            expect(c.file).toBe(name);
            expect(c.offset).toBe(frame.offset);
            expect(c.message).toContain(`${name} at byte offset ${frame.offset}`);
            expect(c.message).toMatch(/restore it from a healthy peer/);
          }
          await writeFile(join(dir, name), original);
        }
      }
    }
    expect(flips).toBeGreaterThan(300);
    expect(torn).toBeGreaterThan(0);
    expect(await reopen()).toEqual(complete);
  });

  it('a torn record in a segment that is not the last is corruption', async () => {
    const { wal } = await open({ segmentSizeBytes: 128 });
    for (let i = 1; i <= 8; i++) await wal.append([{ kind: 'entry', entry: entry(i) }]);
    await wal.close();
    const [first] = await segmentNames();
    const path = join(dir, first as string);
    const size = (await stat(path)).size;
    await truncate(path, size - 3);
    await expect(open()).rejects.toThrow(new RegExp(`${first}.*not the last`));
  });

  it('a missing segment in the middle is corruption', async () => {
    const { wal } = await open({ segmentSizeBytes: 128 });
    for (let i = 1; i <= 10; i++) await wal.append([{ kind: 'entry', entry: entry(i) }]);
    await wal.close();
    const names = await segmentNames();
    expect(names.length).toBeGreaterThan(2);
    await rm(join(dir, names[1] as string));
    await expect(open()).rejects.toThrow(/segment 2 is missing/);
  });

  it('a renamed segment whose header disagrees with its name is corruption', async () => {
    const { wal } = await open();
    await wal.append([{ kind: 'entry', entry: entry(1) }]);
    await wal.close();
    const bytes = await readFile(join(dir, '0000000000000001-0000000000000001.wal'));
    await rm(join(dir, '0000000000000001-0000000000000001.wal'));
    await writeFile(join(dir, '0000000000000001-0000000000000005.wal'), bytes);
    await expect(open()).rejects.toThrow(WalCorruptionError);
  });

  it('zero fill after the last record is truncated like a torn write', async () => {
    const { wal } = await open();
    await wal.append(readyRecords(entries(1, 3), hs(1, 2)));
    await wal.close();
    const path = join(dir, '0000000000000001-0000000000000001.wal');
    const good = await readFile(path);
    await writeFile(path, Buffer.concat([good, Buffer.alloc(4096)]));
    const r = await reopen();
    expect(r.entries).toEqual(entries(1, 3));
    expect(r.truncatedTail).toEqual({
      file: '0000000000000001-0000000000000001.wal',
      offset: good.length,
      bytes: 4096,
    });
    expect((await stat(path)).size).toBe(good.length);
  });

  it('removes a segment whose creation never reached its rename', async () => {
    const { wal } = await open();
    await wal.append([{ kind: 'entry', entry: entry(1) }]);
    await wal.close();
    await writeFile(join(dir, '0000000000000002-0000000000000002.wal.tmp'), Buffer.alloc(10, 1));
    const r = await reopen();
    expect(r.entries).toEqual([entry(1)]);
    expect(await readdir(dir)).toEqual(['0000000000000001-0000000000000001.wal']);
  });
});
