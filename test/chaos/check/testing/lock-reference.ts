/**
 * Test support: a plain, sequential re-implementation of what Baton's state machine does for
 * locks, semaphores, elections and sessions (server/src/fsm: tokens are global log indexes,
 * one hold per session per name, NOT_HOLDER for a token that is not current), plus the fenced
 * store. Written independently of the lock model so the property tests compare two readings
 * of the same rules.
 */
import type { LockInput, LockOutput } from '../models/lock-types.js';

interface NameRecord {
  limit: number;
  holders: Map<string, { token: number; value: string | null }>;
  newest: number | null;
  storeToken: number;
  storeValue: string | null;
}

export class LockReference {
  private index = 0;
  private readonly names = new Map<string, NameRecord>();
  private readonly deadSessions = new Set<string>();

  /** Log entries that are not grants (other clients' traffic) move the index along. */
  skipEntries(count: number): void {
    this.index += count;
  }

  /** The session's current token on a name, if it holds it. */
  tokenOf(name: string, session: string): number | undefined {
    return this.names.get(name)?.holders.get(session)?.token;
  }

  isFull(name: string): boolean {
    const n = this.names.get(name);
    return n !== undefined && n.holders.size > 0 && n.holders.size >= n.limit;
  }

  /** Runs one operation; `wait` acquires on a full name answer TIMEOUT (nobody releases meanwhile). */
  apply(input: LockInput): LockOutput {
    this.index++;
    const name = input.name ?? '';
    const n = this.record(name);
    if ('session' in input && this.deadSessions.has(input.session)) return { kind: 'error', code: 'SESSION_EXPIRED' };
    switch (input.f) {
      case 'acquire':
      case 'campaign': {
        const limit = input.f === 'acquire' ? input.limit : 1;
        const held = n.holders.get(input.session);
        if (held !== undefined) return { kind: 'granted', token: held.token };
        if (n.holders.size > 0 && n.limit !== limit) return { kind: 'error', code: 'INVALID_ARGUMENT' };
        if (n.holders.size > 0 && n.holders.size >= n.limit) {
          return input.f === 'acquire' && !input.wait ? { kind: 'notAcquired' } : { kind: 'error', code: 'TIMEOUT' };
        }
        n.limit = limit;
        n.holders.set(input.session, { token: this.index, value: input.f === 'campaign' ? input.value : null });
        n.newest = this.index;
        return { kind: 'granted', token: this.index };
      }
      case 'release':
      case 'resign': {
        const token = input.f === 'release' ? input.token : input.term;
        if (n.holders.get(input.session)?.token !== token) return { kind: 'error', code: 'NOT_HOLDER' };
        n.holders.delete(input.session);
        return { kind: 'done' };
      }
      case 'proclaim': {
        const held = n.holders.get(input.session);
        if (held?.token !== input.term) return { kind: 'error', code: 'NOT_HOLDER' };
        held.value = input.value;
        return { kind: 'done' };
      }
      case 'fenceCheck':
        return {
          kind: 'fence',
          current: [...n.holders.values()].some((h) => h.token === input.token),
          newestToken: n.newest,
        };
      case 'describe':
        return { kind: 'holders', holders: [...n.holders].map(([session, h]) => ({ session, token: h.token })) };
      case 'leader': {
        const first = [...n.holders][0];
        return {
          kind: 'leader',
          leader: first === undefined ? null : { session: first[0], value: first[1].value ?? '', term: first[1].token },
        };
      }
      case 'expire':
      case 'close':
        this.deadSessions.add(input.session);
        for (const record of this.names.values()) record.holders.delete(input.session);
        return { kind: 'done' };
      case 'write': {
        const accepted = input.token >= n.storeToken;
        if (accepted) {
          n.storeToken = input.token;
          n.storeValue = input.value;
        }
        return { kind: 'write', accepted };
      }
      case 'read':
        return { kind: 'read', value: n.storeValue };
    }
  }

  private record(name: string): NameRecord {
    let n = this.names.get(name);
    if (n === undefined) {
      n = { limit: 0, holders: new Map(), newest: null, storeToken: 0, storeValue: null };
      this.names.set(name, n);
    }
    return n;
  }
}
