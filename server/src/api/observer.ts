/**
 * What the client API tells an observer (the node's metrics) as it works. Kept as a plain
 * interface so the API does not depend on a metrics library; every method must be cheap and must
 * not throw.
 */
import type { ErrorCode } from '@baton/proto-schemas';

export interface ApiObserver {
  /** An error answer left for a client (a frame that failed to parse, a refused request…). */
  rejected(code: ErrorCode): void;
  /** A queued acquire or campaign was granted, `waitedMs` after it arrived. */
  waitGranted(waitedMs: number, election: boolean): void;
}
