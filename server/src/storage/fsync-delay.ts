/**
 * TEST HOOK, never for production: makes every sync of the data directory slow by the number of
 * milliseconds written in a control file, so that the chaos suite can give one node a slow disk
 * while it runs (test/chaos, fault `slow-disk`). The node enables it only when
 * BATON_TEST_FSYNC_DELAY_FILE is set (node/test-hooks.ts); without it the storage uses
 * `nodeFileOps` untouched, so the hook costs nothing.
 *
 * The wait comes before the sync, inside the WAL's one serial flush loop, so a slow sync delays
 * everything queued behind it and changes no order: what was acknowledged is exactly what a fast
 * disk would have acknowledged, only later.
 */
import { open } from 'node:fs/promises';
import { setTimeout as sleepMs } from 'node:timers/promises';
import type { FileOps, WalFile } from './file-ops.js';

/** A typo must not stall a node for minutes: larger values are cut to this. */
export const FSYNC_DELAY_MAX_MS = 5_000;
/** The control file is read again at most this often (a sync may happen thousands of times a second). */
export const FSYNC_DELAY_REREAD_MS = 100;
/** Bytes of the control file that are read: a number of milliseconds is short. */
const CONTROL_FILE_READ_BYTES = 32;

/**
 * The delay a control file's text asks for: a whole number of milliseconds (surrounding spaces
 * and newlines allowed), capped at FSYNC_DELAY_MAX_MS. Anything else — empty, negative,
 * fractional, words — is 0: a half-written or garbled file never stalls the node.
 */
export function parseFsyncDelayMs(text: string): number {
  const trimmed = text.trim();
  if (!/^\d{1,9}$/.test(trimmed)) return 0;
  return Math.min(Number(trimmed), FSYNC_DELAY_MAX_MS);
}

export interface FsyncDelayDeps {
  /** The control file's first bytes, or null when it cannot be read (missing). */
  readonly readControl: (path: string) => Promise<string | null>;
  readonly sleep: (ms: number) => Promise<void>;
  /** A monotonic clock in milliseconds. */
  readonly nowMs: () => number;
}

const realDeps: FsyncDelayDeps = {
  async readControl(path) {
    try {
      const fh = await open(path, 'r');
      try {
        const buf = Buffer.alloc(CONTROL_FILE_READ_BYTES);
        const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
        return buf.subarray(0, bytesRead).toString('utf8');
      } finally {
        await fh.close();
      }
    } catch {
      return null;
    }
  },
  sleep: (ms) => sleepMs(ms),
  nowMs: () => performance.now(),
};

/** The current delay, read from the control file at most every FSYNC_DELAY_REREAD_MS. */
export class FsyncDelay {
  private delayMs = 0;
  private readAtMs = Number.NEGATIVE_INFINITY;
  private reading: Promise<void> | null = null;

  constructor(
    readonly controlFile: string,
    private readonly deps: FsyncDelayDeps = realDeps,
  ) {}

  /** Waits the delay the control file asks for now (nothing when it asks for 0). */
  async wait(): Promise<void> {
    const ms = await this.currentMs();
    if (ms > 0) await this.deps.sleep(ms);
  }

  async currentMs(): Promise<number> {
    if (this.deps.nowMs() - this.readAtMs >= FSYNC_DELAY_REREAD_MS) {
      // syncs that arrive while the file is being read share that read
      this.reading ??= this.reread().finally(() => {
        this.reading = null;
      });
      await this.reading;
    }
    return this.delayMs;
  }

  private async reread(): Promise<void> {
    const text = await this.deps.readControl(this.controlFile);
    this.delayMs = text === null ? 0 : parseFsyncDelayMs(text);
    this.readAtMs = this.deps.nowMs();
  }
}

/**
 * `base` with a wait before every sync: fdatasync, a write to a file opened O_DSYNC (that write
 * is the sync), a truncate-and-fsync, and a directory fsync. Reads and plain writes are not
 * delayed. O_DSYNC stays as it was, so the WAL takes the same path as without the hook.
 */
export function withFsyncDelay(base: FileOps, delay: FsyncDelay): FileOps {
  const wrap = (f: WalFile): WalFile => ({
    writesAreDurable: f.writesAreDurable === true,
    async write(data, position) {
      if (f.writesAreDurable === true) await delay.wait();
      return f.write(data, position);
    },
    async datasync() {
      await delay.wait();
      return f.datasync();
    },
    async truncateAndSync(length) {
      await delay.wait();
      return f.truncateAndSync(length);
    },
    close: () => f.close(),
  });
  return {
    ...base,
    openExisting: async (path) => wrap(await base.openExisting(path)),
    createExclusive: async (path) => wrap(await base.createExclusive(path)),
    async syncDir(dir) {
      await delay.wait();
      return base.syncDir(dir);
    },
  };
}
