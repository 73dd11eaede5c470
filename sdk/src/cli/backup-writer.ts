/**
 * Writes a backup file (proto-schemas backup-file.ts) atomically: a temp file beside the target,
 * written and fsynced, renamed over the target, then the directory fsynced — so a crash leaves
 * either the old file or the complete new one, never a torn backup under the final name.
 * Mode 0600: a backup holds every session, lock holder and their metadata.
 */
import { createHash } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { SnapshotCopy } from '../admin.js';
import { encodeBackupPrefix } from './sdk.js';

export async function writeBackupFile(path: string, copy: SnapshotCopy): Promise<number> {
  const { info, data } = copy;
  const prefix = encodeBackupPrefix({
    format: 1,
    index: info.index,
    term: info.term,
    dataBytes: data.byteLength,
    dataSha256: info.sha256,
    takenAtMs: info.takenAtMs,
    members: info.members,
  });
  const trailer = createHash('sha256').update(prefix).update(data).digest();
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  const file = await open(tmp, 'wx', 0o600);
  try {
    try {
      await file.writeFile(prefix);
      await file.writeFile(data);
      await file.writeFile(trailer);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fsyncDir(dirname(path));
  return prefix.byteLength + data.byteLength + trailer.byteLength;
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
