/**
 * Election observation: one server-side observe per name and connection, fanned out to every
 * local iterator of that name, re-registered after a reconnect.
 *
 * Each iterator has a bounded buffer. A consumer that falls behind loses the OLDEST changes, never
 * the newest, and the next change it reads says how many were dropped (`droppedChanges`). Every
 * change carries the whole current leader, so the newest one read is always the truth.
 */
import { type ClientEvent, type ElectionLeader, LIMITS } from '@baton/proto-schemas';
import type { CallHandle } from './call.js';
import type { Channel } from './channel.js';
import type { Connection } from './connection.js';
import { BatonError } from './errors.js';

export interface ElectionChange {
  readonly name: string;
  /** The leader now, or null when the election has none. */
  readonly leader: ElectionLeader | null;
  /** Changes skipped right before this one because this iterator's buffer was full. */
  readonly droppedChanges: number;
}

export interface ObserveOptions {
  /** Ends the iteration (no error) when aborted. */
  readonly signal?: AbortSignal;
  /** Changes buffered for a slow consumer; beyond it the oldest is dropped. Default 64. */
  readonly maxBufferedChanges?: number;
}

export const DEFAULT_MAX_BUFFERED_CHANGES = 64;
const MAX_BUFFERED_CHANGES_LIMIT = 100_000;

interface Buffered {
  readonly leader: ElectionLeader | null;
  droppedBefore: number;
}

class Subscriber {
  private readonly buffer: Buffered[] = [];
  private waiter: (() => void) | null = null;
  private ended = false;
  private error: BatonError | null = null;

  constructor(
    readonly name: string,
    private readonly maxBuffered: number,
  ) {}

  push(leader: ElectionLeader | null): void {
    if (this.ended) return;
    this.buffer.push({ leader, droppedBefore: 0 });
    if (this.buffer.length > this.maxBuffered) {
      const dropped = this.buffer.shift()!;
      this.buffer[0]!.droppedBefore += dropped.droppedBefore + 1;
    }
    this.wake();
  }

  end(error: BatonError | null): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    this.wake();
  }

  async next(): Promise<ElectionChange | null> {
    // bounded: each pass either returns or waits for push/end, which both wake it
    for (;;) {
      const item = this.buffer.shift();
      if (item !== undefined) return { name: this.name, leader: item.leader, droppedChanges: item.droppedBefore };
      if (this.ended) {
        if (this.error !== null) throw this.error;
        return null;
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }
}

interface Entry {
  readonly name: string;
  readonly subscribers: Set<Subscriber>;
  /** The newest leader delivered; undefined until the first answer. */
  last: ElectionLeader | null | undefined;
  registration: CallHandle<'election.observe'> | null;
  /** The connection the server-side observe lives on. */
  registeredOn: Connection | null;
  /** Events seen since the pending registration was sent: they are newer than its answer. */
  eventsSinceSent: number;
}

export class ObserveHub {
  private readonly entries = new Map<string, Entry>();
  private readonly unobserving = new Map<string, Promise<unknown>>();
  private closed = false;

  constructor(private readonly channel: Channel) {
    channel.onConnected(() => {
      for (const entry of this.entries.values()) this.register(entry);
    });
    channel.onEvent((event) => this.onEvent(event));
  }

  observe(name: string, options: ObserveOptions = {}): AsyncIterable<ElectionChange> {
    const maxBuffered = options.maxBufferedChanges ?? DEFAULT_MAX_BUFFERED_CHANGES;
    if (!Number.isInteger(maxBuffered) || maxBuffered < 1 || maxBuffered > MAX_BUFFERED_CHANGES_LIMIT) {
      throw new BatonError('INVALID_ARGUMENT', `maxBufferedChanges: must be 1..${MAX_BUFFERED_CHANGES_LIMIT}`, {
        field: 'maxBufferedChanges',
      });
    }
    return { [Symbol.asyncIterator]: () => this.iterate(name, maxBuffered, options.signal) };
  }

  /** Ends every iteration (without an error). */
  close(): void {
    this.closed = true;
    for (const entry of this.entries.values()) for (const sub of entry.subscribers) sub.end(null);
    this.entries.clear();
  }

  private async *iterate(
    name: string,
    maxBuffered: number,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<ElectionChange, void, undefined> {
    if (signal?.aborted || this.closed) return;
    const sub = this.subscribe(name, maxBuffered);
    const onAbort = (): void => sub.end(null);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        const change = await sub.next();
        if (change === null) return;
        yield change;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.unsubscribe(sub);
    }
  }

  private subscribe(name: string, maxBuffered: number): Subscriber {
    const sub = new Subscriber(name, maxBuffered);
    let entry = this.entries.get(name);
    if (entry === undefined) {
      if (this.entries.size >= LIMITS.maxObservesPerConnection) {
        throw new BatonError(
          'RESOURCE_EXHAUSTED',
          `at most ${LIMITS.maxObservesPerConnection} names can be observed on one client`,
        );
      }
      entry = {
        name,
        subscribers: new Set(),
        last: undefined,
        registration: null,
        registeredOn: null,
        eventsSinceSent: 0,
      };
      this.entries.set(name, entry);
      entry.subscribers.add(sub);
      // a previous observe of this name may still be being undone on the server: after it
      const created = entry;
      const pendingUnobserve = this.unobserving.get(name);
      if (pendingUnobserve === undefined) this.register(created);
      else pendingUnobserve.finally(() => this.register(created));
      return sub;
    }
    entry.subscribers.add(sub);
    if (entry.last !== undefined) sub.push(entry.last);
    return sub;
  }

  private unsubscribe(sub: Subscriber): void {
    const entry = this.entries.get(sub.name);
    if (entry === undefined || !entry.subscribers.delete(sub) || entry.subscribers.size > 0) return;
    this.entries.delete(entry.name);
    if (entry.registration?.dropIfUnsent()) return;
    const conn = entry.registeredOn;
    if (entry.registration === null && conn !== null && conn.isOpen) this.unobserve(entry.name, conn);
    // a registration still in flight unobserves itself when answered (see register)
  }

  private unobserve(name: string, conn: Connection): void {
    const done = this.channel
      .call({ type: 'election.unobserve', build: () => ({ name }), seq: 'none', pinned: conn, deadlineMs: null })
      .promise.catch(() => {});
    this.unobserving.set(name, done);
    done.finally(() => {
      if (this.unobserving.get(name) === done) this.unobserving.delete(name);
    });
  }

  /** Observes `entry` on the current connection (a pending registration moves with reconnects by itself). */
  private register(entry: Entry): void {
    if (this.closed || this.entries.get(entry.name) !== entry || entry.registration !== null) return;
    let sentOn: Connection | null = null;
    const call = this.channel.call({
      type: 'election.observe',
      build: () => ({ name: entry.name }),
      seq: 'none',
      deadlineMs: null,
      onSent: (attempt) => {
        sentOn = attempt.conn;
        entry.eventsSinceSent = 0;
      },
    });
    entry.registration = call;
    call.promise.then(
      (result) => {
        entry.registration = null;
        if (this.entries.get(entry.name) !== entry) {
          // every iterator left while this was in flight
          if (sentOn?.isOpen) this.unobserve(entry.name, sentOn);
          return;
        }
        entry.registeredOn = sentOn;
        if (sentOn !== null && !sentOn.isOpen) {
          // answered, then the connection went: observe again on the next one
          if (this.channel.connectedUrl !== null) this.register(entry);
          return;
        }
        if (entry.eventsSinceSent === 0) this.deliver(entry, result.leader);
      },
      (err: BatonError) => {
        entry.registration = null;
        if (this.entries.get(entry.name) !== entry) return;
        this.entries.delete(entry.name);
        for (const sub of entry.subscribers) sub.end(err.code === 'CLOSED' ? null : err);
      },
    );
  }

  private onEvent(event: ClientEvent): void {
    if (event.event !== 'election') return;
    const entry = this.entries.get(event.name);
    if (entry === undefined) return;
    entry.eventsSinceSent += 1;
    this.deliver(entry, event.leader);
  }

  private deliver(entry: Entry, leader: ElectionLeader | null): void {
    if (entry.last !== undefined && sameLeader(entry.last, leader)) return;
    entry.last = leader;
    for (const sub of entry.subscribers) sub.push(leader);
  }
}

function sameLeader(a: ElectionLeader | null, b: ElectionLeader | null): boolean {
  if (a === null || b === null) return a === b;
  return a.sessionId === b.sessionId && a.term === b.term && a.value === b.value;
}
