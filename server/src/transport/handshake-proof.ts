/**
 * HMAC-SHA256 proofs of the peer handshake (schemas in @baton/proto-schemas peer.ts).
 *
 *   acceptor  → connector   challenge { nonce: Na }
 *   connector → acceptor    hello     { clusterId, fromNodeName, toNodeName, nonce: Nc, proof: H("hello", …, Na, Nc) }
 *   acceptor  → connector   welcome   { clusterId, nodeName, proof: H("welcome", …, Na, Nc) }
 *
 * The connector's proof covers Na, fresh per connection, so a recorded hello cannot be replayed;
 * the acceptor's covers Nc, so a recorded welcome cannot either; the two proofs have different
 * labels, so one cannot be reflected as the other. Both bind the cluster id and both names, so a
 * proof made for one link is worthless on another. The fields are JSON-encoded as an array: the
 * encoding is unambiguous, so no two different field lists share a MAC input.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { PEER_NONCE_BYTES } from '@baton/proto-schemas';

const HELLO_LABEL = 'baton-peer-hello/1';
const WELCOME_LABEL = 'baton-peer-welcome/1';

export function newNonce(): string {
  return randomBytes(PEER_NONCE_BYTES).toString('hex');
}

export interface ProofFields {
  readonly clusterId: string;
  /** The node that dialed. */
  readonly connectorName: string;
  /** The node that accepted. */
  readonly acceptorName: string;
  readonly challengeNonce: string;
  readonly helloNonce: string;
}

function mac(secret: Uint8Array, label: string, f: ProofFields): string {
  const input = JSON.stringify([label, f.clusterId, f.connectorName, f.acceptorName, f.challengeNonce, f.helloNonce]);
  return createHmac('sha256', secret).update(input).digest('hex');
}

export function helloProof(secret: Uint8Array, fields: ProofFields): string {
  return mac(secret, HELLO_LABEL, fields);
}

export function welcomeProof(secret: Uint8Array, fields: ProofFields): string {
  return mac(secret, WELCOME_LABEL, fields);
}

/** Constant-time comparison (the schema already guarantees both are hex of the same length). */
export function proofMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected, 'utf8'), Buffer.from(given, 'utf8'));
}
