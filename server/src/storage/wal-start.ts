/**
 * `wal/START`: the sequence number of the first segment that belongs to the log. It makes
 * compaction one atomic step. Releasing old segments first replaces START (temp file, fdatasync,
 * rename, directory fsync) and only then deletes the segments before it; recovery deletes any
 * segment before START that a crash left behind.
 *
 * Without it a crash part-way through the deletions could leave a first segment that cannot be
 * replayed on its own: one in which Raft overwrote entries from before the segment's start (a
 * conflicting suffix truncated right after a rollover). Only the segment START names is checked
 * for that, before START moves (Wal.canReplayFrom).
 *
 * No START file means the lowest segment is the first (a WAL that was never compacted).
 */
import { join } from 'node:path';
import { WalCorruptionError } from './errors.js';
import type { FileOps } from './file-ops.js';

export const START_FILE = 'START';
export const START_TEMP_FILE = `${START_FILE}.tmp`;
const START_CONTENT = /^(\d{1,16})\n$/;

/** The sequence number START holds, or null when there is no START file. */
export async function readStart(ops: FileOps, dir: string, names: readonly string[]): Promise<number | null> {
  if (!names.includes(START_FILE)) return null;
  const text = (await ops.readFile(join(dir, START_FILE))).toString('latin1');
  const m = START_CONTENT.exec(text);
  const seq = m === null ? Number.NaN : Number(m[1]);
  if (!Number.isSafeInteger(seq) || seq < 1) {
    throw new WalCorruptionError(START_FILE, 0, `unreadable first segment number ${JSON.stringify(text.slice(0, 40))}`);
  }
  return seq;
}

/** Replaces START with `seq` durably: once this resolves, recovery ignores segments before seq. */
export async function writeStart(ops: FileOps, dir: string, seq: number): Promise<void> {
  const temp = join(dir, START_TEMP_FILE);
  await ops.unlink(temp).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  const file = await ops.createExclusive(temp);
  try {
    await file.write(Buffer.from(`${seq}\n`, 'latin1'), 0);
    await file.datasync();
  } finally {
    await file.close();
  }
  await ops.rename(temp, join(dir, START_FILE));
  await ops.syncDir(dir);
}
