/**
 * For the core's multi-node unit tests: runs RawNodes in lockstep over an in-memory network.
 */
import { bootstrapLog } from './confchange.js';
import type { RawNode } from './rawnode.js';
import { MemoryStorage } from './storage.js';
import type { Message } from './types.js';

export interface SettleNode {
  readonly raw: RawNode;
  readonly storage: MemoryStorage;
}

/**
 * Handles every Ready (persisting to the node's MemoryStorage) and delivers the messages among
 * the nodes not in `down`, until nothing is left to deliver. Returns every message delivered.
 * Bounded: throws if 200 rounds do not settle.
 */
export function settle(nodes: ReadonlyMap<number, SettleNode>, down: ReadonlySet<number> = new Set()): Message[] {
  const delivered: Message[] = [];
  for (let round = 0; round < 200; round++) {
    const inFlight: Message[] = [];
    for (const [id, { raw, storage }] of nodes) {
      if (down.has(id)) continue;
      while (raw.hasReady()) {
        const rd = raw.ready();
        if (rd.snapshot) storage.applySnapshot(rd.snapshot);
        storage.append(rd.entries);
        if (rd.hardState) storage.setHardState(rd.hardState);
        inFlight.push(...rd.messages, ...rd.messagesAfterPersist);
        raw.advance();
      }
    }
    const deliverable = inFlight.filter((m) => m.to !== m.from && nodes.has(m.to) && !down.has(m.to));
    if (deliverable.length === 0) return delivered;
    delivered.push(...deliverable);
    for (const m of deliverable) nodes.get(m.to)?.raw.step(m);
  }
  throw new Error('did not settle');
}

/** A MemoryStorage holding a new cluster's bootstrap log and hard state for `voters`. */
export function bootstrappedStorage(voters: readonly number[]): MemoryStorage {
  const storage = new MemoryStorage();
  const boot = bootstrapLog([...voters]);
  storage.append(boot.entries);
  storage.setHardState(boot.hardState);
  return storage;
}
