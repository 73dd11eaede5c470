/**
 * Every lock, semaphore and election by name, one namespace for all three (so describe and
 * fenceCheck need only a name). An idle name (no holders, waiters or lock-delay) is kept for its
 * generation and newest token, and may be reused as either kind; idle names count against
 * LIMITS.maxNames, and when a new name needs room the one idle the longest is evicted.
 */
import { LIMITS } from '@baton/proto-schemas';
import { isIdle, type NameState, noItems } from './state.js';
import type { NameKind } from './types.js';

export class NameTable {
  /** Creation order (kept in snapshots: it orders pendingLockDelays and the snapshot itself). */
  readonly byName = new Map<string, NameState>();
  /** Idle names, the one idle the longest first: the eviction order. */
  readonly idle = new Map<string, NameState>();

  constructor(private readonly maxNames: number = LIMITS.maxNames) {}

  get size(): number {
    return this.byName.size;
  }

  get(name: string): NameState | undefined {
    return this.byName.get(name);
  }

  /** Whether `create` would succeed now (there is room, or an idle name to evict). */
  canCreate(): boolean {
    return this.byName.size < this.maxNames || this.idle.size > 0;
  }

  /** Adds a new name, evicting the longest-idle one if full. The caller checked canCreate(). */
  create(name: string, kind: NameKind, limit: number): NameState {
    if (this.byName.size >= this.maxNames) {
      const oldest = this.idle.keys().next();
      if (oldest.done) throw new Error('NameTable.create without room: call canCreate() first');
      this.idle.delete(oldest.value);
      this.byName.delete(oldest.value);
    }
    const n: NameState = {
      name,
      kind,
      limit,
      generation: 0,
      newestToken: 0,
      holders: noItems(),
      waiters: noItems(),
      reservations: noItems(),
    };
    this.byName.set(name, n);
    return n;
  }

  /** Call after every change to a name: keeps the idle set (and its order) right. */
  refresh(n: NameState): void {
    if (isIdle(n)) {
      // a name that just became idle goes to the end; one that stayed idle keeps its place
      if (!this.idle.has(n.name)) this.idle.set(n.name, n);
    } else {
      this.idle.delete(n.name);
    }
  }
}
