/** Histogram buckets, in seconds (Prometheus base unit), in one place. */

/** One WAL batch sync: tens of microseconds on tmpfs, milliseconds on SSDs, more on slow disks. */
export const FSYNC_BUCKETS_S: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

/** Propose → applied on the proposer: one replication round trip plus an fsync, or a timeout. */
export const PROPOSAL_BUCKETS_S: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Queued → granted: as long as the holder before keeps the lock, up to the longest wait allowed. */
export const ACQUIRE_WAIT_BUCKETS_S: readonly number[] = [
  0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600,
];
