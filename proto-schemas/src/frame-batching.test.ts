import { describe, expect, it } from 'vitest';
import { batchWritesThisTurn, MAX_BATCH_BYTES } from './frame-batching.js';

/** A socket that records cork depth and what was written while corked. */
class FakeSocket {
  depth = 0;
  corks = 0;
  uncorks = 0;
  writableLength = 0;
  cork(): void {
    this.depth++;
    this.corks++;
  }
  uncork(): void {
    this.depth--;
    this.uncorks++;
    if (this.depth === 0) this.writableLength = 0; // written out
  }
}

const nextCheckPhase = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const nextTick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

describe('batchWritesThisTurn', () => {
  it('corks the socket once per turn, however many frames go out, and uncorks it when the turn ends', async () => {
    const socket = new FakeSocket();
    const ws = { _socket: socket };
    for (let i = 0; i < 32; i++) batchWritesThisTurn(ws);
    expect(socket.corks).toBe(1);
    expect(socket.depth).toBe(1);
    // promise continuations of the same turn, however deep, still write into the same batch
    await Promise.resolve();
    await Promise.resolve().then(() => Promise.resolve());
    batchWritesThisTurn(ws);
    expect(socket.corks).toBe(1);
    expect(socket.depth).toBe(1);
    await nextTick();
    expect(socket.depth).toBe(0);
    expect(socket.uncorks).toBe(1);
    // the next turn starts a new batch
    batchWritesThisTurn(ws);
    expect(socket.corks).toBe(2);
    await nextCheckPhase();
    expect(socket.depth).toBe(0);
  });

  it('keeps separate batches per socket', async () => {
    const a = new FakeSocket();
    const b = new FakeSocket();
    batchWritesThisTurn({ _socket: a });
    batchWritesThisTurn({ _socket: b });
    batchWritesThisTurn({ _socket: a });
    expect([a.corks, b.corks]).toEqual([1, 1]);
    await nextCheckPhase();
    expect([a.depth, b.depth]).toEqual([0, 0]);
  });

  it('does nothing for a connection without a corkable socket', () => {
    for (const ws of [null, undefined, {}, { _socket: null }, { _socket: { cork: 1, uncork: 2 } }, 5]) {
      expect(() => batchWritesThisTurn(ws)).not.toThrow();
    }
  });

  it('writes a batch out early once it holds more than MAX_BATCH_BYTES, and goes on batching', async () => {
    const socket = new FakeSocket();
    const ws = { _socket: socket };
    batchWritesThisTurn(ws);
    socket.writableLength = MAX_BATCH_BYTES; // not over yet
    batchWritesThisTurn(ws);
    expect(socket.uncorks).toBe(0);
    socket.writableLength = MAX_BATCH_BYTES + 1;
    batchWritesThisTurn(ws);
    expect(socket.uncorks).toBe(1);
    expect(socket.writableLength).toBe(0);
    expect(socket.depth).toBe(1); // still corked for the rest of the turn
    await nextTick();
    expect(socket.depth).toBe(0);
  });

  it('does not cork where process.nextTick is faked (the frame would wait for a fake clock)', () => {
    const socket = new FakeSocket();
    const real = process.nextTick;
    process.nextTick = ((fn: () => void) => real(fn)) as typeof process.nextTick;
    try {
      batchWritesThisTurn({ _socket: socket });
    } finally {
      process.nextTick = real;
    }
    expect(socket.corks).toBe(0);
  });
});
