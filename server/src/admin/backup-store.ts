/**
 * Backups taken by `admin.snapshot.save`, held in memory until the client has read them in
 * chunks (`admin.snapshot.chunk`). A snapshot outgrows a client frame, so it cannot travel in the
 * answer; chunks over the same authenticated connection keep the admin permission in charge
 * (an HTTP download would need its own authentication). Bounded in count; an abandoned one is
 * dropped after ADMIN_LIMITS.snapshotHoldMs without a read.
 */
import { randomBytes } from 'node:crypto';
import { LIMITS } from '@baton/proto-schemas';
import { ApiError } from '../api/errors.js';
import { ADMIN_LIMITS } from './limits.js';

interface Held {
  readonly bytes: Uint8Array;
  timer: ReturnType<typeof setTimeout>;
}

export class BackupStore {
  private readonly held = new Map<string, Held>();

  constructor(private readonly holdMs: number = ADMIN_LIMITS.snapshotHoldMs) {}

  get size(): number {
    return this.held.size;
  }

  /** Keeps `bytes` for chunked reads; throws RESOURCE_EXHAUSTED when too many are held already. */
  hold(bytes: Uint8Array): string {
    if (this.held.size >= ADMIN_LIMITS.maxHeldSnapshots) {
      throw new ApiError(
        'RESOURCE_EXHAUSTED',
        `${ADMIN_LIMITS.maxHeldSnapshots} backups are being read from this node already; retry when one finished`,
      );
    }
    const id = randomBytes(12).toString('base64url');
    this.held.set(id, { bytes, timer: this.expiry(id) });
    return id;
  }

  /** The chunk at `offset`; the last chunk releases the backup. */
  chunk(id: string, offset: number): { offset: number; data: string; done: boolean } {
    const h = this.held.get(id);
    if (h === undefined) {
      throw new ApiError(
        'NOT_FOUND',
        'no such backup here: it expired, was read to the end, or was taken on another node',
      );
    }
    if (offset > h.bytes.byteLength) {
      throw new ApiError('INVALID_ARGUMENT', `offset: beyond the backup's ${h.bytes.byteLength} bytes`, {
        field: 'offset',
      });
    }
    const end = Math.min(h.bytes.byteLength, offset + LIMITS.snapshotChunkBytes);
    const done = end === h.bytes.byteLength;
    clearTimeout(h.timer);
    if (done) this.held.delete(id);
    else h.timer = this.expiry(id);
    return { offset, data: Buffer.from(h.bytes.subarray(offset, end)).toString('base64'), done };
  }

  close(): void {
    for (const h of this.held.values()) clearTimeout(h.timer);
    this.held.clear();
  }

  private expiry(id: string): ReturnType<typeof setTimeout> {
    const t = setTimeout(() => this.held.delete(id), this.holdMs);
    t.unref?.();
    return t;
  }
}
