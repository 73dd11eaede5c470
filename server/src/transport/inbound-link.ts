/**
 * A link a peer dialed to this node: the accepting side of the handshake, then a stream of Raft
 * frames this node only receives on. The link speaks first (the challenge), so that a peer secret
 * proof in the hello covers a nonce the caller could not predict (handshake-proof.ts).
 *
 * With a peer secret the proof is checked before anything else, so a caller without the secret
 * learns only "unauthenticated", not which cluster ids or names exist.
 */
import {
  decodePeerHello,
  MAX_PEER_HANDSHAKE_BYTES,
  PEER_CLOSE_CODES,
  PEER_PROTOCOL_VERSION,
  type PeerChallenge,
  PeerFrameError,
  type PeerHello,
  type PeerWelcome,
} from '@baton/proto-schemas';
import type { WebSocket } from 'ws';
import { helloProof, newNonce, proofMatches, welcomeProof } from './handshake-proof.js';
import type { ResolvedWsTransportOptions } from './options.js';
import type { PeerEntry } from './peer-directory.js';
import type { HandshakeRefusal } from './types.js';
import { closeGracefully, payloadBytes } from './ws-util.js';

export interface InboundLinkEvents {
  /** The peer's name this link claims, looked up in the current peer set. */
  lookup(name: string): PeerEntry | undefined;
  refused(link: InboundLink, reason: HandshakeRefusal): void;
  authenticated(link: InboundLink): void;
  /** A binary frame from the authenticated peer. */
  frame(link: InboundLink, data: Buffer): void;
  /** The peer sent a frame over the size limit (ws closes the link with 1009). */
  oversize(link: InboundLink): void;
  closed(link: InboundLink): void;
}

export class InboundLink {
  /** Set once the handshake succeeded: the only peer this link's messages may come from. */
  peer: PeerEntry | null = null;
  private readonly challengeNonce = newNonce();
  private handshakeTimer: NodeJS.Timeout | null;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly ws: WebSocket,
    readonly remoteAddress: string,
    private readonly options: ResolvedWsTransportOptions,
    private readonly events: InboundLinkEvents,
  ) {
    ws.binaryType = 'nodebuffer';
    this.handshakeTimer = setTimeout(
      () => this.refuse('handshakeTimeout', 'handshake timed out'),
      options.handshakeTimeoutMs,
    );
    ws.on('message', (data, isBinary) => this.onMessage(payloadBytes(data), isBinary));
    ws.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        this.options.logger.warn(
          { peer: this.describe(), limitBytes: options.maxFrameBytes },
          'peer frame over the size limit',
        );
        this.events.oversize(this);
      } else {
        this.options.logger.debug({ peer: this.describe(), err: error.message }, 'peer link error');
      }
    });
    ws.on('close', () => {
      this.clearHandshakeTimer();
      this.events.closed(this);
    });
    const challenge: PeerChallenge = {
      type: 'peerChallenge',
      protocol: PEER_PROTOCOL_VERSION,
      nonce: this.challengeNonce,
    };
    ws.send(JSON.stringify(challenge));
  }

  /** Closes the link (idempotent); resolves once the socket has closed. */
  close(code: number, reason: string): Promise<void> {
    this.clearHandshakeTimer();
    this.closing ??= closeGracefully(this.ws, code, reason);
    return this.closing;
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closing !== null) return;
    if (this.peer !== null) {
      if (isBinary) this.events.frame(this, data);
      else void this.close(PEER_CLOSE_CODES.badFrame, 'text frame after the handshake');
      return;
    }
    if (isBinary || data.byteLength > MAX_PEER_HANDSHAKE_BYTES) {
      this.refuse('badHandshake', 'expected a hello');
      return;
    }
    let hello: PeerHello;
    try {
      hello = decodePeerHello(data.toString('utf8'));
    } catch (error) {
      if (!(error instanceof PeerFrameError)) throw error;
      if (error.code === 'UNSUPPORTED_VERSION') this.refuse('unsupportedProtocol', error.message);
      else this.refuse('badHandshake', error.message);
      return;
    }
    const peer = this.check(hello);
    if (peer === null) return;
    const welcome: PeerWelcome = {
      type: 'peerWelcome',
      protocol: PEER_PROTOCOL_VERSION,
      clusterId: this.options.clusterId,
      nodeName: this.options.selfName,
    };
    if (this.options.peerSecret !== null)
      welcome.proof = welcomeProof(this.options.peerSecret, this.proofFields(hello));
    this.ws.send(JSON.stringify(welcome));
    this.clearHandshakeTimer();
    this.peer = peer;
    this.options.logger.info({ peer: peer.name, remote: this.remoteAddress }, 'peer link accepted');
    this.events.authenticated(this);
  }

  /** The peer this hello authenticates, or null after refusing it. */
  private check(hello: PeerHello): PeerEntry | null {
    const { peerSecret, clusterId, selfName } = this.options;
    if (peerSecret !== null && !proofMatches(helloProof(peerSecret, this.proofFields(hello)), hello.proof)) {
      this.refuse('unauthenticated', 'missing or wrong peer secret proof', hello);
      return null;
    }
    if (hello.clusterId !== clusterId) {
      this.refuse('wrongCluster', 'wrong cluster id', hello);
      return null;
    }
    if (hello.toNodeName !== selfName) {
      this.refuse('wrongTarget', `this node is ${selfName}`, hello);
      return null;
    }
    const peer = this.events.lookup(hello.fromNodeName);
    if (peer === undefined) {
      this.refuse('unknownPeer', 'not a configured peer', hello);
      return null;
    }
    return peer;
  }

  private proofFields(hello: PeerHello) {
    return {
      clusterId: hello.clusterId,
      connectorName: hello.fromNodeName,
      acceptorName: hello.toNodeName,
      challengeNonce: this.challengeNonce,
      helloNonce: hello.nonce,
    };
  }

  private refuse(reason: HandshakeRefusal, text: string, hello?: PeerHello): void {
    if (this.closing !== null) return;
    this.options.logger.warn(
      {
        remote: this.remoteAddress,
        reason,
        clusterId: hello?.clusterId,
        fromNodeName: hello?.fromNodeName,
        toNodeName: hello?.toNodeName,
      },
      `peer handshake refused: ${text}`,
    );
    this.events.refused(this, reason);
    void this.close(PEER_CLOSE_CODES[reason], text);
  }

  private describe(): string {
    return this.peer?.name ?? this.remoteAddress;
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer !== null) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
  }
}
