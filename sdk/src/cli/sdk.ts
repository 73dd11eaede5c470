/**
 * The CLI's one door to the SDK. The CLI build keeps `../index.js` as an import (tsup.config.ts),
 * so `baton` runs on the very library build applications use. Import the SDK only from here:
 * a deeper relative path would not resolve from dist/cli/.
 */
export type {
  ElectionLeader,
  Holder,
  Leadership,
  Lock,
  LockDescribeResult,
  Metadata,
  StatusResult,
  Waiter,
} from '../index.js';
export { BatonClient, BatonError, isBatonError, LIMITS, normalizeEndpoint } from '../index.js';
