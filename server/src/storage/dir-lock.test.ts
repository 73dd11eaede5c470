/**
 * The data-directory lock on a real file system (temp directories).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireDirLock, DataDirLockedError, DirLock, isAlive, LOCK_FILE } from './dir-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baton-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  expect(r.status).toBe(0);
  expect(isAlive(r.pid as number)).toBe(false);
  return r.pid as number;
}

describe('DirLock', () => {
  it('writes the pid into LOCK and leaves no other files', async () => {
    const lock = await DirLock.acquire(dir);
    expect(lock.tookOverFrom).toBeNull();
    expect(await readdir(dir)).toEqual([LOCK_FILE]);
    expect((await readFile(join(dir, LOCK_FILE), 'utf8')).split('\n')[0]).toBe(String(process.pid));
    await lock.release();
  });

  it('a second lock on the same directory fails and names the pid', async () => {
    const lock = await DirLock.acquire(dir);
    const err = await acquireDirLock(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect((err as DataDirLockedError).pid).toBe(process.pid);
    expect((err as Error).message).toContain(`in use by process ${process.pid}`);
    await lock.release();
  });

  it('only one of many concurrent acquirers wins', async () => {
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => DirLock.acquire(dir)));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DataDirLockedError);
    await (won[0] as PromiseFulfilledResult<DirLock>).value.release();
  });

  it('takes over a stale lock left by a dead process', async () => {
    const pid = deadPid();
    await writeFile(join(dir, LOCK_FILE), `${pid}\nfeedface\n`);
    const lock = await DirLock.acquire(dir);
    expect(lock.tookOverFrom).toBe(pid);
    expect((await readFile(join(dir, LOCK_FILE), 'utf8')).split('\n')[0]).toBe(String(process.pid));
    expect(await readdir(dir)).toEqual([LOCK_FILE]); // no takeover marker left behind
    await expect(DirLock.acquire(dir)).rejects.toThrow(DataDirLockedError);
    await lock.release();
  });

  it('only one of many concurrent acquirers takes over a stale lock', async () => {
    await writeFile(join(dir, LOCK_FILE), `${deadPid()}\nfeedface\n`);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => DirLock.acquire(dir)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('release removes LOCK, is idempotent, and the directory can be locked again', async () => {
    const lock = await DirLock.acquire(dir);
    await lock.release();
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
    const again = await DirLock.acquire(dir);
    await again.release();
  });

  it('release leaves a lock that is no longer its own', async () => {
    const lock = await DirLock.acquire(dir);
    await writeFile(join(dir, LOCK_FILE), `${process.pid}\nsomeone-else\n`);
    await lock.release();
    expect(await readdir(dir)).toEqual([LOCK_FILE]);
  });

  it('refuses a lock file that names no process, and a takeover marker left by a crash', async () => {
    await writeFile(join(dir, LOCK_FILE), 'garbage');
    await expect(DirLock.acquire(dir)).rejects.toThrow(/does not name a process/);
    const stale = `${deadPid()}\nfeedface\n`;
    await writeFile(join(dir, LOCK_FILE), stale);
    const { crc32c } = await import('@node-rs/crc32');
    const marker = `${LOCK_FILE}.takeover-${crc32c(Buffer.from(stale)).toString(16).padStart(8, '0')}`;
    await writeFile(join(dir, marker), `${deadPid()}\n`);
    const err = await DirLock.acquire(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect((err as Error).message).toMatch(/crashed while taking over.*remove/);
    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(stale); // untouched
  });
});
