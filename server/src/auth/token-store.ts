/**
 * The tokens a node accepts, replaceable at run time (SIGHUP reloads the file). A presented token
 * is hashed (SHA-256) and its digest compared with every known digest by timingSafeEqual, without
 * stopping at a match: the time taken says nothing about which token, or how much of one, was
 * right. Connections keep the digest, never the token, and are re-checked against the current
 * table after a reload (a removed token stops working at once) and against the expiry on every
 * request.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Identity } from './permissions.js';
import { type TokenEntry, type TokenTable, tokenDigest } from './token-file.js';

export type AuthOutcome =
  | { readonly ok: true; readonly credential: Credential }
  | { readonly ok: false; readonly message: string };

/** What a connection keeps after a successful hello. */
export interface Credential {
  readonly digest: Buffer;
  readonly identity: Identity;
  readonly expiresAtMs: number | null;
  /** The table generation this was checked against. */
  readonly generation: number;
}

export class TokenStore {
  private table: TokenTable;
  private generationCounter = 0;

  constructor(table: TokenTable) {
    this.table = table;
  }

  get generation(): number {
    return this.generationCounter;
  }

  get size(): number {
    return this.table.entries.length;
  }

  /** Replaces every token; connections are re-checked on their next request. */
  replace(table: TokenTable): void {
    this.table = table;
    this.generationCounter += 1;
  }

  /** Checks a token presented in a hello. `nowMs` is wall-clock time (expiresAt is a date). */
  authenticate(token: string | undefined, nowMs: number): AuthOutcome {
    if (token === undefined) return { ok: false, message: 'this cluster requires a token: pass one in hello' };
    return this.check(tokenDigest(token), nowMs);
  }

  /**
   * Re-checks a credential before a request: expired, or (after a reload) gone → not ok;
   * otherwise the current credential (permissions may have changed in the reload).
   */
  recheck(credential: Credential, nowMs: number): AuthOutcome {
    if (credential.generation === this.generationCounter) {
      if (isExpired(credential.expiresAtMs, nowMs)) return { ok: false, message: 'the token expired' };
      return { ok: true, credential };
    }
    return this.check(credential.digest, nowMs);
  }

  private check(digest: Buffer, nowMs: number): AuthOutcome {
    let found: TokenEntry | null = null;
    for (const entry of this.table.entries) {
      // every digest is compared, match or not, so the time taken is the same for all tokens
      if (timingSafeEqual(entry.digest, digest) && found === null) found = entry;
    }
    if (found === null) return { ok: false, message: 'unknown token' };
    if (isExpired(found.expiresAtMs, nowMs)) return { ok: false, message: 'the token expired' };
    return {
      ok: true,
      credential: {
        digest,
        identity: found.identity,
        expiresAtMs: found.expiresAtMs,
        generation: this.generationCounter,
      },
    };
  }
}

function isExpired(expiresAtMs: number | null, nowMs: number): boolean {
  return expiresAtMs !== null && nowMs >= expiresAtMs;
}
