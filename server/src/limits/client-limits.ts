/**
 * Per-client limits as the node applies them. The defaults are LIMITS' (proto-schemas/limits.ts,
 * the one place for limits); baton-server flags override them (security-config.ts).
 */
import { LIMITS } from '@baton/proto-schemas';

export interface ClientLimits {
  /** Requests a second on one connection; 0 = no limit. */
  readonly requestsPerSecondPerConnection: number;
  /** Requests a second of one identity (token name) on this node; 0 = no limit. */
  readonly requestsPerSecondPerIdentity: number;
  readonly maxConnectionsPerAddress: number;
  readonly maxSessionsPerIdentity: number;
  readonly maxWaitsPerIdentity: number;
}

/** A bucket holds this many seconds of its rate: short bursts (a reconnect resuming many sessions) pass. */
export const BURST_SECONDS = 2;

export const DEFAULT_CLIENT_LIMITS: ClientLimits = Object.freeze({
  requestsPerSecondPerConnection: LIMITS.requestsPerSecondPerConnection,
  requestsPerSecondPerIdentity: LIMITS.requestsPerSecondPerIdentity,
  maxConnectionsPerAddress: LIMITS.maxConnectionsPerAddress,
  maxSessionsPerIdentity: LIMITS.maxSessionsPerIdentity,
  maxWaitsPerIdentity: LIMITS.maxWaitsPerIdentity,
});
