/**
 * Frames sent in one turn of the event loop leave the process in one TCP write.
 *
 * ws writes every frame with a system call of its own (its sender corks only a frame's header
 * with its payload). A server answering the 32 requests that one commit decided, or an SDK client
 * whose 32 workers ask again the moment their answers arrive, paid 32 writes where one does; on
 * loopback a write that wakes the reader costs the writer tens of microseconds of a shared core
 * (issue 8, workload 1). ws has no public API for this, so the underlying net.Socket (`_socket`,
 * stable across ws 7–8) is held corked until the JavaScript of this turn is done: process.nextTick
 * runs after every promise continuation queued so far, so the answers one commit resolves and the
 * requests their callers send next all go in the batch, and nothing waits for another loop phase.
 * With anything else under the WebSocket the call does nothing.
 */
interface Corkable {
  cork(): void;
  uncork(): void;
  readonly writableLength?: number;
}

/**
 * A batch bigger than this is written out at once and a new one started: corked bytes count in
 * ws's bufferedAmount, which the server checks against its unread-frames cutoff, and a few large
 * answers gain nothing from waiting for each other.
 */
export const MAX_BATCH_BYTES = 256 * 1024;

const corkedThisTurn = new WeakSet<object>();

/**
 * The nextTick of the real process, taken when this module loads: where a test framework fakes
 * process.nextTick, a corked frame would wait for the fake clock, so batching is skipped there.
 */
const realNextTick = process.nextTick;

export function batchWritesThisTurn(ws: unknown): void {
  const socket = (ws as { _socket?: Partial<Corkable> | null } | null)?._socket;
  if (socket === null || socket === undefined) return;
  if (typeof socket.cork !== 'function' || typeof socket.uncork !== 'function') return;
  const s = socket as Corkable;
  if (corkedThisTurn.has(s)) {
    if ((s.writableLength ?? 0) > MAX_BATCH_BYTES) {
      s.uncork();
      s.cork();
    }
    return;
  }
  if (process.nextTick !== realNextTick) return;
  corkedThisTurn.add(s);
  s.cork();
  realNextTick(() => {
    corkedThisTurn.delete(s);
    s.uncork();
  });
}
