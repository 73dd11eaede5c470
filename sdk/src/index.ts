/**
 * @baton/sdk: Baton's typed client (DESIGN §6). Sessions with local loss detection, fenced
 * locks and semaphores, elections, observers, and a fence helper for Redis.
 */
import './dispose.js';

// the wire types the API returns, from the one contract (never written twice)
export type {
  ElectionLeader,
  ErrorCode,
  Holder,
  LockDescribeResult,
  Metadata,
  StatusResult,
  Waiter,
} from '@baton/proto-schemas';
export {
  BACKUP_TRAILER_BYTES,
  BackupFileError,
  type BackupHeader,
  decodeBackupFile,
  encodeBackupPrefix,
  LIMITS,
  NODE_NAME_PATTERN,
  PROTOCOL_VERSION,
  toHex,
} from '@baton/proto-schemas';
export {
  ADMIN_DEFAULTS,
  type AddMemberOptions,
  type AdminMember,
  type AdminMembersListResult,
  type AdminSnapshotSaveResult,
  type SnapshotCopy,
  type WaitOptions,
} from './admin.js';
export type { BackoffPolicy } from './backoff.js';
export { BatonClient } from './client.js';
export type { MonotonicClock } from './clock.js';
export { CLIENT_PATH, normalizeEndpoint } from './endpoints.js';
export { BATON_ERROR_CODES, BatonError, type BatonErrorCode, type BatonErrorDetails, isBatonError } from './errors.js';
export {
  createRedisFence,
  type FenceResult,
  type RedisEvalClient,
  type RedisFence,
  type RedisFenceOptions,
} from './fence/redis-fence.js';
export { Leadership } from './leadership.js';
export { Lock } from './lock.js';
export { DEFAULT_MAX_BUFFERED_CHANGES, type ElectionChange, type ObserveOptions } from './observe.js';
export { type BatonClientOptions, DEFAULTS, type SessionOptions, type TlsOptions } from './options.js';
export {
  type AcquireOptions,
  type CampaignOptions,
  Session,
  type SessionState,
  type TryAcquireOptions,
} from './session.js';
