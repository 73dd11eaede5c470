/**
 * The data-directory lock: `LOCK` in the data directory names the process that has it open, so
 * two processes can never use the same directory (two WAL writers would corrupt it).
 *
 * Why this is race-free:
 *
 * - Acquiring a free lock relies on exclusive creation: the kernel checks "does not exist" and
 *   creates the name as one atomic step (O_EXCL; link(2) has the same semantics), so of any number
 *   of processes racing for a missing LOCK exactly one succeeds and the others get EEXIST.
 *   The lock's contents (pid and a random token) are written with open(temp, 'wx') into a private
 *   temp file first, fdatasynced, and then published with link(temp, LOCK). So LOCK never exists
 *   half-written: no reader ever sees an empty lock whose owner is "still writing", and a power
 *   loss cannot leave an empty LOCK behind that nobody could judge.
 * - A lock whose pid is dead (its process crashed) is taken over. Unlinking it after a read would
 *   race: two processes could both read the dead pid, one unlinks and re-creates LOCK, and the
 *   other then unlinks that live lock. So a takeover first wins an exclusive marker
 *   `LOCK.takeover-<crc of the stale contents>` (again O_EXCL: one winner per stale lock), re-reads
 *   LOCK under the marker and proceeds only if it still holds exactly the stale contents. Contents
 *   include a random token, so they never repeat: a slow process that read the stale lock earlier
 *   and gets the marker after the winner removed it finds different contents and backs off.
 *   The new LOCK is then published with the same exclusive link, so a process on the free-lock
 *   path that slips in after the unlink simply wins instead.
 * - A process that crashes while holding a takeover marker leaves it behind; the next process
 *   refuses (never two owners) and the message says which files to remove by hand.
 *
 * Liveness is checked with process.kill(pid, 0): ESRCH means dead; success or EPERM (a process of
 * another user) means alive. A reused pid makes a stale lock look live: the node then refuses to
 * start and the operator removes LOCK by hand; it never errs towards two owners. The check is
 * only meaningful on one host: do not put the data directory on a shared network file system.
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';

export const LOCK_FILE = 'LOCK';
const TAKEOVER_PREFIX = `${LOCK_FILE}.takeover-`;
const MAX_ATTEMPTS = 8;

/** Another live process holds the data directory, or who holds it cannot be told safely. */
export class DataDirLockedError extends Error {
  readonly code = 'DATA_DIR_LOCKED';
  constructor(
    readonly dir: string,
    /** The pid that holds the lock, or null when it cannot be told. */
    readonly pid: number | null,
    detail?: string,
  ) {
    super(
      detail ??
        `data directory ${dir} is in use by process ${pid} (lock file ${join(dir, LOCK_FILE)}); ` +
          'stop that process first. If it is not a Baton node (a reused pid), remove the lock file by hand.',
    );
    this.name = 'DataDirLockedError';
  }
}

export class DirLock {
  private released = false;

  private constructor(
    readonly dir: string,
    /** The pid of a crashed process whose stale lock was taken over, or null. */
    readonly tookOverFrom: number | null,
    private readonly contents: string,
  ) {}

  /** Takes the lock on `dir` (which must exist) for this process, or throws DataDirLockedError. */
  static async acquire(dir: string): Promise<DirLock> {
    const path = join(dir, LOCK_FILE);
    const contents = `${process.pid}\n${randomBytes(16).toString('hex')}\n`;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (await publish(dir, contents)) return new DirLock(dir, null, contents);
      const stale = await readOrNull(path);
      if (stale === null) continue; // released between our attempt and the read: try again
      const pid = parsePid(stale);
      if (pid === null) {
        throw new DataDirLockedError(
          dir,
          null,
          `lock file ${path} does not name a process (${JSON.stringify(stale.slice(0, 40))}); ` +
            'if no Baton node runs on this directory, remove it by hand.',
        );
      }
      if (isAlive(pid)) throw new DataDirLockedError(dir, pid);
      const outcome = await takeOver(dir, stale, contents);
      if (outcome === 'won') return new DirLock(dir, pid, contents);
      // 'retry': the lock changed under us (released or taken by someone else): look again
    }
    throw new DataDirLockedError(
      dir,
      null,
      `could not take the lock on ${dir}: it kept changing hands, or a takeover marker ` +
        `(${TAKEOVER_PREFIX}*) was left empty by a crash; if no Baton node runs on it, remove LOCK* by hand.`,
    );
  }

  /** Removes LOCK if it is still ours. Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const path = join(this.dir, LOCK_FILE);
    if ((await readOrNull(path)) === this.contents) await fsp.unlink(path);
  }
}

/** Same as DirLock.acquire. */
export function acquireDirLock(dir: string): Promise<DirLock> {
  return DirLock.acquire(dir);
}

/** Publishes `contents` as LOCK if no LOCK exists. True if we created it. */
async function publish(dir: string, contents: string): Promise<boolean> {
  const temp = join(dir, `${LOCK_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await fsp.open(temp, 'wx');
  try {
    await fh.writeFile(contents);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  try {
    await fsp.link(temp, join(dir, LOCK_FILE));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await fsp.unlink(temp);
  }
}

/** Replaces the stale lock holding `stale` by ours, under an exclusive takeover marker. */
async function takeOver(dir: string, stale: string, contents: string): Promise<'won' | 'retry'> {
  const path = join(dir, LOCK_FILE);
  const marker = join(dir, `${TAKEOVER_PREFIX}${crc32c(Buffer.from(stale)).toString(16).padStart(8, '0')}`);
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(marker, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const holder = parsePid((await readOrNull(marker)) ?? '');
    if (holder !== null && isAlive(holder)) throw new DataDirLockedError(dir, holder);
    // an empty marker is a creation in progress, or a crash right after it: we cannot tell apart
    if (holder === null) return 'retry';
    throw new DataDirLockedError(
      dir,
      null,
      `process ${holder} crashed while taking over the stale lock in ${dir}; if no Baton node runs on ` +
        `this directory, remove ${path} and ${marker} by hand.`,
    );
  }
  try {
    await fh.writeFile(`${process.pid}\n`);
  } finally {
    await fh.close();
  }
  try {
    if ((await readOrNull(path)) !== stale) return 'retry';
    await fsp.unlink(path);
    return (await publish(dir, contents)) ? 'won' : 'retry';
  } finally {
    await fsp.unlink(marker);
  }
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await fsp.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function parsePid(contents: string): number | null {
  const m = /^(\d+)\n/.exec(contents);
  const pid = m === null ? Number.NaN : Number(m[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

/** process.kill(pid, 0) sends no signal; it only checks that the process exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
