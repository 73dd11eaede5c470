import { describe, expect, it } from 'vitest';
import { helloProof, newNonce, type ProofFields, proofMatches, welcomeProof } from './handshake-proof.js';

const secret = new TextEncoder().encode('0123456789abcdef0123456789abcdef');
const fields: ProofFields = {
  clusterId: 'c1',
  connectorName: 'n1',
  acceptorName: 'n2',
  challengeNonce: 'aa'.repeat(16),
  helloNonce: 'bb'.repeat(16),
};

describe('handshake proofs', () => {
  it('bind every field, the secret and the direction', () => {
    const proof = helloProof(secret, fields);
    expect(proof).toMatch(/^[0-9a-f]{64}$/);
    expect(proofMatches(proof, helloProof(secret, { ...fields }))).toBe(true);
    for (const key of Object.keys(fields) as (keyof ProofFields)[]) {
      expect(proofMatches(proof, helloProof(secret, { ...fields, [key]: `${fields[key]}x` })), key).toBe(false);
    }
    expect(proofMatches(proof, helloProof(new TextEncoder().encode('another secret, 32 bytes long..'), fields))).toBe(
      false,
    );
    expect(proofMatches(proof, welcomeProof(secret, fields))).toBe(false);
    // no field boundary ambiguity: moving a character from one name to the next changes the proof
    expect(proofMatches(proof, helloProof(secret, { ...fields, connectorName: 'n', acceptorName: '1n2' }))).toBe(false);
  });

  it('refuses a missing or differently sized proof', () => {
    const proof = helloProof(secret, fields);
    expect(proofMatches(proof, undefined)).toBe(false);
    expect(proofMatches(proof, proof.slice(1))).toBe(false);
  });

  it('draws fresh nonces', () => {
    const nonces = new Set(Array.from({ length: 100 }, newNonce));
    expect(nonces.size).toBe(100);
    for (const nonce of nonces) expect(nonce).toMatch(/^[0-9a-f]{32}$/);
  });
});
