/** The admin module's limits and timings, in one place. */
export const ADMIN_LIMITS = Object.freeze({
  /** A learner this many entries (or fewer) behind the leader's last index counts as caught up. */
  learnerMaxLagEntries: 64,
  /** Backups held in memory for chunked reads, per node (each is a whole state machine snapshot). */
  maxHeldSnapshots: 2,
  /** A held backup nobody read for this long is dropped. */
  snapshotHoldMs: 60_000,
  /** A membership change not applied within this time answers UNAVAILABLE (retry: it is checked again). */
  confChangeTimeoutMs: 10_000,
  /** Leadership transfers wait this many election timeouts unless the request says otherwise. */
  transferTimeoutElections: 3,
});
