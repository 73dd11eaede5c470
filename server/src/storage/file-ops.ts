/**
 * The file system calls the WAL makes, behind an interface so tests can inject failures (a
 * failed fdatasync, ENOSPC on write) and count syncs. `nodeFileOps` is the real thing.
 */
import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';

/** An open segment file. Writes are positional: the WAL always knows where the end is. */
export interface WalFile {
  /** Writes all of `data` at `position` (loops over short writes). */
  write(data: Uint8Array, position: number): Promise<void>;
  /**
   * True when every write is durable once it resolves, as if followed by fdatasync (the file was
   * opened with O_DSYNC). The WAL then skips its separate fdatasync: one trip through the thread
   * pool per group commit instead of two, which is most of a group commit's latency on a fast
   * disk. Absent (false) for wrappers, which then see the write + fdatasync sequence.
   */
  readonly writesAreDurable?: boolean;
  /** fdatasync: data and the size change are durable when it resolves. */
  datasync(): Promise<void>;
  /** Truncates to `length` and fsyncs (a shrink is metadata, so a full fsync). */
  truncateAndSync(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface FileOps {
  mkdirp(dir: string): Promise<void>;
  readdir(dir: string): Promise<string[]>;
  readFile(path: string): Promise<Buffer>;
  /**
   * Reads a whole file into `scratch` if it is large enough, else into a new buffer, and returns
   * a view of exactly the file's bytes. The view's whole ArrayBuffer belongs to the caller (never
   * a shared pool), so it may be passed back as `scratch`. Recovery reads segment after segment
   * into one buffer: on some machines touching fresh memory costs more than the read itself.
   */
  readFileInto(path: string, scratch: Buffer | null): Promise<Buffer>;
  /** Opens an existing file for reading and writing. */
  openExisting(path: string): Promise<WalFile>;
  /** Creates a new file; fails if it exists. */
  createExclusive(path: string): Promise<WalFile>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** fsyncs a directory so that file creations, renames and removals in it are durable. */
  syncDir(dir: string): Promise<void>;
}

/** Large reads, few round trips through the thread pool. */
const READ_CHUNK_BYTES = 8 * 1024 * 1024;

/** O_DSYNC where the platform has it (Linux, macOS); elsewhere writes plus fdatasync. */
const DSYNC_FLAG: number = constants.O_DSYNC ?? 0;

class NodeWalFile implements WalFile {
  readonly writesAreDurable = DSYNC_FLAG !== 0;

  constructor(private readonly fh: fsp.FileHandle) {}

  async write(data: Uint8Array, position: number): Promise<void> {
    let done = 0;
    while (done < data.byteLength) {
      const { bytesWritten } = await this.fh.write(data, done, data.byteLength - done, position + done);
      if (bytesWritten <= 0) throw new Error(`write made no progress at position ${position + done}`);
      done += bytesWritten;
    }
  }

  datasync(): Promise<void> {
    return this.fh.datasync();
  }

  async truncateAndSync(length: number): Promise<void> {
    await this.fh.truncate(length);
    await this.fh.sync();
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

export const nodeFileOps: FileOps = {
  async mkdirp(dir) {
    await fsp.mkdir(dir, { recursive: true });
  },
  readdir: (dir) => fsp.readdir(dir),
  readFile: (path) => fsp.readFile(path),
  async readFileInto(path, scratch) {
    const fh = await fsp.open(path, 'r');
    try {
      const { size } = await fh.stat();
      const buf = scratch !== null && scratch.length >= size ? scratch : Buffer.allocUnsafeSlow(size);
      let done = 0;
      while (done < size) {
        const { bytesRead } = await fh.read(buf, done, Math.min(size - done, READ_CHUNK_BYTES), done);
        if (bytesRead === 0) break; // the file shrank under us: return what is there
        done += bytesRead;
      }
      return buf.subarray(0, done);
    } finally {
      await fh.close();
    }
  },
  async openExisting(path) {
    return new NodeWalFile(await fsp.open(path, constants.O_RDWR | DSYNC_FLAG));
  },
  async createExclusive(path) {
    // 0o666 before the umask, as 'wx' would
    return new NodeWalFile(
      await fsp.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | DSYNC_FLAG, 0o666),
    );
  },
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  async syncDir(dir) {
    const fh = await fsp.open(dir, constants.O_RDONLY);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
};
