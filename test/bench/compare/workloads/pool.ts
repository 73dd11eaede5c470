/** Client connections and sessions for a workload, opened with bounded parallelism and closed together. */
import { setTimeout as delay } from 'node:timers/promises';
import { connectClient } from '../clients/connect.js';
import type { ConnectSpec, LockClient, LockSession } from '../clients/lock-client.js';

/** Runs `fn` for 0..count-1 with at most `concurrency` at once; results in index order. */
export async function mapLimited<T>(count: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const i = next++;
      out[i] = await fn(i);
    }
  });
  await Promise.all(lanes);
  return out;
}

export class SessionPool {
  private constructor(
    readonly clients: readonly LockClient[],
    readonly sessions: readonly LockSession[],
    private readonly perClient: number,
  ) {}

  /**
   * `sessions` sessions with TTL `ttlMs`, `perClient` of them on each client connection (the
   * first connection also answers participants()).
   */
  static async open(
    spec: ConnectSpec,
    sessions: number,
    perClient: number,
    ttlMs: number,
    concurrency: number,
    onOpened?: (opened: number) => void,
  ): Promise<SessionPool> {
    const clientCount = Math.max(1, Math.ceil(sessions / perClient));
    const clients: LockClient[] = [];
    try {
      for (const c of await mapLimited(clientCount, concurrency, () => connectClient(spec))) clients.push(c);
      let count = 0;
      const opened = await mapLimited(sessions, concurrency, async (i) => {
        const session = await (clients[Math.floor(i / perClient)] as LockClient).openSession(ttlMs);
        onOpened?.(++count);
        return session;
      });
      return new SessionPool(clients, opened, perClient);
    } catch (err) {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      throw err;
    }
  }

  session(i: number): LockSession {
    const s = this.sessions[i];
    if (s === undefined) throw new Error(`no session ${i}`);
    return s;
  }

  /** The client connection session `i` was opened on. */
  clientFor(i: number): LockClient {
    return this.clients[Math.floor(i / this.perClient)] as LockClient;
  }

  get admin(): LockClient {
    return this.clients[0] as LockClient;
  }

  /** Closes every session (releasing what it holds), then the connections; errors are ignored. */
  async close(concurrency = 64): Promise<void> {
    await mapLimited(this.sessions.length, concurrency, (i) =>
      this.session(i)
        .close()
        .catch(() => {}),
    );
    await Promise.all(this.clients.map((c) => c.close().catch(() => {})));
  }
}

/** After a failed call, a worker pauses this long before going on (no hot loop against a stalled server). */
const RECOVERY_PAUSE_MS = 10;

/**
 * A closed-loop worker's session, replaced by a fresh one on the same connection after a failed
 * call — what an application does when a call fails (a ZooKeeper CONNECTION_LOSS on a stalled
 * server, an etcd request timeout). Closing the old session removes whatever the failed call may
 * have left queued. Failures are counted and reported, never hidden.
 */
export class WorkerSession {
  private current: LockSession;
  replaced = 0;

  constructor(
    private readonly pool: SessionPool,
    private readonly index: number,
    private readonly ttlMs: number,
    private readonly failures: FailureLog,
  ) {
    this.current = pool.session(index);
  }

  get session(): LockSession {
    return this.current;
  }

  async recover(err: unknown): Promise<void> {
    this.failures.record(err);
    const old = this.current;
    // not awaited: on a stalled server the close may take as long as the failure did
    void old.close().catch(() => {});
    this.current = await this.pool.clientFor(this.index).openSession(this.ttlMs);
    this.replaced++;
    await delay(RECOVERY_PAUSE_MS);
  }
}

/** Failed calls of a workload: how many, and the first one's message. */
export class FailureLog {
  count = 0;
  first: string | null = null;

  record(err: unknown): void {
    this.count++;
    this.first ??= (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'error';
  }

  /** A note for the table, or nothing when no call failed. */
  note(what: string): string[] {
    return this.count === 0
      ? []
      : [`${what}: ${this.count} call(s) failed and the worker went on with a new session (first: ${this.first})`];
  }
}
