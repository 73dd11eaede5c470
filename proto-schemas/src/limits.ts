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
  /** A token's identity (its `name` in the token file): what a session is bound to. */
  maxIdentityBytes: 128,
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
  /**
   * Per client, so that one misbehaving client cannot starve the others. These are server
   * policy defaults (the baton-server flag in brackets overrides each; 0 turns a rate off). A
   * request over a rate gets RESOURCE_EXHAUSTED with `retryAfterMs`; "identity" is the `name` of
   * a token in the token file (all its connections to one node together), so identity limits
   * apply only while auth is on.
   */
  /**
   * Requests per second on one connection [--rate-limit]; bursts up to twice that. Above what a
   * node commits in total (a few thousand lock cycles/s on 2 cores): one SDK client multiplexes
   * all of a process's workers on one connection, and 2,000 throttled a well-behaved one (issue
   * 8's 32-worker run fell to 104 cycles/s). It stops a runaway loop, not a busy client.
   */
  requestsPerSecondPerConnection: 20_000,
  /** Requests per second of one identity on one node [--identity-rate-limit]; bursts up to twice that. */
  requestsPerSecondPerIdentity: 50_000,
  /** Open client connections from one remote address [--max-connections-per-address]. */
  maxConnectionsPerAddress: 1_024,
  /** Sessions owned by one identity's connections on one node [--max-sessions-per-identity]. */
  maxSessionsPerIdentity: 4_096,
  /** Blocking acquires and campaigns pending for one identity on one node [--max-waits-per-identity]. */
  maxWaitsPerIdentity: 4_096,
  /** Entries in a token file, and name prefixes granted to one token. */
  maxAuthTokens: 10_000,
  maxGrantsPerToken: 256,
  /** A bearer token shorter than this is refused in the token file: it could be guessed. */
  minAuthTokenBytes: 16,
  /** Hellos refused UNAUTHENTICATED on one connection before the node closes it (slows guessing). */
  maxFailedHellosPerConnection: 3,
  /** A member's peer or client URL in admin requests (kept in the replicated membership). */
  maxMemberUrlBytes: 512,
  /** How long an admin request may wait (a learner catching up, a leadership transfer). */
  maxAdminWaitMs: 600_000,
  /** Raw bytes per backup chunk: base64 in a JSON frame stays well under maxClientFrameBytes. */
  snapshotChunkBytes: 32 * 1024,
});

export type Limits = typeof LIMITS;
