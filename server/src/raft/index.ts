/**
 * Baton's Raft core: pure and deterministic (no I/O, timers, clock or unseeded randomness).
 * See README.md in this folder for the driver contract.
 */

export { bootstrapLog, decodeConfChange, encodeConfChange } from './confchange.js';
export type { RaftConfig, ReadOnlyOption, Rng } from './config.js';
export { resolveConfig } from './config.js';
export { RaftLog } from './log.js';
export { Inflights, Progress, ProgressTracker } from './progress.js';
export { Raft } from './raft.js';
export type { RaftFactory, RawNodeStatus } from './rawnode.js';
export { RawNode } from './rawnode.js';
export { MAX_PENDING_READS } from './readonly.js';
export type { Storage } from './storage.js';
export {
  CompactedError,
  entrySizeBytes,
  invariant,
  MemoryStorage,
  RaftInvariantError,
  UnavailableError,
} from './storage.js';
export * from './types.js';
