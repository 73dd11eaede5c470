/**
 * The CLI's one door to the SDK. The CLI build keeps `../index.js` as an import (tsup.config.ts),
 * so `baton` runs on the very library build applications use. Import the SDK only from here:
 * a deeper relative path would not resolve from dist/cli/.
 */
export type {
  AdminMember,
  AdminMembersListResult,
  ElectionLeader,
  Holder,
  Leadership,
  Lock,
  LockDescribeResult,
  Metadata,
  StatusResult,
  Waiter,
} from '../index.js';
export {
  BatonClient,
  BatonError,
  encodeBackupPrefix,
  isBatonError,
  LIMITS,
  NODE_NAME_PATTERN,
  normalizeEndpoint,
  toHex,
} from '../index.js';
