/**
 * Every limit of the system, in one place. The server enforces them (a request over a limit gets
 * INVALID_ARGUMENT or RESOURCE_EXHAUSTED, never a crash); the SDK checks the cheap ones before
 * sending. Changing one is a protocol change: both sides read them from here.
 */
export const LIMITS = Object.freeze({
  /** A client or peer WebSocket frame larger than this closes the connection with 1009. */
  maxClientFrameBytes: 64 * 1024,
  /** Peer frames carry batches of log entries and snapshots. */
  maxPeerFrameBytes: 64 * 1024 * 1024,
  /** Lock, semaphore and election names: 1..256 bytes of UTF-8, no control characters. */
  maxNameBytes: 256,
  /** Metadata attached to a hold (owner label, host, pid), JSON-encoded. */
  maxMetadataBytes: 1024,
  /** An election candidate's value, as UTF-8. */
  maxValueBytes: 4096,
  /** Client ids (the exactly-once key). */
  maxClientIdBytes: 128,
  /** Request ids echoed in answers. */
  maxRequestIdBytes: 64,
  /** The bearer token a client may present in its hello. */
  maxAuthTokenBytes: 4_096,
  /** How many protocol versions a hello may offer. */
  maxHelloProtocolVersions: 16,
  /** JSON nesting of any client or server frame; the deepest valid one (a describe answer) is 5. */
  maxFrameDepth: 8,
  /** A session's optional human label (shown by describe/status tools). */
  maxSessionLabelBytes: 128,
  /** Session TTL bounds. */
  minTtlMs: 1_000,
  maxTtlMs: 300_000,
  /** Lock-delay after an expiry. */
  maxLockDelayMs: 60_000,
  /** A blocking acquire/campaign waits at most this long. */
  maxWaitMs: 3_600_000,
  /** Semaphore limits. */
  maxSemaphoreLimit: 1_024,
  /** State machine capacities: over them a request gets RESOURCE_EXHAUSTED. */
  maxSessions: 100_000,
  maxNames: 100_000,
  maxWaitersPerName: 10_000,
  /** Exactly-once table: the newest result of this many clients is kept (oldest evicted). */
  maxDedupClients: 100_000,
  /** Per connection. */
  maxSessionsPerConnection: 64,
  maxInflightRequestsPerConnection: 256,
  /** Observers (election observe streams) per connection. */
  maxObservesPerConnection: 256,
  /** A member's peer or client URL in admin requests (kept in the replicated membership). */
  maxMemberUrlBytes: 512,
  /** How long an admin request may wait (a learner catching up, a leadership transfer). */
  maxAdminWaitMs: 600_000,
  /** Raw bytes per backup chunk: base64 in a JSON frame stays well under maxClientFrameBytes. */
  snapshotChunkBytes: 32 * 1024,
});

export type Limits = typeof LIMITS;
