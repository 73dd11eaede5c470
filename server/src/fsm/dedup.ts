/**
 * Exactly-once for client commands (Raft thesis §6.3): per client, the results of its most recent
 * `window` sequence numbers. A retried seq gets its stored result and changes nothing; a seq
 * older than the window can no longer be answered truthfully and is refused. At most
 * `maxClients` clients are remembered; the one whose command applied least recently is evicted
 * (its retries would then apply again: clients retry within seconds, eviction takes 100k others).
 */
import { LIMITS } from '@baton/proto-schemas';
import type { DedupClient } from './state.js';
import type { CommandResult } from './types.js';

export type DedupVerdict =
  | { readonly kind: 'new' }
  | { readonly kind: 'duplicate'; readonly result: CommandResult }
  | { readonly kind: 'stale'; readonly highestSeq: number };

export class DedupTable {
  /** Least recently applied first: the eviction order (kept in snapshots). */
  readonly clients = new Map<string, DedupClient>();

  constructor(
    readonly window: number = LIMITS.maxInflightRequestsPerConnection,
    readonly maxClients: number = LIMITS.maxDedupClients,
  ) {}

  check(clientId: string, seq: number): DedupVerdict {
    const c = this.clients.get(clientId);
    if (c === undefined) return { kind: 'new' };
    const stored = c.results.get(seq);
    if (stored !== undefined) return { kind: 'duplicate', result: stored };
    if (seq <= c.highestSeq - this.window) return { kind: 'stale', highestSeq: c.highestSeq };
    // inside the window but never applied (requests may be proposed out of order): new
    return { kind: 'new' };
  }

  record(clientId: string, seq: number, result: CommandResult): void {
    let c = this.clients.get(clientId);
    if (c === undefined) {
      if (this.clients.size >= this.maxClients) {
        const oldest = this.clients.keys().next();
        if (!oldest.done) this.clients.delete(oldest.value);
      }
      c = { highestSeq: seq, results: new Map() };
    } else {
      // most recently applied goes last
      this.clients.delete(clientId);
    }
    this.clients.set(clientId, c);
    c.results.set(seq, result);
    if (seq > c.highestSeq) c.highestSeq = seq;
    const floor = c.highestSeq - this.window;
    for (const s of c.results.keys()) if (s <= floor) c.results.delete(s);
  }
}
