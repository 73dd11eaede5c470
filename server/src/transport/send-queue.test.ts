import { describe, expect, it } from 'vitest';
import { message } from '../raft/types.js';
import type { PeerBoundMessage } from './peer-message.js';
import { type QueuedMessage, SendQueue } from './send-queue.js';

function item(commit: number, bytes = 10): QueuedMessage {
  return { message: message({ type: 'heartbeat', from: 1, to: 2, commit }) as PeerBoundMessage, bytes };
}
const commits = (items: readonly QueuedMessage[]) => items.map((q) => q.message.commit);

describe('SendQueue', () => {
  it('drops the oldest when the message bound is reached', () => {
    const q = new SendQueue(3, 1_000);
    const dropped = [1, 2, 3, 4, 5].flatMap((c) => q.push(item(c)));
    expect(commits(dropped)).toEqual([1, 2]);
    expect(q.length).toBe(3);
    expect(q.bytes).toBe(30);
    expect(commits(q.clear())).toEqual([3, 4, 5]);
    expect(q.length).toBe(0);
    expect(q.bytes).toBe(0);
  });

  it('drops the oldest when the byte bound is reached', () => {
    const q = new SendQueue(100, 100);
    q.push(item(1, 40));
    q.push(item(2, 40));
    expect(commits(q.push(item(3, 40)))).toEqual([1]);
    expect(commits(q.push(item(4, 90)))).toEqual([2, 3]);
    expect(q.bytes).toBe(90);
  });

  it('takes frames in order, bounded by the frame size, at least one message each', () => {
    const q = new SendQueue(100, 10_000);
    for (let c = 1; c <= 6; c++) q.push(item(c, 40));
    // header (4 bytes) + 2 × 40 fits in 100; a third does not
    expect(commits(q.takeFrame(100))).toEqual([1, 2]);
    q.push(item(7, 500));
    expect(commits(q.takeFrame(100))).toEqual([3, 4]);
    expect(commits(q.takeFrame(100))).toEqual([5, 6]);
    expect(commits(q.takeFrame(100))).toEqual([7]);
    expect(q.takeFrame(100)).toEqual([]);
  });

  it('wraps around its ring many times without losing order', () => {
    const q = new SendQueue(4, 1_000);
    const seen: number[] = [];
    for (let c = 1; c <= 50; c++) {
      q.push(item(c));
      if (c % 3 === 0) seen.push(...commits(q.takeFrame(1_000)));
    }
    seen.push(...commits(q.clear()));
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });
});
