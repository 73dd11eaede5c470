/**
 * Test-only hooks a node enables from its environment, for the chaos suite (test/chaos). Each is
 * off unless its variable is set, costs nothing then, and says loudly at start that it is on: a
 * production node must never run with one by accident.
 *
 * - BATON_TEST_FSYNC_DELAY_FILE=<path>: before each sync of the data directory, wait the number of
 *   milliseconds written in <path> (storage/fsync-delay.ts).
 */
import type { DiskStorageOptions } from '../storage/disk-storage.js';
import { nodeFileOps } from '../storage/file-ops.js';
import { FSYNC_DELAY_MAX_MS, FsyncDelay, withFsyncDelay } from '../storage/fsync-delay.js';
import type { Logger } from './logger.js';

export const FSYNC_DELAY_FILE_ENV = 'BATON_TEST_FSYNC_DELAY_FILE';

/** DiskStorage options for the hooks the environment turns on (none: `{}`, the real file system). */
export function storageTestHooks(env: NodeJS.ProcessEnv, logger: Logger): DiskStorageOptions {
  const controlFile = env[FSYNC_DELAY_FILE_ENV];
  if (controlFile === undefined || controlFile === '') return {};
  logger.warn(
    { hook: FSYNC_DELAY_FILE_ENV, controlFile, maxDelayMs: FSYNC_DELAY_MAX_MS },
    `test hook: fsync delay from ${controlFile} — every sync waits the milliseconds written there; never use in production`,
  );
  return { fileOps: withFsyncDelay(nodeFileOps, new FsyncDelay(controlFile)) };
}
