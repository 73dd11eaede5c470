/**
 * Client and session options with their defaults in one place, validated when a client or
 * session is created (STYLE habit 11): a bad option is INVALID_ARGUMENT naming it.
 */
import { randomUUID } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import { LIMITS } from '@baton/proto-schemas';
import type { BackoffPolicy } from './backoff.js';
import { type MonotonicClock, systemClock } from './clock.js';
import { normalizeEndpoint } from './endpoints.js';
import { BatonError } from './errors.js';

/** TLS settings for `wss://` endpoints (passed to Node's TLS client). */
export type TlsOptions = Pick<
  ConnectionOptions,
  'ca' | 'cert' | 'key' | 'passphrase' | 'pfx' | 'rejectUnauthorized' | 'servername'
>;

export interface SessionOptions {
  /** The server expires the session this long after its last keepalive. Default 10 s. */
  readonly ttlMs?: number;
  /** How often keepalives are sent. Default ttlMs / 3. */
  readonly keepaliveIntervalMs?: number;
  /**
   * The session counts as lost when no keepalive was acknowledged within
   * `ttlMs − safetyMarginMs` of the send time of the last acknowledged one. The margin absorbs
   * clock-rate drift and a late timer. Default max(250 ms, ttlMs / 10).
   */
  readonly safetyMarginMs?: number;
  /** A label shown by describe/status tools. */
  readonly label?: string;
}

export interface BatonClientOptions {
  /** `ws://host:port` or `wss://host:port` (the SDK adds /v1/client); tried in turn. */
  readonly endpoints: readonly string[];
  /** Bearer token presented in the hello. */
  readonly token?: string;
  readonly tls?: TlsOptions;
  /** A request not answered (after retries, redirects and reconnects) within this time fails UNAVAILABLE. Default 10 s. */
  readonly requestTimeoutMs?: number;
  /** Names this client for exactly-once retries. Default: a random UUID per client. */
  readonly clientId?: string;
  /** Opening one connection (TCP + WebSocket + hello) may take this long. Default 5 s. */
  readonly connectTimeoutMs?: number;
  /** A connection that answers no ping within this interval is closed and replaced. Default 5 s. */
  readonly heartbeatIntervalMs?: number;
  /** Requests queued or in flight at once; more fail RESOURCE_EXHAUSTED at once. Default 1024. */
  readonly maxPendingRequests?: number;
  /** Delays between reconnect rounds and retries. Default 50 ms doubling up to 2 s, with jitter. */
  readonly reconnectBackoff?: Partial<BackoffPolicy>;
  /** Options of the default session behind client.acquire/tryAcquire/withLock/campaign. */
  readonly session?: SessionOptions;
  /** Monotonic clock (tests inject one). Default performance.now(). */
  readonly clock?: MonotonicClock;
  /** Random numbers in [0, 1) for jitter (tests inject a seeded one). Default Math.random. */
  readonly random?: () => number;
}

export interface ResolvedClientOptions {
  readonly endpoints: readonly string[];
  readonly token: string | undefined;
  readonly tls: TlsOptions | undefined;
  readonly requestTimeoutMs: number;
  readonly clientId: string;
  readonly connectTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxPendingRequests: number;
  readonly reconnectBackoff: BackoffPolicy;
  readonly session: SessionOptions;
  readonly clock: MonotonicClock;
  readonly random: () => number;
}

export interface ResolvedSessionOptions {
  readonly ttlMs: number;
  readonly keepaliveIntervalMs: number;
  readonly safetyMarginMs: number;
  readonly label: string | undefined;
}

export const DEFAULTS = Object.freeze({
  requestTimeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  heartbeatIntervalMs: 5_000,
  maxPendingRequests: 1_024,
  backoffInitialMs: 50,
  backoffMaxMs: 2_000,
  ttlMs: 10_000,
  minSafetyMarginMs: 250,
  /** Default margin as a fraction of the TTL. */
  safetyMarginFraction: 0.1,
  /** Default keepalive interval as a fraction of the TTL. */
  keepaliveFraction: 1 / 3,
});

/** Upper bounds on options, so a typo cannot ask for unbounded memory or a year-long timeout. */
const MAX_ENDPOINTS = 64;
const MAX_TIMEOUT_MS = LIMITS.maxWaitMs;
const MAX_PENDING_REQUESTS = 1_000_000;

export function resolveClientOptions(options: BatonClientOptions): ResolvedClientOptions {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'must be an object');
  const { endpoints } = options;
  if (!Array.isArray(endpoints) || endpoints.length === 0 || endpoints.length > MAX_ENDPOINTS) {
    throw invalid('endpoints', `must list 1..${MAX_ENDPOINTS} endpoints`);
  }
  const urls = [...new Set(endpoints.map((e: unknown) => normalizeEndpoint(String(e))))];
  const clientId = options.clientId ?? `sdk-${randomUUID()}`;
  if (typeof clientId !== 'string' || clientId.length === 0 || Buffer.byteLength(clientId) > LIMITS.maxClientIdBytes) {
    throw invalid('clientId', `must be 1..${LIMITS.maxClientIdBytes} bytes`);
  }
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token.length === 0)) {
    throw invalid('token', 'must be a non-empty string');
  }
  const backoff = {
    initialMs: positiveInt(
      'reconnectBackoff.initialMs',
      options.reconnectBackoff?.initialMs,
      DEFAULTS.backoffInitialMs,
    ),
    maxMs: positiveInt('reconnectBackoff.maxMs', options.reconnectBackoff?.maxMs, DEFAULTS.backoffMaxMs),
  };
  if (backoff.maxMs < backoff.initialMs) throw invalid('reconnectBackoff.maxMs', 'must be ≥ initialMs');
  const resolved: ResolvedClientOptions = {
    endpoints: urls,
    token: options.token,
    tls: options.tls,
    requestTimeoutMs: positiveInt('requestTimeoutMs', options.requestTimeoutMs, DEFAULTS.requestTimeoutMs),
    clientId,
    connectTimeoutMs: positiveInt('connectTimeoutMs', options.connectTimeoutMs, DEFAULTS.connectTimeoutMs),
    heartbeatIntervalMs: positiveInt('heartbeatIntervalMs', options.heartbeatIntervalMs, DEFAULTS.heartbeatIntervalMs),
    maxPendingRequests: positiveInt(
      'maxPendingRequests',
      options.maxPendingRequests,
      DEFAULTS.maxPendingRequests,
      MAX_PENDING_REQUESTS,
    ),
    reconnectBackoff: backoff,
    session: options.session ?? {},
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
  };
  // the default session's options are checked now, not at the first client.acquire
  resolveSessionOptions(resolved.session);
  return resolved;
}

export function resolveSessionOptions(options: SessionOptions = {}): ResolvedSessionOptions {
  const ttlMs = positiveInt('ttlMs', options.ttlMs, DEFAULTS.ttlMs);
  if (ttlMs < LIMITS.minTtlMs || ttlMs > LIMITS.maxTtlMs) {
    throw invalid('ttlMs', `must be ${LIMITS.minTtlMs}..${LIMITS.maxTtlMs}`);
  }
  const safetyMarginMs = positiveInt(
    'safetyMarginMs',
    options.safetyMarginMs,
    Math.max(DEFAULTS.minSafetyMarginMs, Math.round(ttlMs * DEFAULTS.safetyMarginFraction)),
  );
  if (safetyMarginMs >= ttlMs) throw invalid('safetyMarginMs', 'must be less than ttlMs');
  const keepaliveIntervalMs = positiveInt(
    'keepaliveIntervalMs',
    options.keepaliveIntervalMs,
    Math.floor(ttlMs * DEFAULTS.keepaliveFraction),
  );
  // at least one keepalive must fit in the safe window, or the session is lost by design
  if (keepaliveIntervalMs >= ttlMs - safetyMarginMs) {
    throw invalid('keepaliveIntervalMs', 'must be less than ttlMs − safetyMarginMs');
  }
  if (options.label !== undefined && Buffer.byteLength(options.label) > LIMITS.maxSessionLabelBytes) {
    throw invalid('label', `must be at most ${LIMITS.maxSessionLabelBytes} bytes`);
  }
  return { ttlMs, keepaliveIntervalMs, safetyMarginMs, label: options.label };
}

/** A `timeoutMs` option of a blocking call: 0..LIMITS.maxWaitMs, or undefined. */
export function checkWaitTimeout(timeoutMs: number | undefined): number | undefined {
  if (timeoutMs === undefined) return undefined;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > MAX_TIMEOUT_MS) {
    throw invalid('timeoutMs', `must be an integer 0..${MAX_TIMEOUT_MS}`);
  }
  return timeoutMs;
}

function positiveInt(field: string, value: number | undefined, fallback: number, max: number = MAX_TIMEOUT_MS): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0 || value > max) throw invalid(field, `must be an integer 1..${max}`);
  return value;
}

function invalid(field: string, what: string): BatonError {
  return new BatonError('INVALID_ARGUMENT', `${field}: ${what}`, { field });
}
