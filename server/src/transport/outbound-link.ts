/**
 * The link this node dials to one peer, and the only one it sends Raft frames on (frames from the
 * peer arrive on the peer's own outbound link, which is an inbound link here). Keeping the two
 * directions on separate connections means no tie-breaking when two nodes dial each other at once.
 *
 * Life of a link: connect → receive the challenge → send the hello → receive the welcome (check
 * its name, cluster and proof) → open. Any failure closes the socket and schedules a redial after
 * an exponential, jittered delay (backoff.ts); the delay resets once a handshake succeeds, and a
 * redial waiting out its delay goes at once when the peer dials this node (it is up again).
 */
import {
  decodePeerChallenge,
  decodePeerWelcome,
  MAX_PEER_HANDSHAKE_BYTES,
  PEER_CLOSE_CODES,
  PEER_PROTOCOL_VERSION,
  PeerFrameError,
  type PeerHello,
} from '@baton/proto-schemas';
import { WebSocket } from 'ws';
import { reconnectDelayMs } from './backoff.js';
import { helloProof, newNonce, proofMatches, welcomeProof } from './handshake-proof.js';
import type { ResolvedWsTransportOptions } from './options.js';
import type { PeerEntry } from './peer-directory.js';
import type { PeerCounters } from './stats.js';
import { closeGracefully, payloadBytes } from './ws-util.js';

export interface OutboundLinkEvents {
  /** The handshake finished: frames may be sent. */
  opened(): void;
  /** The link is down (an attempt failed, or an open link was lost). */
  down(): void;
  /** A frame's bytes left the socket buffer: more may be written. */
  drained(): void;
}

/** One WebSocket connection attempt and what is written to it. */
interface Connection {
  readonly ws: WebSocket;
  open: boolean;
  /** Bytes handed to the socket and not yet flushed. Per connection, so late callbacks of a dead one cannot skew a new one. */
  inflightBytes: number;
  /** Set when this side closes the connection itself, to log the real cause rather than the echo. */
  failure: string | null;
}

/** Close codes with which a peer refuses our handshake: a configuration problem worth an error log. */
const REFUSAL_CODES: ReadonlySet<number> = new Set([
  PEER_CLOSE_CODES.unsupportedProtocol,
  PEER_CLOSE_CODES.badHandshake,
  PEER_CLOSE_CODES.wrongCluster,
  PEER_CLOSE_CODES.wrongTarget,
  PEER_CLOSE_CODES.unknownPeer,
  PEER_CLOSE_CODES.unauthenticated,
  PEER_CLOSE_CODES.frameTooLarge,
]);

export class OutboundLink {
  private connection: Connection | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private handshakeTimer: NodeJS.Timeout | null = null;
  /** Consecutive failed attempts since the last successful handshake. */
  private failures = 0;
  /** A failure after a success (or the first one) is logged loudly; the retries after it quietly. */
  private loggedDown = false;
  private closed = false;
  /** Connections dropped by a redial, still closing: close() waits for them too. */
  private readonly closing = new Set<Promise<void>>();

  constructor(
    private peer: PeerEntry,
    private readonly options: ResolvedWsTransportOptions,
    private readonly counters: PeerCounters,
    private readonly events: OutboundLinkEvents,
  ) {}

  get isOpen(): boolean {
    return this.connection?.open === true;
  }

  /** Open, and the socket has room for another frame. */
  get writable(): boolean {
    const c = this.connection;
    return c?.open === true && c.inflightBytes < this.options.maxInflightBytes;
  }

  start(): void {
    this.connect();
  }

  /** The peer moved to another URL: drop the current connection and dial the new one now. */
  redial(peer: PeerEntry): void {
    this.peer = peer;
    this.failures = 0;
    this.dropConnection('peer moved');
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (!this.closed) this.connect();
  }

  /**
   * The peer just dialed this node and proved who it is, so it is up: a redial that is waiting out
   * its backoff goes now. Without this a restarted or healed peer stayed unlinked for up to
   * reconnectMaxMs, and the cluster took that long to agree on a leader again (found by the chaos
   * suite). An attempt already in flight is left alone.
   */
  peerReachedUs(): void {
    if (this.closed || this.connection !== null || this.retryTimer === null) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.failures = 0;
    this.connect();
  }

  /**
   * Writes one encoded frame. `done` is called once the bytes left the socket buffer (`error`
   * undefined) or could not be written.
   */
  send(frame: Uint8Array, done: (error?: Error) => void): void {
    const c = this.connection;
    if (c === null || !c.open || c.ws.readyState !== WebSocket.OPEN) {
      queueMicrotask(() => done(new Error('peer link is not open')));
      return;
    }
    const bytes = frame.byteLength;
    c.inflightBytes += bytes;
    c.ws.send(frame, { binary: true }, (error) => {
      c.inflightBytes -= bytes;
      done(error ?? undefined);
      this.events.drained();
    });
  }

  async close(code: number, reason: string): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.clearHandshakeTimer();
    const c = this.connection;
    if (c !== null) this.track(closeGracefully(c.ws, code, reason));
    await Promise.all(this.closing);
  }

  private track(closing: Promise<void>): void {
    this.closing.add(closing);
    void closing.then(() => this.closing.delete(closing));
  }

  private connect(): void {
    this.retryTimer = null;
    const tls = this.options.tls;
    const ws = new WebSocket(this.peer.endpoint, {
      perMessageDeflate: false,
      // this side only ever receives the challenge and the welcome
      maxPayload: MAX_PEER_HANDSHAKE_BYTES,
      handshakeTimeout: this.options.handshakeTimeoutMs,
      ...(tls === null ? {} : { cert: tls.cert, key: tls.key, ca: tls.ca, rejectUnauthorized: true }),
    });
    const c: Connection = { ws, open: false, inflightBytes: 0, failure: null };
    this.connection = c;
    let challengeNonce: string | null = null;
    let helloNonce = '';

    this.handshakeTimer = setTimeout(
      () => this.fail(c, PEER_CLOSE_CODES.handshakeTimeout, 'handshake timed out'),
      this.options.handshakeTimeoutMs,
    );

    ws.on('message', (data, isBinary) => {
      // nothing that arrives after this side gave up on the attempt (a late welcome) may open it
      if (this.connection !== c || c.failure !== null) return;
      if (c.open || isBinary) {
        this.fail(c, PEER_CLOSE_CODES.badHandshake, 'unexpected frame from the accepting side');
        return;
      }
      const text = payloadBytes(data).toString('utf8');
      try {
        if (challengeNonce === null) {
          challengeNonce = decodePeerChallenge(text).nonce;
          helloNonce = newNonce();
          ws.send(JSON.stringify(this.hello(challengeNonce, helloNonce)));
          return;
        }
        const welcome = decodePeerWelcome(text);
        const problem = this.checkWelcome(
          welcome.clusterId,
          welcome.nodeName,
          welcome.proof,
          challengeNonce,
          helloNonce,
        );
        if (problem !== null) {
          this.fail(c, problem.code, problem.reason);
          return;
        }
      } catch (error) {
        if (!(error instanceof PeerFrameError)) throw error;
        const code =
          error.code === 'UNSUPPORTED_VERSION' ? PEER_CLOSE_CODES.unsupportedProtocol : PEER_CLOSE_CODES.badHandshake;
        this.fail(c, code, `bad handshake frame: ${error.message}`);
        return;
      }
      this.clearHandshakeTimer();
      c.open = true;
      this.failures = 0;
      this.loggedDown = false;
      this.counters.connects++;
      this.options.logger.info({ peer: this.peer.name, url: this.peer.endpoint }, 'peer link open');
      this.events.opened();
    });

    ws.on('error', (error) => {
      // 'close' follows; keep the first cause for its log line
      if (c.failure === null) c.failure = error.message;
    });

    ws.on('close', (code, reason) => {
      if (this.connection !== c) return;
      this.connection = null;
      this.clearHandshakeTimer();
      this.onDown(c, code, reason.toString('utf8'));
    });
  }

  private hello(challengeNonce: string, helloNonce: string): PeerHello {
    const { clusterId, selfName, peerSecret } = this.options;
    const hello: PeerHello = {
      type: 'peerHello',
      protocol: PEER_PROTOCOL_VERSION,
      clusterId,
      fromNodeName: selfName,
      toNodeName: this.peer.name,
      nonce: helloNonce,
    };
    if (peerSecret !== null) {
      hello.proof = helloProof(peerSecret, {
        clusterId,
        connectorName: selfName,
        acceptorName: this.peer.name,
        challengeNonce,
        helloNonce,
      });
    }
    return hello;
  }

  /** The accepting side must be the node we meant, in our cluster, and (with a secret) prove it. */
  private checkWelcome(
    clusterId: string,
    nodeName: string,
    proof: string | undefined,
    challengeNonce: string,
    helloNonce: string,
  ): { code: number; reason: string } | null {
    const { peerSecret, selfName } = this.options;
    if (peerSecret !== null) {
      const expected = welcomeProof(peerSecret, {
        clusterId: this.options.clusterId,
        connectorName: selfName,
        acceptorName: this.peer.name,
        challengeNonce,
        helloNonce,
      });
      if (!proofMatches(expected, proof)) {
        return { code: PEER_CLOSE_CODES.unauthenticated, reason: 'the accepting side did not prove the peer secret' };
      }
    }
    if (clusterId !== this.options.clusterId) {
      return { code: PEER_CLOSE_CODES.wrongCluster, reason: `the accepting side is in cluster ${clusterId}` };
    }
    if (nodeName !== this.peer.name) {
      return { code: PEER_CLOSE_CODES.wrongTarget, reason: `the accepting side is ${nodeName}, not ${this.peer.name}` };
    }
    return null;
  }

  /** Closes an attempt this side found wrong; the 'close' event then schedules the redial. */
  private fail(c: Connection, code: number, reason: string): void {
    if (c.failure === null) c.failure = reason;
    c.open = false;
    this.track(closeGracefully(c.ws, code, reason));
  }

  private onDown(c: Connection, code: number, reason: string): void {
    const wasOpen = c.open;
    c.open = false;
    if (this.closed) return;
    if (!wasOpen) this.counters.connectFailures++;
    if (wasOpen) this.failures = 0;
    else this.failures++;
    const delayMs = reconnectDelayMs(
      wasOpen ? 0 : this.failures - 1,
      this.options.reconnectMinMs,
      this.options.reconnectMaxMs,
      this.options.random,
    );
    const details = {
      peer: this.peer.name,
      url: this.peer.endpoint,
      code,
      reason,
      cause: c.failure,
      retryInMs: delayMs,
    };
    if (REFUSAL_CODES.has(code) && c.failure === null) {
      this.options.logger.error(
        details,
        'peer refused this node: check cluster id, names, peer secret and frame limits',
      );
    } else if (wasOpen || !this.loggedDown) {
      this.options.logger.warn(details, wasOpen ? 'peer link lost' : 'peer unreachable');
    } else {
      this.options.logger.debug(details, 'peer still unreachable');
    }
    this.loggedDown = true;
    this.retryTimer = setTimeout(() => this.connect(), delayMs);
    this.events.down();
  }

  private dropConnection(reason: string): void {
    const c = this.connection;
    if (c === null) return;
    this.connection = null;
    this.clearHandshakeTimer();
    c.open = false;
    this.track(closeGracefully(c.ws, PEER_CLOSE_CODES.shuttingDown, reason));
    this.events.down();
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer !== null) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
  }
}
