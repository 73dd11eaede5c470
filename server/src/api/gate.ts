/**
 * Who may come in, and how much: the client API's admission checks in one place.
 *
 * - Connections per remote address, counted from the upgrade until the socket closes.
 * - Request rates: a token bucket per connection and one per identity (a token's `name`, all its
 *   connections to this node together); over a rate → RESOURCE_EXHAUSTED with `retryAfterMs`.
 * - Authentication in hello (when a token file is configured), re-checked on every request so an
 *   expired or removed token stops working at once → UNAUTHENTICATED.
 * - Permissions from the one table (auth/permissions.ts) → PERMISSION_DENIED.
 * - Sessions and pending waits per identity → RESOURCE_EXHAUSTED.
 *
 * Tokens never reach a log line: only the identity's name is logged.
 */
import { type ClientRequest, LIMITS } from '@baton/proto-schemas';
import { type Identity, isAllowed, requestName, requirementOf } from '../auth/permissions.js';
import type { Credential, TokenStore } from '../auth/token-store.js';
import { BURST_SECONDS, type ClientLimits } from '../limits/client-limits.js';
import { TokenBucket } from '../limits/token-bucket.js';
import type { Clock } from '../node/clock.js';
import type { Logger } from '../node/logger.js';
import type { ClientConnection } from './connection.js';
import { ApiError } from './errors.js';

export interface ClientGateOptions {
  /** null: auth is off and every client may do everything. */
  readonly tokens: TokenStore | null;
  readonly limits: ClientLimits;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** A frame refused by a rate limit: answer RESOURCE_EXHAUSTED with this hint. */
export interface RateRefusal {
  readonly message: string;
  readonly retryAfterMs: number;
}

interface ConnectionState {
  readonly bucket: TokenBucket | null;
  credential: Credential | null;
  failedHellos: number;
}

interface IdentityState {
  readonly bucket: TokenBucket | null;
  readonly connections: Set<ClientConnection>;
}

export class ClientGate {
  private readonly connections = new Map<ClientConnection, ConnectionState>();
  private readonly perAddress = new Map<string, number>();
  private readonly identities = new Map<string, IdentityState>();

  constructor(private readonly opts: ClientGateOptions) {}

  get authEnabled(): boolean {
    return this.opts.tokens !== null;
  }

  /**
   * Before the WebSocket upgrade: false when `address` already has its maximum of connections.
   * An admitted socket counts until it closes, upgraded or not.
   */
  admitSocket(address: string, socket: NodeJS.EventEmitter): boolean {
    const open = this.perAddress.get(address) ?? 0;
    if (open >= this.opts.limits.maxConnectionsPerAddress) {
      this.opts.logger.warn(
        { remote: address, open, max: this.opts.limits.maxConnectionsPerAddress },
        'client connection refused: too many from this address',
      );
      return false;
    }
    this.perAddress.set(address, open + 1);
    socket.once('close', () => {
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.perAddress.delete(address);
      else this.perAddress.set(address, left);
    });
    return true;
  }

  opened(conn: ClientConnection): void {
    const rate = this.opts.limits.requestsPerSecondPerConnection;
    this.connections.set(conn, { bucket: this.bucket(rate), credential: null, failedHellos: 0 });
  }

  closed(conn: ClientConnection): void {
    const state = this.connections.get(conn);
    if (state === undefined) return;
    this.connections.delete(conn);
    if (state.credential !== null) this.leaveIdentity(conn, state.credential.identity);
  }

  /** Every inbound frame, parsed or not: the connection's and its identity's rate. */
  admitFrame(conn: ClientConnection): RateRefusal | null {
    const state = this.connections.get(conn);
    if (state === undefined) return null;
    const nowMs = this.opts.clock.monotonicMs();
    const waitMs = state.bucket?.take(nowMs) ?? 0;
    if (waitMs > 0) {
      return {
        message: `over ${this.opts.limits.requestsPerSecondPerConnection} requests/s on this connection`,
        retryAfterMs: waitMs,
      };
    }
    const identity = state.credential === null ? undefined : this.identities.get(state.credential.identity.name);
    const identityWaitMs = identity?.bucket?.take(nowMs) ?? 0;
    if (identityWaitMs > 0) {
      // the connection's own budget was not what ran out
      state.bucket?.refund();
      return {
        message: `over ${this.opts.limits.requestsPerSecondPerIdentity} requests/s for this token on this node`,
        retryAfterMs: identityWaitMs,
      };
    }
    return null;
  }

  /** hello: with auth on, the token must be known and current. Throws UNAUTHENTICATED. */
  authenticate(conn: ClientConnection, token: string | undefined): void {
    const store = this.opts.tokens;
    const state = this.connections.get(conn);
    if (store === null || state === undefined) return;
    const outcome = store.authenticate(token, this.wallMs());
    if (!outcome.ok) {
      this.opts.logger.warn({ remote: conn.remote, reason: outcome.message }, 'client authentication failed');
      state.failedHellos += 1;
      if (state.failedHellos >= LIMITS.maxFailedHellosPerConnection) {
        // after the answer (sent from a promise continuation, which runs before this): each
        // further guess then costs a new connection, which the per-address cap also bounds
        setImmediate(() => conn.close(1008, 'too many failed authentications'));
      }
      throw new ApiError('UNAUTHENTICATED', outcome.message);
    }
    this.setCredential(conn, state, outcome.credential);
    this.opts.logger.debug({ remote: conn.remote, identity: outcome.credential.identity.name }, 'client authenticated');
  }

  /** Every request after hello: still authenticated, and permitted. Throws ApiError. */
  authorize(conn: ClientConnection, request: ClientRequest): void {
    const store = this.opts.tokens;
    const state = this.connections.get(conn);
    if (store === null || state === undefined || request.type === 'hello') return;
    if (state.credential === null) throw new ApiError('UNAUTHENTICATED', 'say hello with a valid token first');
    const outcome = store.recheck(state.credential, this.wallMs());
    if (!outcome.ok) {
      this.leaveIdentity(conn, state.credential.identity);
      state.credential = null;
      this.opts.logger.info({ remote: conn.remote, reason: outcome.message }, 'client credential no longer valid');
      throw new ApiError('UNAUTHENTICATED', outcome.message);
    }
    if (outcome.credential !== state.credential) this.setCredential(conn, state, outcome.credential);
    const identity = outcome.credential.identity;
    const requirement = requirementOf(request.type);
    const name = requestName(request);
    if (!isAllowed(identity, requirement, name)) {
      this.opts.logger.debug({ identity: identity.name, type: request.type, name }, 'request denied');
      const what = name === null ? 'on any name' : `on ${JSON.stringify(name)}`;
      throw new ApiError('PERMISSION_DENIED', `${request.type} needs ${requirement} ${what}`);
    }
  }

  /** session.open: the identity's sessions on this node. Throws RESOURCE_EXHAUSTED. */
  checkSessionQuota(conn: ClientConnection): void {
    const identity = this.identityOf(conn);
    if (identity === undefined) return;
    let sessions = 0;
    for (const c of identity.connections) sessions += c.sessions.size;
    const max = this.opts.limits.maxSessionsPerIdentity;
    if (sessions >= max) throw new ApiError('RESOURCE_EXHAUSTED', `at most ${max} sessions per token on one node`);
  }

  /** A blocking acquire or campaign: the identity's pending waits on this node. Throws RESOURCE_EXHAUSTED. */
  checkWaitQuota(conn: ClientConnection): void {
    const identity = this.identityOf(conn);
    if (identity === undefined) return;
    let waits = 0;
    for (const c of identity.connections) waits += c.waits.size;
    const max = this.opts.limits.maxWaitsPerIdentity;
    if (waits >= max) throw new ApiError('RESOURCE_EXHAUSTED', `at most ${max} pending waits per token on one node`);
  }

  /** The identity a connection speaks for (null: auth off, or not authenticated). */
  identity(conn: ClientConnection): Identity | null {
    return this.connections.get(conn)?.credential?.identity ?? null;
  }

  private identityOf(conn: ClientConnection): IdentityState | undefined {
    const credential = this.connections.get(conn)?.credential;
    return credential === null || credential === undefined ? undefined : this.identities.get(credential.identity.name);
  }

  private setCredential(conn: ClientConnection, state: ConnectionState, credential: Credential): void {
    if (state.credential !== null) this.leaveIdentity(conn, state.credential.identity);
    state.credential = credential;
    const name = credential.identity.name;
    let identity = this.identities.get(name);
    if (identity === undefined) {
      identity = { bucket: this.bucket(this.opts.limits.requestsPerSecondPerIdentity), connections: new Set() };
      this.identities.set(name, identity);
    }
    identity.connections.add(conn);
  }

  private leaveIdentity(conn: ClientConnection, identity: Identity): void {
    const state = this.identities.get(identity.name);
    if (state === undefined) return;
    // the state (and its bucket) stays when the last connection goes, so that reconnecting does
    // not refill an identity's budget; names come only from the token file, which is bounded
    state.connections.delete(conn);
  }

  private bucket(ratePerSecond: number): TokenBucket | null {
    if (ratePerSecond <= 0) return null;
    return new TokenBucket(ratePerSecond, ratePerSecond * BURST_SECONDS, this.opts.clock.monotonicMs());
  }

  /** Token expiry is a date in the token file, so it is compared with the wall clock. */
  private wallMs(): number {
    return this.opts.clock.wallMs();
  }
}
