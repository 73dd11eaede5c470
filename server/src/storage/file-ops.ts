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
  /** Opens an existing file for reading and writing. */
  openExisting(path: string): Promise<WalFile>;
  /** Creates a new file; fails if it exists. */
  createExclusive(path: string): Promise<WalFile>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** fsyncs a directory so that file creations, renames and removals in it are durable. */
  syncDir(dir: string): Promise<void>;
}

class NodeWalFile implements WalFile {
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
  async openExisting(path) {
    return new NodeWalFile(await fsp.open(path, 'r+'));
  },
  async createExclusive(path) {
    return new NodeWalFile(await fsp.open(path, 'wx'));
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
