/**
 * Test helper: FileOps over the real file system that can fail chosen calls (ENOSPC, EIO) and
 * counts them. Not part of the package's API.
 */
import { basename } from 'node:path';
import { type FileOps, nodeFileOps, type WalFile } from '../file-ops.js';

export type FaultPoint =
  | 'write'
  | 'datasync'
  | 'truncate'
  | 'createExclusive'
  | 'openExisting'
  | 'rename'
  | 'unlink'
  | 'syncDir';

export interface FaultControl {
  /** Return an error to make the call at `point` on `path` fail, or null to let it run. */
  inject: ((point: FaultPoint, path: string) => Error | null) | null;
  /** When a write fails, first write this many of its bytes (a short write before ENOSPC). */
  partialWriteBytes: number;
  /** Calls made, by point. */
  readonly calls: Record<FaultPoint, number>;
}

export function ioError(code: 'ENOSPC' | 'EIO', what = 'injected'): Error {
  return Object.assign(new Error(`${code}: ${what}`), { code });
}

/** Fails every call at `point` whose file name matches `name` (all files when omitted). */
export function failAt(point: FaultPoint, error: Error, name?: RegExp): FaultControl['inject'] {
  return (p, path) => (p === point && (name === undefined || name.test(basename(path))) ? error : null);
}

export function faultyFileOps(): { ops: FileOps; ctl: FaultControl } {
  const calls = {
    write: 0,
    datasync: 0,
    truncate: 0,
    createExclusive: 0,
    openExisting: 0,
    rename: 0,
    unlink: 0,
    syncDir: 0,
  };
  const ctl: FaultControl = { inject: null, partialWriteBytes: 0, calls };
  const check = (point: FaultPoint, path: string): void => {
    calls[point]++;
    const err = ctl.inject?.(point, path) ?? null;
    if (err !== null) throw err;
  };
  const wrap = (f: WalFile, path: string): WalFile => ({
    async write(data, position) {
      try {
        check('write', path);
      } catch (err) {
        const n = Math.min(ctl.partialWriteBytes, data.byteLength);
        if (n > 0) await f.write(data.subarray(0, n), position);
        throw err;
      }
      return f.write(data, position);
    },
    async datasync() {
      check('datasync', path);
      return f.datasync();
    },
    async truncateAndSync(length) {
      check('truncate', path);
      return f.truncateAndSync(length);
    },
    close: () => f.close(),
  });
  const ops: FileOps = {
    ...nodeFileOps,
    async openExisting(path) {
      check('openExisting', path);
      return wrap(await nodeFileOps.openExisting(path), path);
    },
    async createExclusive(path) {
      check('createExclusive', path);
      return wrap(await nodeFileOps.createExclusive(path), path);
    },
    async rename(from, to) {
      check('rename', to);
      return nodeFileOps.rename(from, to);
    },
    async unlink(path) {
      check('unlink', path);
      return nodeFileOps.unlink(path);
    },
    async syncDir(dir) {
      check('syncDir', dir);
      return nodeFileOps.syncDir(dir);
    },
  };
  return { ops, ctl };
}
