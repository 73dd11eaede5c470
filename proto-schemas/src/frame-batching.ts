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
}

const corkedThisTurn = new WeakSet<object>();

export function batchWritesThisTurn(ws: unknown): void {
  const socket = (ws as { _socket?: Partial<Corkable> | null } | null)?._socket;
  if (socket === null || socket === undefined) return;
  if (typeof socket.cork !== 'function' || typeof socket.uncork !== 'function') return;
  if (corkedThisTurn.has(socket)) return;
  const s = socket as Corkable;
  corkedThisTurn.add(s);
  s.cork();
  process.nextTick(() => {
    corkedThisTurn.delete(s);
    s.uncork();
  });
}
