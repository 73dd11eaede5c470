/**
 * The fsync-delay test hook: the control file's text, how often it is read, and that a node's
 * storage with slow syncs still acknowledges every persist only after its sync and in order, and
 * recovers all of it.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Entry } from '../raft/types.js';
import { DiskStorage } from './disk-storage.js';
import { type FileOps, nodeFileOps } from './file-ops.js';
import {
  FSYNC_DELAY_MAX_MS,
  FSYNC_DELAY_REREAD_MS,
  FsyncDelay,
  type FsyncDelayDeps,
  parseFsyncDelayMs,
  withFsyncDelay,
} from './fsync-delay.js';
import { faultyFileOps } from './testing/faulty-file-ops.js';

describe('parseFsyncDelayMs', () => {
  it('reads a whole number of milliseconds, trimmed, capped', () => {
    expect(parseFsyncDelayMs('250')).toBe(250);
    expect(parseFsyncDelayMs(' 40\n')).toBe(40);
    expect(parseFsyncDelayMs('0')).toBe(0);
    expect(parseFsyncDelayMs('99999')).toBe(FSYNC_DELAY_MAX_MS);
  });

  it('treats anything else as 0', () => {
    for (const text of ['', '\n', 'slow', '-5', '12.5', '1e3', '0x10', '12 ms', '1234567890123']) {
      expect(parseFsyncDelayMs(text), JSON.stringify(text)).toBe(0);
    }
  });
});

/** Deps with a manual clock, a control file held in memory, and sleeps recorded (resolved at once). */
function fakeDeps(): {
  deps: FsyncDelayDeps;
  control: { text: string | null };
  reads: number[];
  sleeps: number[];
  advance: (ms: number) => void;
} {
  const control: { text: string | null } = { text: null };
  const reads: number[] = [];
  const sleeps: number[] = [];
  let nowMs = 0;
  const deps: FsyncDelayDeps = {
    readControl: async () => {
      reads.push(nowMs);
      return control.text;
    },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    nowMs: () => nowMs,
  };
  return { deps, control, reads, sleeps, advance: (ms) => (nowMs += ms) };
}

describe('FsyncDelay', () => {
  it('waits what the file says, re-reading it at most every FSYNC_DELAY_REREAD_MS', async () => {
    const f = fakeDeps();
    const { advance } = f;
    const delay = new FsyncDelay('/control', f.deps);
    f.control.text = '120\n';
    await delay.wait();
    expect(f.sleeps).toEqual([120]);
    // changed, but read too recently: the old value holds
    f.control.text = '300';
    advance(FSYNC_DELAY_REREAD_MS - 1);
    await delay.wait();
    expect(f.sleeps).toEqual([120, 120]);
    expect(f.reads).toHaveLength(1);
    advance(1);
    await delay.wait();
    expect(f.sleeps).toEqual([120, 120, 300]);
    expect(f.reads).toHaveLength(2);
  });

  it('does not wait while the file is missing, empty or garbage', async () => {
    const f = fakeDeps();
    const { advance } = f;
    const delay = new FsyncDelay('/control', f.deps);
    for (const text of [null, '', 'garbage', '-1']) {
      f.control.text = text;
      await delay.wait();
      advance(FSYNC_DELAY_REREAD_MS);
    }
    expect(f.reads).toHaveLength(4);
    expect(f.sleeps).toEqual([]);
  });

  it('lets syncs that arrive during a read share it', async () => {
    const f = fakeDeps();
    const delay = new FsyncDelay('/control', f.deps);
    f.control.text = '7';
    await Promise.all([delay.wait(), delay.wait(), delay.wait()]);
    expect(f.reads).toHaveLength(1);
    expect(f.sleeps).toEqual([7, 7, 7]);
  });
});

describe('DiskStorage with delayed syncs', () => {
  let dir: string;
  let control: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'baton-fsync-delay-'));
    control = join(dir, 'fsync-delay-ms');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function entry(index: number): Entry {
    return { index, term: 1, type: 'normal', data: new Uint8Array([index % 256, 7, 7]) };
  }

  /**
   * Sleeps that end only when the test says so: while one is pending, nothing behind it can be
   * acknowledged, whatever the machine's speed.
   */
  function gatedDelay(): {
    delay: FsyncDelay;
    pending: { ms: number; release: () => void }[];
    advance: (ms: number) => void;
  } {
    const pending: { ms: number; release: () => void }[] = [];
    let nowMs = 0;
    const delay = new FsyncDelay(control, {
      readControl: (path) => readFile(path, 'utf8').catch(() => null),
      sleep: (ms) => new Promise<void>((release) => pending.push({ ms, release })),
      nowMs: () => nowMs,
    });
    return { delay, pending, advance: (ms) => (nowMs += ms) };
  }

  /** Lets the event loop run a few turns (file I/O included), bounded. */
  async function settle(until: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !until(); i++) await new Promise((r) => setTimeout(r, 5));
  }

  const bases: [string, FileOps][] = [
    ['O_DSYNC writes (the real file ops)', nodeFileOps],
    ['write + fdatasync', faultyFileOps().ops],
  ];
  for (const [label, base] of bases) {
    it(`acknowledges each persist only after its delayed sync, in order, and recovers it all (${label})`, async () => {
      await writeFile(control, '0');
      const g = gatedDelay();
      const { storage } = await DiskStorage.open(dir, { fileOps: withFsyncDelay(base, g.delay) });
      expect(g.pending).toEqual([]);

      await writeFile(control, '30\n');
      g.advance(FSYNC_DELAY_REREAD_MS);
      const acked: number[] = [];
      const persists = [1, 2, 3].map((i) =>
        storage
          .persist({ entries: [entry(i)], hardState: { term: 1, vote: 1, commit: i - 1 }, snapshot: null })
          .then(() => {
            acked.push(i);
          }),
      );
      // nothing is acknowledged while the first sync waits
      await settle(() => g.pending.length > 0 || acked.length > 0);
      expect(acked).toEqual([]);
      expect(g.pending.map((p) => p.ms)).toEqual([30]);
      // released one sync at a time; each release may let the next group commit through
      for (let round = 0; round < 10 && acked.length < 3; round++) {
        await settle(() => g.pending.length > 0 || acked.length === 3);
        if (acked.length === 3) break;
        expect(g.pending.map((p) => p.ms)).toEqual([30]);
        const before = acked.length;
        g.pending.shift()?.release();
        await settle(() => acked.length > before || g.pending.length > 0);
      }
      await Promise.all(persists);
      expect(acked).toEqual([1, 2, 3]);
      await writeFile(control, '0');
      g.advance(FSYNC_DELAY_REREAD_MS);
      await storage.close();

      const { storage: again, info } = await DiskStorage.open(dir);
      expect(info).toMatchObject({ firstIndex: 1, lastIndex: 3, hardState: { term: 1, vote: 1, commit: 2 } });
      expect(again.entries(1, 4, Number.POSITIVE_INFINITY)).toEqual([entry(1), entry(2), entry(3)]);
      await again.close();
    });
  }

  it('runs at full speed when the control file holds garbage', async () => {
    await writeFile(control, 'fast please');
    const g = gatedDelay();
    const { storage } = await DiskStorage.open(dir, { fileOps: withFsyncDelay(nodeFileOps, g.delay) });
    for (let i = 1; i <= 3; i++) {
      g.advance(FSYNC_DELAY_REREAD_MS);
      await storage.persist({ entries: [entry(i)], hardState: null, snapshot: null });
    }
    expect(g.pending).toEqual([]);
    await storage.close();
    const { storage: again } = await DiskStorage.open(dir);
    expect(again.lastIndex()).toBe(3);
    await again.close();
  });
});
