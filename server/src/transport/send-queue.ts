/**
 * One peer's outbound queue: a ring buffer bounded by messages and by encoded bytes. When full,
 * the oldest messages make room: every Raft message tolerates loss, and for a peer that is slow or
 * away the newest ones (current term, latest commit) are the ones worth delivering.
 */
import { MAX_PEER_BATCH_MESSAGES, PEER_BATCH_HEADER_MAX_BYTES } from '@baton/proto-schemas';
import type { PeerBoundMessage } from './peer-message.js';

export interface QueuedMessage {
  readonly message: PeerBoundMessage;
  /** Its encoded size inside a frame (peerMessageEncodedBytes). */
  readonly bytes: number;
}

export class SendQueue {
  private readonly ring: (QueuedMessage | undefined)[];
  private head = 0;
  private count = 0;
  private totalBytes = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {
    this.ring = new Array(maxMessages);
  }

  get length(): number {
    return this.count;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Appends `item`; returns the oldest messages dropped to make room for it (usually none). */
  push(item: QueuedMessage): QueuedMessage[] {
    const dropped: QueuedMessage[] = [];
    while (this.count > 0 && (this.count >= this.maxMessages || this.totalBytes + item.bytes > this.maxBytes)) {
      dropped.push(this.shift());
    }
    this.ring[(this.head + this.count) % this.maxMessages] = item;
    this.count++;
    this.totalBytes += item.bytes;
    return dropped;
  }

  /**
   * Takes from the head as many messages as fit in one frame of at most `maxFrameBytes` (always
   * at least one: the caller never queues a message that cannot fit a frame on its own).
   */
  takeFrame(maxFrameBytes: number): QueuedMessage[] {
    const frame: QueuedMessage[] = [];
    let frameBytes = PEER_BATCH_HEADER_MAX_BYTES;
    while (this.count > 0 && frame.length < MAX_PEER_BATCH_MESSAGES) {
      const next = this.ring[this.head]!;
      if (frame.length > 0 && frameBytes + next.bytes > maxFrameBytes) break;
      frameBytes += next.bytes;
      frame.push(this.shift());
    }
    return frame;
  }

  /** Empties the queue, returning what it held. */
  clear(): QueuedMessage[] {
    const all: QueuedMessage[] = [];
    while (this.count > 0) all.push(this.shift());
    return all;
  }

  private shift(): QueuedMessage {
    const item = this.ring[this.head]!;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.maxMessages;
    this.count--;
    this.totalBytes -= item.bytes;
    return item;
  }
}
